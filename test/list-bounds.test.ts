// The list bounds the router's cost estimate assumes (`@listSize(assumedSize:)`) hold in the data:
// a cart holds at most 100 products, a category at most 25 subcategories. (Images: catalog-images.)
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import {
  AddToCartDocument,
  CreateCategoryDocument,
  MyCartDocument,
  UpdateCartItemDocument,
  UpdateCategoryDocument,
} from "../sdk/__generated__/graphql.js";
import {
  createAdmin,
  expectError,
  expectErrorResult,
  gqlOk,
  registerCustomer,
  request,
  requestOk,
  type Account,
} from "./support/client.js";

// Kept as strings: the batches, built programmatically with one alias per item, and the category's
// children lookup, which no SDK operation selects.

let admin: Account;
let customer: Account;

before(async () => {
  [admin, customer] = await Promise.all([createAdmin(), registerCustomer()]);
});

/** One mutation with an aliased field per item (the alias limit is 30). */
async function batch(items: string[], field: (item: string) => string, token: string) {
  for (let start = 0; start < items.length; start += 25) {
    const fields = items.slice(start, start + 25).map((item, i) => `m${i}: ${field(item)}`);
    await gqlOk(`mutation { ${fields.join(" ")} }`, {}, { token });
  }
}

describe("cart lines", () => {
  it("holds at most 100 different products; more units of one already there are fine", async () => {
    // Real products on sale: carts refuse anything else, and the refusal below must be the line cap.
    const tag = randomUUID().slice(0, 8);
    const names = Array.from({ length: 101 }, (_, i) => `Bounded line ${i} ${tag}`);
    const products: string[] = [];
    for (let start = 0; start < names.length; start += 25) {
      const fields = names
        .slice(start, start + 25)
        .map((name, i) => `p${i}: createProduct(input: { name: "${name}", priceAmount: 100, status: ACTIVE }) { id }`);
      const created = await gqlOk<Record<string, { id: string }>>(`mutation { ${fields.join(" ")} }`, {}, { token: admin.token });
      products.push(...Object.values(created).map((product) => product.id));
    }
    const [extraProduct] = products.splice(100, 1);
    await batch(
      products,
      (id) =>
        `addToCart(productId: "${id}") { __typename ... on Cart { id } ... on ErrorResult { message code } ... on CartLimitError { limit max inCart } ... on ProductUnavailableError { productId } }`,
      customer.token,
    );

    const extra = await request(AddToCartDocument, { productId: extraProduct! }, { token: customer.token });
    const tooMany = expectErrorResult(extra, "addToCart", "CartLimitError", "CART_LIMIT");
    assert.deepEqual([tooMany.limit, tooMany.max, tooMany.inCart], ["LINES", 100, null]);
    assert.match(tooMany.message, /at most 100 different products/);
    const set = await request(UpdateCartItemDocument, { productId: extraProduct!, quantity: 2 }, { token: customer.token });
    assert.equal(expectErrorResult(set, "updateCartItem", "CartLimitError", "CART_LIMIT").limit, "LINES");

    const more = (await requestOk(AddToCartDocument, { productId: products[0]!, quantity: 2 }, { token: customer.token })).addToCart;
    assert.equal(more.__typename === "Cart" && more.totalQuantity, 102);
    const cart = await requestOk(MyCartDocument, {}, { token: customer.token });
    assert.equal(cart.myCart?.items.length, 100);
  });
});

describe("subcategories", () => {
  it("allows at most 25 under one category, created or moved there", async () => {
    const tag = randomUUID().slice(0, 8);
    const create = (input: { name: string; parentId?: string }) => request(CreateCategoryDocument, { input }, { token: admin.token });
    const parent = (await requestOk(CreateCategoryDocument, { input: { name: `Bounded ${tag}` } }, { token: admin.token })).createCategory
      .id;
    const names = Array.from({ length: 25 }, (_, i) => `Child ${i} ${tag}`);
    await batch(names, (name) => `createCategory(input: { name: "${name}", parentId: "${parent}" }) { id }`, admin.token);

    const refused = await create({ name: `Child 25 ${tag}`, parentId: parent });
    expectError(refused, "BAD_USER_INPUT", "input.parentId");
    const other = (await requestOk(CreateCategoryDocument, { input: { name: `Elsewhere ${tag}` } }, { token: admin.token })).createCategory
      .id;
    const moved = await request(UpdateCategoryDocument, { id: other, input: { parentId: parent } }, { token: admin.token });
    expectError(moved, "BAD_USER_INPUT", "input.parentId");
    const tree = await gqlOk(`query($id: ID) { category(id: $id) { children { id } } }`, { id: parent });
    assert.equal(tree.category.children.length, 25);
  });
});

// The list bounds the router's cost estimate assumes (`@listSize(assumedSize:)`) hold in the data:
// a cart holds at most 100 products, a category at most 25 subcategories. (Images: catalog-images.)
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { createAdmin, expectError, expectErrorResult, gql, gqlOk, registerCustomer, type Account } from "./support/client.js";

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

    const extra = await gql(
      `mutation($p: ID!) { addToCart(productId: $p) { __typename ... on Cart { id } ... on ErrorResult { message code } ... on CartLimitError { limit max inCart } ... on ProductUnavailableError { productId } } }`,
      { p: extraProduct },
      { token: customer.token },
    );
    const tooMany = expectErrorResult(extra, "addToCart", "CartLimitError", "CART_LIMIT");
    assert.deepEqual([tooMany.limit, tooMany.max, tooMany.inCart], ["LINES", 100, null]);
    assert.match(tooMany.message, /at most 100 different products/);
    const set = await gql(
      `mutation($p: ID!) { updateCartItem(productId: $p, quantity: 2) { __typename ... on Cart { id } ... on ErrorResult { message code } ... on CartLimitError { limit max inCart } ... on ProductUnavailableError { productId } } }`,
      { p: extraProduct },
      { token: customer.token },
    );
    assert.equal(expectErrorResult(set, "updateCartItem", "CartLimitError", "CART_LIMIT").limit, "LINES");

    const more = await gqlOk(
      `mutation($p: ID!) { addToCart(productId: $p, quantity: 2) { __typename ... on Cart { totalQuantity } ... on ErrorResult { message code } ... on CartLimitError { limit max inCart } ... on ProductUnavailableError { productId } } }`,
      { p: products[0] },
      { token: customer.token },
    );
    assert.equal(more.addToCart.totalQuantity, 102);
    const cart = await gqlOk(`{ myCart { items { product { id } } } }`, {}, { token: customer.token });
    assert.equal(cart.myCart.items.length, 100);
  });
});

describe("subcategories", () => {
  it("allows at most 25 under one category, created or moved there", async () => {
    const tag = randomUUID().slice(0, 8);
    const create = `mutation($input: CreateCategoryInput!) { createCategory(input: $input) { id } }`;
    const parent = (await gqlOk(create, { input: { name: `Bounded ${tag}` } }, { token: admin.token })).createCategory.id as string;
    const names = Array.from({ length: 25 }, (_, i) => `Child ${i} ${tag}`);
    await batch(names, (name) => `createCategory(input: { name: "${name}", parentId: "${parent}" }) { id }`, admin.token);

    const refused = await gql(create, { input: { name: `Child 25 ${tag}`, parentId: parent } }, { token: admin.token });
    expectError(refused, "BAD_USER_INPUT", "input.parentId");
    const other = (await gqlOk(create, { input: { name: `Elsewhere ${tag}` } }, { token: admin.token })).createCategory.id as string;
    const moved = await gql(
      `mutation($id: ID!, $input: UpdateCategoryInput!) { updateCategory(id: $id, input: $input) { id } }`,
      { id: other, input: { parentId: parent } },
      { token: admin.token },
    );
    expectError(moved, "BAD_USER_INPUT", "input.parentId");
    const tree = await gqlOk(`query($id: ID) { category(id: $id) { children { id } } }`, { id: parent });
    assert.equal(tree.category.children.length, 25);
  });
});

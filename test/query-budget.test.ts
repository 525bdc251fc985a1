// The cost of a storefront page: a page of products with inventory, images and category costs a
// constant, small number of SQL statements in every subgraph, whatever the page size (DataLoader).
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import sharp from "sharp";
import { SUBGRAPH_NAMES } from "../lib/config.js";
import { AdjustStockDocument, StorefrontListingDocument, type ProductFilter } from "../sdk/__generated__/graphql.js";
import { ROUTER_URL, createAdmin, gqlOk, requestOk, sqlStatements, type Account } from "./support/client.js";

let admin: Account;
let rootCategoryId: string;
const marker = `Budget${Date.now().toString(36)}`;

async function sqlCounts(): Promise<Record<string, number>> {
  return Object.fromEntries(await Promise.all(SUBGRAPH_NAMES.map(async (name) => [name, await sqlStatements(name)] as const)));
}

/** The storefront listing (products with price, category and its parent, images and stock): SQL statements per subgraph. */
async function statementsFor(first: number, filter: ProductFilter = {}): Promise<Record<string, number>> {
  const before = await sqlCounts();
  const data = await requestOk(StorefrontListingDocument, { first, filter }, { token: admin.token });
  assert.equal(data.products.edges.length, first, "the page is full");
  const after = await sqlCounts();
  return Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, after[name]! - before[name]!]));
}

before(async () => {
  admin = await createAdmin();
  const categories = [];
  const root = await gqlOk(
    `mutation($i: CreateCategoryInput!) { createCategory(input: $i) { id } }`,
    { i: { name: `${marker} root` } },
    { token: admin.token },
  );
  for (let i = 0; i < 3; i++) {
    const child = await gqlOk(
      `mutation($i: CreateCategoryInput!) { createCategory(input: $i) { id } }`,
      { i: { name: `${marker} child ${i}`, parentId: root.createCategory.id } },
      { token: admin.token },
    );
    categories.push(child.createCategory.id);
  }
  rootCategoryId = root.createCategory.id;
  const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: "#888" } })
    .png()
    .toBuffer();
  for (let i = 0; i < 55; i++) {
    const created = await gqlOk(
      `mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }`,
      { input: { name: `${marker} gadget ${i}`, priceAmount: 1000 + i, status: "ACTIVE", categoryId: categories[i % 3] } },
      { token: admin.token },
    );
    const productId = created.createProduct.id;
    await requestOk(AdjustStockDocument, { productId, delta: i + 1, reason: "RESTOCK" }, { token: admin.token });
    if (i % 2 === 0) {
      const form = new FormData();
      form.append(
        "operations",
        JSON.stringify({
          query: `mutation($p: ID!, $f: Upload!) { uploadProductImage(productId: $p, file: $f) { id } }`,
          variables: { p: productId, f: null },
        }),
      );
      form.append("map", JSON.stringify({ "0": ["variables.f"] }));
      form.append("0", new Blob([png], { type: "image/png" }), "p.png");
      const response = await fetch(ROUTER_URL, {
        method: "POST",
        headers: { authorization: `Bearer ${admin.token}`, "apollo-require-preflight": "true" },
        body: form,
      });
      assert.equal(((await response.json()) as { errors?: unknown }).errors, undefined);
    }
  }
});

describe("SQL statements per storefront page", () => {
  it("are the same for 5 and 50 products, and few, in every subgraph", async () => {
    await statementsFor(5); // warm-up: first use of prepared statements and pools
    const small = await statementsFor(5);
    const large = await statementsFor(50);
    assert.deepEqual(large, small, `5 products: ${JSON.stringify(small)}; 50 products: ${JSON.stringify(large)}`);
    assert.ok(small.products! >= 1 && small.products! <= 6, `products: ${small.products}`);
    assert.ok(small.inventory! >= 1 && small.inventory! <= 2, `inventory: ${small.inventory}`);
    for (const name of ["users", "carts", "orders", "payments"]) assert.equal(small[name], 0, `${name} is not involved`);
  });

  it("stay constant with a search too", async () => {
    const small = await statementsFor(5, { search: marker });
    const large = await statementsFor(50, { search: marker });
    assert.deepEqual(large, small);
  });

  it("stay constant with a category filter (the category and everything below it)", async () => {
    const small = await statementsFor(5, { categoryId: rootCategoryId });
    const large = await statementsFor(50, { categoryId: rootCategoryId });
    assert.deepEqual(large, small);
    assert.ok(small.products! <= 6, `products: ${small.products}`);
  });
});

// Federation contract: the products subgraph resolves Product and Category references by key.
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { createAdmin, gqlOk, registerCustomer, subgraphUrl, type Account } from "./support/client.js";

const ENTITIES = `query($r: [_Any!]!) {
  _entities(representations: $r) {
    ... on Product { id name slug status price { amount currency } category { id name } }
    ... on Category { id name slug parent { id } children { id } }
  }
}`;

const tag = randomUUID().slice(0, 8);
let admin: Account;

before(async () => {
  admin = await createAdmin();
});

async function create(mutation: string, input: Record<string, unknown>) {
  const data = await gqlOk(mutation, { input }, { token: admin.token });
  return Object.values(data)[0] as { id: string; name: string; slug: string };
}
const CREATE_CATEGORY = `mutation($input: CreateCategoryInput!) { createCategory(input: $input) { id name slug } }`;
const CREATE_PRODUCT = `mutation($input: CreateProductInput!) { createProduct(input: $input) { id name slug } }`;

describe("Product and Category entities (products subgraph)", () => {
  it("resolves Product references in order, with null for unknown and malformed ids, in any status", async () => {
    const category = await create(CREATE_CATEGORY, { name: `Contract ${tag}` });
    const active = await create(CREATE_PRODUCT, {
      name: `Contract Active ${tag}`,
      priceAmount: 1999,
      categoryId: category.id,
      status: "ACTIVE",
    });
    // Carts and orders keep referring to products that were archived since.
    const archived = await create(CREATE_PRODUCT, {
      name: `Contract Archived ${tag}`,
      priceAmount: 500,
      currency: "USD",
      status: "ARCHIVED",
    });
    const data = await gqlOk(
      ENTITIES,
      {
        r: [
          { __typename: "Product", id: archived.id },
          { __typename: "Product", id: randomUUID() },
          { __typename: "Product", id: active.id },
          { __typename: "Product", id: "not-a-uuid" },
        ],
      },
      { url: subgraphUrl("products") },
    );
    assert.deepEqual(data._entities, [
      {
        id: archived.id,
        name: archived.name,
        slug: archived.slug,
        status: "ARCHIVED",
        price: { amount: 500, currency: "USD" },
        category: null,
      },
      null,
      {
        id: active.id,
        name: active.name,
        slug: active.slug,
        status: "ACTIVE",
        price: { amount: 1999, currency: "EUR" },
        category: { id: category.id, name: category.name },
      },
      null,
    ]);
  });

  it("resolves a DRAFT product for administrators only", async () => {
    const draft = await create(CREATE_PRODUCT, { name: `Contract Draft ${tag}`, priceAmount: 700 });
    const r = [{ __typename: "Product", id: draft.id }];
    const anonymous = await gqlOk(ENTITIES, { r }, { url: subgraphUrl("products") });
    assert.deepEqual(anonymous._entities, [null]);
    const customer = await registerCustomer();
    assert.deepEqual((await gqlOk(ENTITIES, { r }, { url: subgraphUrl("products"), token: customer.token }))._entities, [null]);
    const byAdmin = await gqlOk(ENTITIES, { r }, { url: subgraphUrl("products"), token: admin.token });
    assert.equal(byAdmin._entities[0].status, "DRAFT");
  });

  it("resolves Category references with their place in the tree", async () => {
    const parent = await create(CREATE_CATEGORY, { name: `Contract Parent ${tag}` });
    const child = await create(CREATE_CATEGORY, { name: `Contract Child ${tag}`, parentId: parent.id });
    const data = await gqlOk(
      ENTITIES,
      {
        r: [
          { __typename: "Category", id: child.id },
          { __typename: "Category", id: parent.id },
          { __typename: "Category", id: randomUUID() },
        ],
      },
      { url: subgraphUrl("products") },
    );
    assert.deepEqual(data._entities, [
      { id: child.id, name: child.name, slug: child.slug, parent: { id: parent.id }, children: [] },
      { id: parent.id, name: parent.name, slug: parent.slug, parent: null, children: [{ id: child.id }] },
      null,
    ]);
  });
});

// Federation contract: the inventory subgraph resolves Product references by key and adds their stock.
// `_entities` queries go straight to the subgraph and are not SDK operations: they stay strings.
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { AdjustStockDocument } from "../sdk/__generated__/graphql.js";
import {
  createAdmin,
  expectError,
  gql,
  gqlOk,
  registerCustomer,
  requestOk,
  sqlStatements,
  subgraphUrl,
  type Account,
} from "./support/client.js";
import { activeProduct } from "./support/catalog.js";

const ENTITIES = `
  query($r: [_Any!]!) {
    _entities(representations: $r) { ... on Product { id inventory { available inStock } } }
  }`;
const ENTITIES_DETAILED = `
  query($r: [_Any!]!) {
    _entities(representations: $r) {
      ... on Product { id inventory { onHand reserved available inStock lowStockThreshold } stockMovements(first: 2) { delta reason } }
    }
  }`;

const inventoryUrl = subgraphUrl("inventory");
const product = (id: string) => ({ __typename: "Product", id });

let admin: Account;
let customer: Account;

before(async () => {
  [admin, customer] = await Promise.all([createAdmin(), registerCustomer("Contract Customer")]);
});

async function restock(productId: string, delta: number) {
  const data = await requestOk(AdjustStockDocument, { productId, delta, reason: "RESTOCK" }, { url: inventoryUrl, token: admin.token });
  assert.equal(data.adjustStock.__typename, "Inventory");
}

describe("Product entity (inventory subgraph)", () => {
  it("resolves references in order: stocked, never stocked, and null for malformed ids", async () => {
    const [stocked, unknown] = [await activeProduct(), randomUUID()];
    await restock(stocked, 12);
    const data = await gqlOk(ENTITIES, { r: [product(unknown), product("not-a-uuid"), product(stocked)] }, { url: inventoryUrl });
    assert.deepEqual(data._entities, [
      { id: unknown, inventory: { available: 0, inStock: false } },
      null,
      { id: stocked, inventory: { available: 12, inStock: true } },
    ]);
  });

  it("shows administrators the stock details and movements", async () => {
    const productId = await activeProduct();
    await restock(productId, 3);
    await restock(productId, 4);
    const data = await gqlOk(ENTITIES_DETAILED, { r: [product(productId)] }, { url: inventoryUrl, token: admin.token });
    assert.deepEqual(data._entities[0], {
      id: productId,
      inventory: { onHand: 7, reserved: 0, available: 7, inStock: true, lowStockThreshold: 5 },
      stockMovements: [
        { delta: 4, reason: "RESTOCK" },
        { delta: 3, reason: "RESTOCK" },
      ],
    });
  });

  it("hides the stock details from customers and anonymous callers", async () => {
    const productId = await activeProduct();
    await restock(productId, 2);
    for (const token of [customer.token, undefined]) {
      const result = await gql(
        `query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { inventory { onHand reserved lowStockThreshold available } } } }`,
        { r: [product(productId)] },
        { url: inventoryUrl, token },
      );
      expectError(result, "FORBIDDEN");
      assert.deepEqual(result.data._entities[0].inventory, { onHand: null, reserved: null, lowStockThreshold: null, available: 2 });
    }
  });

  it("loads the stock of a whole page of products in one SQL query, and their movements in one more", async () => {
    const ids = [...(await Promise.all(Array.from({ length: 5 }, activeProduct))), ...Array.from({ length: 20 }, () => randomUUID())];
    for (const id of ids.slice(0, 5)) await restock(id, 1);

    const before = await sqlStatements("inventory");
    const data = await gqlOk(ENTITIES, { r: ids.map(product) }, { url: inventoryUrl });
    assert.equal(data._entities.length, 25);
    assert.equal((await sqlStatements("inventory")) - before, 1, "one query for 25 products");

    const beforeDetailed = await sqlStatements("inventory");
    await gqlOk(ENTITIES_DETAILED, { r: ids.map(product) }, { url: inventoryUrl, token: admin.token });
    assert.equal((await sqlStatements("inventory")) - beforeDetailed, 2, "levels and movements, one query each");
  });
});

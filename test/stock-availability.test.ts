// The `inStock` filter lives in products while stock lives in inventory: a stock change is published
// on the stock-availability queue and the products worker updates its read model. End to end here.
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as delay } from "node:timers/promises";
import { createAdmin, gqlOk, type Account } from "./support/client.js";

const IN_STOCK = `query($search: String!, $inStock: Boolean!) {
  products(first: 10, filter: { search: $search, inStock: $inStock }) { edges { node { id inventory { available } } } }
}`;

let admin: Account;
before(async () => {
  admin = await createAdmin();
});

async function idsWhere(search: string, inStock: boolean): Promise<string[]> {
  const data = await gqlOk(IN_STOCK, { search, inStock });
  return data.products.edges.map((e: { node: { id: string } }) => e.node.id);
}

/** Polls until `check` passes: the read model is eventually consistent (normally well under a second). */
async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) return Date.now() - started;
    await delay(50);
  }
  assert.fail(`${what} did not happen within ${timeoutMs} ms`);
}

describe("inStock filter across subgraphs", () => {
  it("follows restocks and sell-outs in inventory", async () => {
    const name = `Lantern ${Date.now().toString(36)}`;
    const created = await gqlOk(
      `mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }`,
      { i: { name, priceAmount: 2500, status: "ACTIVE" } },
      { token: admin.token },
    );
    const id = created.createProduct.id;
    assert.deepEqual(await idsWhere(name, true), [], "no stock yet");
    assert.deepEqual(await idsWhere(name, false), [id]);

    await gqlOk(
      `mutation($p: ID!) { adjustStock(productId: $p, delta: 3, reason: RESTOCK) { __typename } }`,
      { p: id },
      { token: admin.token },
    );
    const restockMs = await eventually(
      async () => (await idsWhere(name, true)).includes(id),
      "the restock reaching the products read model",
    );
    assert.deepEqual(await idsWhere(name, false), []);

    await gqlOk(`mutation($p: ID!) { setStock(productId: $p, onHand: 0) { __typename } }`, { p: id }, { token: admin.token });
    await eventually(async () => (await idsWhere(name, true)).length === 0, "the sell-out reaching the products read model");
    assert.deepEqual(await idsWhere(name, false), [id]);
    assert.ok(restockMs < 10_000);
  });
});

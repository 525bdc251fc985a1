// The service operations checkout calls, straight at their subgraphs: only the orders service may call
// them (its signed assertion), they are not part of the public API, and they do what orders relies on.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, test } from "node:test";
import { MyCartDocument } from "../sdk/__generated__/graphql.js";
import { addToCart, stockOf, stockedProduct } from "./support/checkout.js";
import { expectError, gql, registerCustomer, requestOk, serviceHeaders, subgraphUrl, type Account } from "./support/client.js";

const RESERVE = `mutation Reserve($orderId: ID!, $lines: [StockLineInput!]!) {
  reserveStock(orderId: $orderId, lines: $lines) { reserved shortages { productId requested available code message } }
}`;
const REMOVE = `mutation Remove($items: [OrderedItemInput!]!) { removeOrderedItems(items: $items) { id } }`;

type Reservation = {
  reserveStock: { reserved: boolean; shortages: { productId: string; requested: number; available: number; code: string }[] };
};

const reserveAs = (caller: "orders" | "router" | "carts", orderId: string, lines: { productId: string; quantity: number }[]) =>
  gql<Reservation>(RESERVE, { orderId, lines }, { url: subgraphUrl("inventory"), headers: serviceHeaders(caller) });

describe("inventory reserveStock", () => {
  test("refused to every caller but orders, and absent from the router's API", async () => {
    const product = await stockedProduct(5);
    const lines = [{ productId: product, quantity: 1 }];
    for (const caller of ["router", "carts"] as const) expectError(await reserveAs(caller, randomUUID(), lines), "FORBIDDEN");
    expectError(await gql(RESERVE, { orderId: randomUUID(), lines }), "GRAPHQL_VALIDATION_FAILED");
    assert.equal((await stockOf(product)).reserved, 0);
  });

  test("all lines or none, every short line listed; idempotent per order id", async () => {
    const [a, b, c] = await Promise.all([stockedProduct(5), stockedProduct(2), stockedProduct(0)]);
    const short = await reserveAs("orders", randomUUID(), [
      { productId: a, quantity: 2 },
      { productId: b, quantity: 3 },
      { productId: c, quantity: 1 },
    ]);
    assert.equal(short.errors, undefined);
    assert.equal(short.data.reserveStock.reserved, false);
    assert.deepEqual(
      short.data.reserveStock.shortages
        .map(({ productId, requested, available, code }) => ({ productId, requested, available, code }))
        .sort((x, y) => (x.productId < y.productId ? -1 : 1)),
      [
        { productId: b, requested: 3, available: 2, code: "INSUFFICIENT_STOCK" },
        { productId: c, requested: 1, available: 0, code: "INSUFFICIENT_STOCK" },
      ].sort((x, y) => (x.productId < y.productId ? -1 : 1)),
    );
    assert.equal((await stockOf(a)).reserved, 0);

    const orderId = randomUUID();
    for (let attempt = 0; attempt < 2; attempt++) {
      const held = await reserveAs("orders", orderId, [{ productId: a, quantity: 2 }]);
      assert.deepEqual(held.data.reserveStock, { reserved: true, shortages: [] });
    }
    assert.deepEqual(await stockOf(a), { onHand: 5, reserved: 2, available: 3 });
  });

  test("malformed input is BAD_USER_INPUT", async () => {
    const product = await stockedProduct(1);
    expectError(await reserveAs("orders", "not-an-id", [{ productId: product, quantity: 1 }]), "BAD_USER_INPUT");
    expectError(await reserveAs("orders", randomUUID(), [{ productId: product, quantity: 0 }]), "BAD_USER_INPUT");
    expectError(await reserveAs("orders", randomUUID(), []), "BAD_USER_INPUT");
  });
});

describe("carts removeOrderedItems", () => {
  const removeAs = (caller: "orders" | "router", customer: Account | null, items: { productId: string; quantity: number }[]) =>
    gql(REMOVE, { items }, { url: subgraphUrl("carts"), token: customer?.token, headers: serviceHeaders(caller) });

  async function quantities(customer: Account): Promise<Record<string, number>> {
    const data = await requestOk(MyCartDocument, {}, { token: customer.token });
    return Object.fromEntries((data.myCart?.items ?? []).map((item) => [item.productId, item.quantity]));
  }

  test("takes the ordered units out of the customer's own cart; lines reaching zero go, units added meanwhile stay", async () => {
    const customer = await registerCustomer();
    const [a, b, c] = await Promise.all([stockedProduct(9), stockedProduct(9), stockedProduct(9)]);
    await addToCart(customer, a, 3);
    await addToCart(customer, b, 1);
    await addToCart(customer, c, 2);
    const result = await removeAs("orders", customer, [
      { productId: a, quantity: 2 },
      { productId: b, quantity: 1 },
      { productId: randomUUID(), quantity: 1 },
    ]);
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    assert.deepEqual(await quantities(customer), { [a]: 1, [c]: 2 });
  });

  test("refused to the router (FORBIDDEN) and without a customer (UNAUTHENTICATED); nothing changes", async () => {
    const customer = await registerCustomer();
    const product = await stockedProduct(9);
    await addToCart(customer, product, 2);
    expectError(await removeAs("router", customer, [{ productId: product, quantity: 2 }]), "FORBIDDEN");
    expectError(await removeAs("orders", null, [{ productId: product, quantity: 2 }]), "UNAUTHENTICATED");
    expectError(
      await gql(REMOVE, { items: [{ productId: product, quantity: 2 }] }, { token: customer.token }),
      "GRAPHQL_VALIDATION_FAILED",
    );
    assert.deepEqual(await quantities(customer), { [product]: 2 });
  });
});

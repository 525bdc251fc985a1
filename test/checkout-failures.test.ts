// Checkout when a service it needs fails: an orders subgraph of its own, in this process, on the
// run's databases and Redis, whose inventory or payments URL points at a closed port or at a proxy
// that loses inventory's answer. The rest of the stack is the real one. A clear UNAVAILABLE error,
// and nothing left reserved, no order half made, the idempotency key free again.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import type { Config, SubgraphName } from "../lib/config.js";
import { createPrisma, prismaAdapter } from "../lib/database.js";
import type { RunningServer } from "../lib/subgraph.js";
import { PrismaClient } from "../prisma/orders/__generated__/client.js";
import { AdminStockMovementsDocument, MyCartDocument } from "../sdk/__generated__/graphql.js";
import { PAYMENT_NOT_STARTED_NOTE } from "../subgraphs/orders/src/checkout.js";
import { createOrdersServer } from "../subgraphs/orders/src/server.js";
import { catalogAdmin } from "./support/catalog.js";
import { ADDRESS, addToCart, stockOf, stockedProduct } from "./support/checkout.js";
import { config, eventually, expectError, gql, registerCustomer, requestOk, serviceHeaders, type Account } from "./support/client.js";

const prisma = new PrismaClient({ adapter: prismaAdapter(config.subgraphs.orders.databaseUrl, 2) });
const servers: { stop(): Promise<void> }[] = [];
after(async () => {
  for (const server of servers) await server.stop();
  await prisma.$disconnect();
});

/** A port nothing listens on (taken, then given back). */
async function closedPortUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}/graphql`;
}

/** Forwards each request to `target` and, once it has answered, drops the connection: the work is done, the answer lost. */
async function answerLosingProxy(target: string): Promise<string> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(([name]) => !["host", "content-length", "connection"].includes(name)),
      );
      fetch(target, { method: "POST", headers: headers as Record<string, string>, body: Buffer.concat(chunks) })
        .then((response) => response.arrayBuffer())
        .catch(() => undefined)
        .finally(() => res.socket?.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push({ stop: () => new Promise((resolve) => server.close(() => resolve())) });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
}

/** An orders subgraph like the stack's, but calling `target` at `url`. */
async function ordersCalling(target: SubgraphName, url: string): Promise<string> {
  const ordersConfig: Config = {
    ...config,
    logLevel: "silent",
    subgraphTimeoutMs: 3_000,
    subgraphs: { ...config.subgraphs, [target]: { ...config.subgraphs[target], url } },
  };
  const server: RunningServer = await createOrdersServer(ordersConfig, createPrisma("orders", ordersConfig, PrismaClient));
  servers.push(server);
  return `http://127.0.0.1:${await server.listen(0)}/graphql`;
}

// Straight to the orders subgraph, where Payment is only a key: the SDK's Checkout selects payments' fields.
const CHECKOUT_AT_ORDERS = `mutation CheckoutAtOrders($input: CheckoutInput!) {
  checkout(input: $input) { __typename ... on CheckoutSuccess { order { id } payment { id } } ... on ErrorResult { message code } }
}`;

const checkoutAt = (url: string, customer: Account, idempotencyKey: string) =>
  gql(
    CHECKOUT_AT_ORDERS,
    { input: { idempotencyKey, shippingAddress: ADDRESS } },
    { url, token: customer.token, headers: serviceHeaders() },
  );

async function cartQuantities(customer: Account): Promise<Record<string, number>> {
  const data = await requestOk(MyCartDocument, {}, { token: customer.token });
  return Object.fromEntries((data.myCart?.items ?? []).map((item) => [item.productId, item.quantity]));
}

async function movementReasons(productId: string): Promise<string[]> {
  const data = await requestOk(AdminStockMovementsDocument, { id: productId }, { token: (await catalogAdmin()).token });
  return (data.product?.stockMovements ?? []).map((m) => m.reason).reverse();
}

describe("inventory cannot be reached", () => {
  let url: string;
  before(async () => {
    url = await ordersCalling("inventory", await closedPortUrl());
  });

  test("UNAVAILABLE; no order, nothing reserved, the cart unchanged and the key free again", async () => {
    const customer = await registerCustomer();
    const product = await stockedProduct(5);
    await addToCart(customer, product, 2);
    const key = randomUUID();
    const error = expectError(await checkoutAt(url, customer, key), "UNAVAILABLE");
    assert.match(error.message, /nothing was reserved or ordered/);
    assert.equal(await prisma.order.count({ where: { customerId: customer.id } }), 0);
    assert.equal(await prisma.checkoutRequest.count({ where: { customerId: customer.id } }), 0);
    assert.deepEqual(await stockOf(product), { onHand: 5, reserved: 0, available: 5 });
    assert.deepEqual(await cartQuantities(customer), { [product]: 2 });
  });
});

describe("inventory reserves but its answer is lost", () => {
  let url: string;
  before(async () => {
    url = await ordersCalling("inventory", await answerLosingProxy(config.subgraphs.inventory.url));
  });

  test("UNAVAILABLE, and the reservation that landed is released by the job checkout queued", async () => {
    const customer = await registerCustomer();
    const product = await stockedProduct(5);
    await addToCart(customer, product, 3);
    expectError(await checkoutAt(url, customer, randomUUID()), "UNAVAILABLE");
    assert.equal(await prisma.order.count({ where: { customerId: customer.id } }), 0);
    await eventually(async () => (await stockOf(product)).reserved === 0, "the release of the orphaned reservation");
    assert.deepEqual(await movementReasons(product), ["RESTOCK", "RESERVATION", "RELEASE"]);
    assert.deepEqual(await cartQuantities(customer), { [product]: 3 });
  });
});

describe("payments cannot be reached", () => {
  let url: string;
  before(async () => {
    url = await ordersCalling("payments", await closedPortUrl());
  });

  test("UNAVAILABLE; the order is cancelled by the system and says why, its stock released, the key free again", async () => {
    const customer = await registerCustomer();
    const product = await stockedProduct(5);
    await addToCart(customer, product, 2);
    const key = randomUUID();
    const error = expectError(await checkoutAt(url, customer, key), "UNAVAILABLE");
    assert.match(error.message, /cancelled and nothing was charged/);
    const orders = await prisma.order.findMany({
      where: { customerId: customer.id },
      include: { statusChanges: { orderBy: { at: "asc" } } },
    });
    assert.equal(orders.length, 1);
    const [order] = orders;
    assert.equal(order!.status, "CANCELLED");
    assert.equal(order!.expiresAt, null);
    assert.deepEqual(
      order!.statusChanges.map((change) => [change.status, change.actorKind, change.note]),
      [
        ["PENDING_PAYMENT", "CUSTOMER", null],
        ["CANCELLED", "SYSTEM", PAYMENT_NOT_STARTED_NOTE],
      ],
    );
    assert.equal(await prisma.checkoutRequest.count({ where: { customerId: customer.id } }), 0);
    await eventually(async () => (await stockOf(product)).reserved === 0, "the cancelled order's release");
    // The cart is emptied only once an order stands.
    assert.deepEqual(await cartQuantities(customer), { [product]: 2 });
  });
});

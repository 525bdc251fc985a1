// Checkout through the router on the real stack: the order and its snapshot, totals, reservation and
// emptied cart; empty carts, short and archived lines; idempotency keys; cancellation before payment;
// expiry of unpaid orders; who may see and cancel an order.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { Queue } from "bullmq";
import { prismaAdapter } from "../lib/database.js";
import { orderExpiryJobId } from "../lib/queues.js";
import { PrismaClient } from "../prisma/orders/__generated__/client.js";
import {
  ArchiveProductDocument,
  CancelOrderDocument,
  CheckoutDocument,
  MyCartDocument,
  MyOrdersDocument,
  OrderDetailsDocument,
  UpdateOrderStatusDocument,
  type CancelOrderMutation,
} from "../sdk/__generated__/graphql.js";
import { catalogAdmin } from "./support/catalog.js";
import { ADDRESS, addToCart, checkoutAs, orderOf, placeOrder, stockOf, stockedProduct, type Placed } from "./support/checkout.js";
import {
  config,
  createAdmin,
  eventually,
  expectError,
  expectErrorResult,
  registerCustomer,
  request,
  requestOk,
  type Account,
} from "./support/client.js";

const prisma = new PrismaClient({ adapter: prismaAdapter(config.subgraphs.orders.databaseUrl, 2) });
const expiryQueue = new Queue("order-expiry", {
  connection: { url: config.redis.url },
  prefix: process.env.REDIS_PREFIX ?? config.redis.prefix,
});
after(async () => {
  await expiryQueue.close();
  await prisma.$disconnect();
});

/** The order's expiry job, once the orders worker's outbox relay has queued it (checkout wrote it with the claim). */
async function expiryJobOf(orderId: string) {
  await eventually(async () => (await expiryQueue.getJob(orderExpiryJobId(orderId))) !== undefined, "the expiry job relayed");
  return (await expiryQueue.getJob(orderExpiryJobId(orderId)))!;
}

/** The rules as the README states them, computed independently of pricing.ts. */
function expectedTotals(subtotal: number) {
  const { shippingFeeAmount, freeShippingMinSubtotal, taxRateBasisPoints } = config.checkout;
  const shipping = subtotal >= freeShippingMinSubtotal ? 0 : shippingFeeAmount;
  const tax = Math.round(((subtotal + shipping) * taxRateBasisPoints) / 10_000);
  return { subtotal, shipping, tax, total: subtotal + shipping + tax };
}

async function cartQuantities(customer: Account): Promise<Record<string, number>> {
  const data = await requestOk(MyCartDocument, {}, { token: customer.token });
  return Object.fromEntries((data.myCart?.items ?? []).map((item) => [item.productId, item.quantity]));
}

type Cancelled = Extract<CancelOrderMutation["cancelOrder"], { __typename: "Order" }>;

async function cancel(who: Account, id: string): Promise<Cancelled> {
  const data = await requestOk(CancelOrderDocument, { id }, { token: who.token });
  assert.equal(data.cancelOrder.__typename, "Order", JSON.stringify(data.cancelOrder));
  return data.cancelOrder as Cancelled;
}

describe("checkout: the happy path up to the payment", () => {
  let customer: Account;
  let lamp: string;
  let desk: string;
  let placed: Placed;

  before(async () => {
    customer = await registerCustomer();
    [lamp, desk] = await Promise.all([stockedProduct(10, 1250), stockedProduct(3, 2000)]);
    await addToCart(customer, lamp, 2);
    await addToCart(customer, desk, 1);
    placed = await placeOrder(customer);
  });

  test("the order snapshots every line and stores subtotal, shipping, tax and total", () => {
    const { order } = placed;
    assert.equal(order.status, "PENDING_PAYMENT");
    assert.equal(order.customer.id, customer.id);
    const lines = Object.fromEntries(order.items.map((item) => [item.product?.id, item]));
    assert.equal(lines[lamp]?.quantity, 2);
    assert.deepEqual(lines[lamp]?.unitPrice, { amount: 1250, currency: "EUR" });
    assert.deepEqual(lines[lamp]?.lineTotal, { amount: 2500, currency: "EUR" });
    assert.equal(lines[desk]?.quantity, 1);
    assert.match(lines[desk]!.productName, /^Test product/);
    const expected = expectedTotals(4500);
    assert.equal(order.subtotal.amount, expected.subtotal);
    assert.equal(order.shippingTotal.amount, expected.shipping);
    assert.equal(order.taxTotal.amount, expected.tax);
    assert.equal(order.total.amount, expected.total);
    assert.equal(order.total.amount, order.subtotal.amount + order.shippingTotal.amount + order.taxTotal.amount);
    assert.deepEqual(order.shippingAddress, ADDRESS);
  });

  test("the payment is for the total and the order expires after UNPAID_ORDER_TTL_SECONDS", () => {
    assert.deepEqual(placed.payment.amount, placed.order.total);
    assert.ok(placed.order.expiresAt);
    const ttlMs = new Date(placed.order.expiresAt).getTime() - Date.now();
    assert.ok(Math.abs(ttlMs - config.checkout.unpaidOrderTtlSeconds * 1000) < 60_000, `expires in ${ttlMs} ms`);
  });

  test("its history starts with PENDING_PAYMENT by the customer; the customer may cancel it", () => {
    assert.deepEqual(
      placed.order.statusHistory.map((change) => [change.status, change.actor.kind, change.actor.user?.id]),
      [["PENDING_PAYMENT", "CUSTOMER", customer.id]],
    );
    assert.deepEqual(placed.order.nextStatuses, ["CANCELLED"]);
  });

  test("the stock is reserved in inventory, line by line", async () => {
    assert.deepEqual(await stockOf(lamp), { onHand: 10, reserved: 2, available: 8 });
    assert.deepEqual(await stockOf(desk), { onHand: 3, reserved: 1, available: 2 });
  });

  test("the cart is emptied of what was ordered", async () => {
    assert.deepEqual(await cartQuantities(customer), {});
  });

  test("the order is in the customer's orders", async () => {
    const data = await requestOk(MyOrdersDocument, {}, { token: customer.token });
    assert.deepEqual(
      data.myOrders.edges.map((edge) => edge.node.id),
      [placed.order.id],
    );
  });
});

describe("checkout: nothing to order", () => {
  test("an empty cart (or none) gives EmptyCartError, and the key can be used once there is something", async () => {
    const customer = await registerCustomer();
    const key = randomUUID();
    expectErrorResult(await checkoutAs(customer, key), "checkout", "EmptyCartError", "EMPTY_CART");
    await addToCart(customer, await stockedProduct(5), 1);
    const placed = await placeOrder(customer, key);
    assert.equal(placed.order.items.length, 1);
  });

  test("bad input is BAD_USER_INPUT naming the field; anonymous callers are UNAUTHENTICATED", async () => {
    const customer = await registerCustomer();
    const send = (input: { idempotencyKey: string; shippingAddress: typeof ADDRESS }) =>
      request(CheckoutDocument, { input }, { token: customer.token });
    for (const idempotencyKey of ["", "x".repeat(101), "schlüssel", "tab\there"]) {
      expectError(await send({ idempotencyKey, shippingAddress: ADDRESS }), "BAD_USER_INPUT", "input.idempotencyKey");
    }
    expectError(
      await send({ idempotencyKey: randomUUID(), shippingAddress: { ...ADDRESS, country: "Germany" } }),
      "BAD_USER_INPUT",
      "input.shippingAddress.country",
    );
    expectError(
      await send({ idempotencyKey: randomUUID(), shippingAddress: { ...ADDRESS, line1: "" } }),
      "BAD_USER_INPUT",
      "input.shippingAddress.line1",
    );
    expectError(await request(CheckoutDocument, { input: { idempotencyKey: "k", shippingAddress: ADDRESS } }), "UNAUTHENTICATED");
    assert.equal(await prisma.order.count({ where: { customerId: customer.id } }), 0);
  });
});

describe("checkout: lines that cannot be ordered", () => {
  test("one line short: nothing is reserved and every short line is listed with what is available", async () => {
    const customer = await registerCustomer();
    const [plenty, few, none] = await Promise.all([stockedProduct(5), stockedProduct(1), stockedProduct(0)]);
    await addToCart(customer, plenty, 2);
    await addToCart(customer, few, 3);
    await addToCart(customer, none, 1);
    const result = expectErrorResult(await checkoutAs(customer), "checkout", "CheckoutStockError", "INSUFFICIENT_STOCK");
    const lines = (result.lines as { productId: string; requested: number; available: number }[])
      .map(({ productId, requested, available }) => ({ productId, requested, available }))
      .sort((a, b) => (a.productId < b.productId ? -1 : 1));
    assert.deepEqual(
      lines,
      [
        { productId: few, requested: 3, available: 1 },
        { productId: none, requested: 1, available: 0 },
      ].sort((a, b) => (a.productId < b.productId ? -1 : 1)),
    );
    for (const id of [plenty, few, none]) assert.equal((await stockOf(id)).reserved, 0);
    assert.deepEqual(await cartQuantities(customer), { [plenty]: 2, [few]: 3, [none]: 1 });
    assert.equal(await prisma.order.count({ where: { customerId: customer.id } }), 0);
  });

  test("a product archived after it was added: CheckoutStockError with nothing available, nothing reserved", async () => {
    const customer = await registerCustomer();
    const [kept, archived] = await Promise.all([stockedProduct(5), stockedProduct(5)]);
    await addToCart(customer, kept, 1);
    await addToCart(customer, archived, 1);
    await requestOk(ArchiveProductDocument, { id: archived }, { token: (await catalogAdmin()).token });
    const result = expectErrorResult(await checkoutAs(customer), "checkout", "CheckoutStockError", "INSUFFICIENT_STOCK");
    assert.deepEqual(
      (result.lines as { productId: string; available: number }[]).map(({ productId, available }) => ({ productId, available })),
      [{ productId: archived, available: 0 }],
    );
    assert.equal((await stockOf(kept)).reserved, 0);
  });
});

describe("checkout: idempotency keys", () => {
  test("the same key in sequence returns the same order and payment, reserving once", async () => {
    const customer = await registerCustomer();
    const product = await stockedProduct(10);
    await addToCart(customer, product, 2);
    const key = randomUUID();
    const first = await placeOrder(customer, key);
    // Something new in the cart does not change what the key answers.
    await addToCart(customer, product, 1);
    const second = await placeOrder(customer, key);
    assert.equal(second.order.id, first.order.id);
    assert.equal(second.payment.id, first.payment.id);
    assert.deepEqual(second.order.items, first.order.items);
    assert.equal((await stockOf(product)).reserved, 2);
    assert.equal(await prisma.order.count({ where: { customerId: customer.id } }), 1);
    assert.deepEqual(await cartQuantities(customer), { [product]: 1 });
  });

  test("the same key five times at once gives one order", async () => {
    const customer = await registerCustomer();
    const product = await stockedProduct(10);
    await addToCart(customer, product, 3);
    const key = randomUUID();
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => placeOrder(customer, key)));
    assert.equal(new Set(outcomes.map((o) => o.order.id)).size, 1);
    assert.equal(new Set(outcomes.map((o) => o.payment.id)).size, 1);
    assert.equal(await prisma.order.count({ where: { customerId: customer.id } }), 1);
    assert.equal((await stockOf(product)).reserved, 3);
  });

  test("another customer using the same key gets an order of their own", async () => {
    const [ada, bob] = await Promise.all([registerCustomer(), registerCustomer()]);
    const product = await stockedProduct(10);
    await addToCart(ada, product, 1);
    await addToCart(bob, product, 2);
    const key = "shared-key-" + randomUUID();
    const [adas, bobs] = await Promise.all([placeOrder(ada, key), placeOrder(bob, key)]);
    assert.notEqual(adas.order.id, bobs.order.id);
    assert.equal(adas.order.customer.id, ada.id);
    assert.equal(bobs.order.customer.id, bob.id);
    assert.equal(bobs.order.items[0]?.quantity, 2);
  });
});

describe("cancelling and expiring unpaid orders", () => {
  let customer: Account;
  let stranger: Account;
  let admin: Account;

  before(async () => {
    [customer, stranger, admin] = await Promise.all([registerCustomer(), registerCustomer(), createAdmin()]);
  });

  async function placedWith(units: number) {
    const product = await stockedProduct(10);
    await addToCart(customer, product, units);
    return { product, placed: await placeOrder(customer) };
  }

  test("another customer gets NOT_FOUND from cancelOrder (and FORBIDDEN from order), and nothing changes", async () => {
    const { product, placed } = await placedWith(1);
    expectError(await request(CancelOrderDocument, { id: placed.order.id }, { token: stranger.token }), "NOT_FOUND");
    expectError(await request(OrderDetailsDocument, { id: placed.order.id }, { token: stranger.token }), "FORBIDDEN");
    for (const id of [randomUUID(), "not-an-id"]) {
      expectError(await request(CancelOrderDocument, { id }, { token: customer.token }), "NOT_FOUND");
    }
    expectError(await request(CancelOrderDocument, { id: placed.order.id }), "UNAUTHENTICATED");
    assert.equal((await orderOf(customer, placed.order.id)).status, "PENDING_PAYMENT");
    assert.equal((await stockOf(product)).reserved, 1);
  });

  test("the customer cancels before paying: CANCELLED, stock released, a second cancel refused", async () => {
    const { product, placed } = await placedWith(2);
    const cancelled = await cancel(customer, placed.order.id);
    assert.equal(cancelled.status, "CANCELLED");
    assert.equal(cancelled.expiresAt, null);
    assert.deepEqual(cancelled.nextStatuses, []);
    assert.deepEqual(cancelled.statusHistory.at(-1)?.actor, { kind: "CUSTOMER", user: { id: customer.id } });
    await eventually(async () => (await stockOf(product)).reserved === 0, "the reservation's release");
    assert.deepEqual(await stockOf(product), { onHand: 10, reserved: 0, available: 10 });

    const again = await requestOk(CancelOrderDocument, { id: placed.order.id }, { token: customer.token });
    assert.equal(again.cancelOrder.__typename, "InvalidStatusTransitionError");
    assert.deepEqual(again.cancelOrder.__typename === "InvalidStatusTransitionError" && [again.cancelOrder.from, again.cancelOrder.to], [
      "CANCELLED",
      "CANCELLED",
    ]);
    assert.equal((await orderOf(customer, placed.order.id)).statusHistory.length, 2);
  });

  test("an administrator cancels a customer's order, recorded as ADMIN", async () => {
    const { placed } = await placedWith(1);
    const cancelled = await cancel(admin, placed.order.id);
    assert.equal(cancelled.status, "CANCELLED");
    assert.deepEqual(cancelled.statusHistory.at(-1)?.actor.kind, "ADMIN");
    // The customer sees that an administrator acted, not which one.
    const seen = await orderOf(customer, placed.order.id);
    assert.deepEqual(seen.statusHistory.at(-1)?.actor, { kind: "ADMIN", user: null });
  });

  test("invalid moves are refused: shipping an unpaid order, cancelling with updateOrderStatus, cancelling a shipped order", async () => {
    const { placed } = await placedWith(1);
    for (const status of ["SHIPPED", "CANCELLED", "PAID"] as const) {
      const data = await requestOk(UpdateOrderStatusDocument, { id: placed.order.id, status }, { token: admin.token });
      assert.equal(data.updateOrderStatus.__typename, "InvalidStatusTransitionError", status);
    }
    const shipped = await prisma.order.create({
      data: {
        customerId: customer.id,
        status: "SHIPPED",
        currency: "EUR",
        subtotalAmount: 1000,
        totalAmount: 1000,
        items: { create: [{ productId: randomUUID(), productName: "Shipped thing", unitAmount: 1000, quantity: 1 }] },
      },
    });
    for (const who of [customer, admin]) {
      const data = await requestOk(CancelOrderDocument, { id: shipped.id }, { token: who.token });
      assert.equal(data.cancelOrder.__typename, "InvalidStatusTransitionError");
      if (data.cancelOrder.__typename === "InvalidStatusTransitionError") {
        assert.equal(data.cancelOrder.from, "SHIPPED");
        assert.equal(data.cancelOrder.code, "INVALID_STATUS_TRANSITION");
      }
    }
    assert.equal((await prisma.order.findUniqueOrThrow({ where: { id: shipped.id } })).status, "SHIPPED");
    assert.equal((await orderOf(customer, placed.order.id)).status, "PENDING_PAYMENT");
  });

  test("an unpaid order expires: CANCELLED by the system with a note, its stock released", async () => {
    const { product, placed } = await placedWith(3);
    const job = await expiryJobOf(placed.order.id);
    assert.ok(await job.isDelayed());
    await job.promote();
    await eventually(async () => (await orderOf(customer, placed.order.id)).status === "CANCELLED", "the order's expiry");
    const expired = await orderOf(customer, placed.order.id);
    const last = expired.statusHistory.at(-1)!;
    assert.deepEqual([last.status, last.actor.kind, last.actor.user], ["CANCELLED", "SYSTEM", null]);
    assert.match(last.note ?? "", /^Not paid within \d+ (minutes|seconds)\.$/);
    assert.equal(expired.expiresAt, null);
    await eventually(async () => (await stockOf(product)).reserved === 0, "the expired order's release");
  });

  test("an expiry that comes after the order was cancelled changes nothing", async () => {
    const { product, placed } = await placedWith(1);
    await cancel(customer, placed.order.id);
    const job = await expiryJobOf(placed.order.id);
    await job.promote();
    await eventually(async () => (await job.isCompleted()) || (await job.isFailed()), "the expiry job");
    assert.ok(await job.isCompleted());
    const order = await orderOf(customer, placed.order.id);
    assert.equal(order.statusHistory.length, 2);
    assert.deepEqual(await stockOf(product), { onHand: 10, reserved: 0, available: 10 });
  });
});

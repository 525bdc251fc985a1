// The whole purchase through the router, with the run's Stripe emulator over HTTP and the real webhook:
// checkout, confirmation with the client secret (as a browser would), the webhook, PAID, the sale in the
// ledger; a declined card then a good one; cancelling after payment (refund in Stripe, stock returned);
// money that arrives after the order was cancelled (refunded automatically); a refund that overtakes
// the payment's own event.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, describe, test } from "node:test";
import { Queue } from "bullmq";
import Stripe from "stripe";
import { prismaAdapter } from "../lib/database.js";
import type { PaymentEventJobData, PaymentEventJobName } from "../lib/queues.js";
import { createStripeClient, stripeHostOptions } from "../lib/stripe.js";
import { PrismaClient as InventoryPrisma } from "../prisma/inventory/__generated__/client.js";
import { AdminStockMovementsDocument, CancelOrderDocument } from "../sdk/__generated__/graphql.js";
import { AUTO_REFUND_NOTE, PAID_BY_REFUND_NOTE } from "../subgraphs/orders/src/orderEvents.js";
import { findLedgerMismatches } from "../subgraphs/inventory/src/inventory.js";
import { catalogAdmin } from "./support/catalog.js";
import { addToCart, orderOf, placeOrder, stockOf, stockedProduct, type Placed } from "./support/checkout.js";
import { emulator } from "./support/stripeEmulator.js";
import { config, eventually, registerCustomer, requestOk, type Account } from "./support/client.js";

const inventory = new InventoryPrisma({ adapter: prismaAdapter(config.subgraphs.inventory.databaseUrl, 2) });
after(() => inventory.$disconnect());

/** The shop's server-side client (refunds, listing). */
const stripe = createStripeClient(config);
/** What Stripe.js does in a browser: a publishable key, with the PaymentIntent's client secret as proof. */
const browser = new Stripe("pk_test_shopgraph_storefront", stripeHostOptions(config.stripe.apiUrl!));

async function confirm(placed: Placed, paymentMethod: string): Promise<Stripe.PaymentIntent> {
  const { providerPaymentId, clientSecret } = placed.payment;
  assert.ok(providerPaymentId && clientSecret, "the customer gets the PaymentIntent and its client secret");
  // client_secret is how Stripe.js confirms; the server SDK's types leave it out.
  const params = { payment_method: paymentMethod, client_secret: clientSecret } as Stripe.PaymentIntentConfirmParams;
  return browser.paymentIntents.confirm(providerPaymentId, params);
}

async function reasons(productId: string): Promise<string[]> {
  const data = await requestOk(AdminStockMovementsDocument, { id: productId }, { token: (await catalogAdmin()).token });
  return (data.product?.stockMovements ?? []).map((m) => m.reason).reverse();
}

const statusOf = async (customer: Account, id: string) => (await orderOf(customer, id)).status;

async function paidOrder(units = 1) {
  const customer = await registerCustomer();
  const product = await stockedProduct(10);
  await addToCart(customer, product, units);
  const placed = await placeOrder(customer);
  await confirm(placed, "pm_card_visa");
  await eventually(async () => (await statusOf(customer, placed.order.id)) === "PAID", "the payment webhook");
  await eventually(async () => (await reasons(product)).includes("SALE"), "the sale in the ledger");
  return { customer, product, placed };
}

describe("the whole journey", () => {
  test("register, two products, checkout, confirm with pm_card_visa: PAID by the webhook, a SALE in the ledger", async () => {
    const customer = await registerCustomer();
    const [lamp, desk] = await Promise.all([stockedProduct(10, 1250), stockedProduct(4, 3000)]);
    await addToCart(customer, lamp, 2);
    await addToCart(customer, desk, 1);
    const placed = await placeOrder(customer);
    assert.equal(placed.payment.status, "REQUIRES_PAYMENT");
    assert.deepEqual(placed.payment.amount, placed.order.total);

    const intent = await confirm(placed, "pm_card_visa");
    assert.equal(intent.status, "succeeded");
    assert.equal(intent.amount, placed.order.total.amount);

    await eventually(async () => (await statusOf(customer, placed.order.id)) === "PAID", "the order paid by the webhook");
    const paid = await orderOf(customer, placed.order.id);
    assert.equal(paid.expiresAt, null);
    assert.deepEqual(
      paid.statusHistory.map((change) => [change.status, change.actor.kind]),
      [
        ["PENDING_PAYMENT", "CUSTOMER"],
        ["PAID", "SYSTEM"],
      ],
    );
    assert.deepEqual(paid.nextStatuses, ["CANCELLED"]);
    await eventually(async () => (await stockOf(lamp)).onHand === 8 && (await stockOf(desk)).onHand === 3, "the sale committed");
    assert.deepEqual(await stockOf(lamp), { onHand: 8, reserved: 0, available: 8 });
    assert.deepEqual(await stockOf(desk), { onHand: 3, reserved: 0, available: 3 });
    assert.deepEqual(await reasons(lamp), ["RESTOCK", "RESERVATION", "SALE"]);
    assert.deepEqual(await findLedgerMismatches(inventory, [lamp, desk]), []);
    assert.equal((await orderOf(customer, placed.order.id)).payments[0]?.status, "SUCCEEDED");
  });

  test("a declined card leaves the order payable; the same PaymentIntent then succeeds with another card", async () => {
    const customer = await registerCustomer();
    const product = await stockedProduct(5);
    await addToCart(customer, product, 1);
    const placed = await placeOrder(customer);
    await assert.rejects(confirm(placed, "pm_card_chargeDeclined"), (error: Stripe.errors.StripeError) => error.code === "card_declined");
    await eventually(
      async () => (await orderOf(customer, placed.order.id)).payments[0]?.status === "FAILED",
      "the failed payment recorded",
    );
    assert.equal(await statusOf(customer, placed.order.id), "PENDING_PAYMENT");
    assert.equal((await stockOf(product)).reserved, 1);

    await confirm(placed, "pm_card_visa");
    await eventually(async () => (await statusOf(customer, placed.order.id)) === "PAID", "the second attempt paid");
    await eventually(async () => (await stockOf(product)).onHand === 4, "the sale committed");
  });
});

describe("payment events replayed or partial (as the payments subgraph publishes them)", () => {
  const paymentEvents = new Queue<PaymentEventJobData, void, PaymentEventJobName>("payment-events", {
    connection: { url: config.redis.url },
    prefix: config.redis.prefix,
  });
  after(() => paymentEvents.close());

  /** Publishes an event under a new event id (so the payments side's dedup cannot hide it) and waits for the orders worker. */
  async function publish(name: PaymentEventJobName, data: Omit<PaymentEventJobData, "eventId">): Promise<void> {
    const job = await paymentEvents.add(name, { ...data, eventId: `evt_test_${randomUUID()}` });
    await eventually(async () => (await job.isCompleted()) || (await job.isFailed()), `the ${name} event applied`);
    assert.ok(await job.isCompleted(), job.failedReason);
  }

  test("a second success changes nothing; a partial refund moves no status", async () => {
    const { customer, product, placed } = await paidOrder(2);
    const event = {
      orderId: placed.order.id,
      paymentId: placed.payment.id,
      providerPaymentId: placed.payment.providerPaymentId!,
      amount: placed.order.total.amount,
      currency: placed.order.total.currency,
      refundedAmount: 0,
    };
    const before = await orderOf(customer, placed.order.id);
    await publish("succeeded", event);
    await publish("failed", event);
    await publish("refunded", { ...event, refundedAmount: event.amount - 1 });
    const after = await orderOf(customer, placed.order.id);
    assert.equal(after.status, "PAID");
    assert.deepEqual(after.statusHistory, before.statusHistory);
    assert.deepEqual(await stockOf(product), { onHand: 8, reserved: 0, available: 8 });
    assert.deepEqual(await reasons(product), ["RESTOCK", "RESERVATION", "SALE"]);
  });
});

describe("money after cancellation", () => {
  test("cancelling a paid order refunds it in Stripe, returns its stock and ends REFUNDED", async () => {
    const { customer, product, placed } = await paidOrder(2);
    const data = await requestOk(CancelOrderDocument, { id: placed.order.id }, { token: customer.token });
    assert.equal(data.cancelOrder.__typename, "Order", JSON.stringify(data.cancelOrder));

    const refunds = await stripe.refunds.list({ payment_intent: placed.payment.providerPaymentId! });
    assert.equal(refunds.data.length, 1);
    assert.equal(refunds.data[0]?.amount, placed.order.total.amount);

    await eventually(async () => (await statusOf(customer, placed.order.id)) === "REFUNDED", "the refund event");
    await eventually(async () => (await stockOf(product)).onHand === 10, "the stock returned");
    assert.deepEqual(await stockOf(product), { onHand: 10, reserved: 0, available: 10 });
    assert.deepEqual(await reasons(product), ["RESTOCK", "RESERVATION", "SALE", "RETURN"]);
    assert.deepEqual(await findLedgerMismatches(inventory, [product]), []);
    const history = (await orderOf(customer, placed.order.id)).statusHistory.map((change) => [change.status, change.actor.kind]);
    assert.deepEqual(history, [
      ["PENDING_PAYMENT", "CUSTOMER"],
      ["PAID", "SYSTEM"],
      ["CANCELLED", "CUSTOMER"],
      ["REFUNDED", "SYSTEM"],
    ]);
    // Cancelling again changes nothing, and no second refund is made.
    const again = await requestOk(CancelOrderDocument, { id: placed.order.id }, { token: customer.token });
    assert.equal(again.cancelOrder.__typename, "InvalidStatusTransitionError");
    assert.equal((await stripe.refunds.list({ payment_intent: placed.payment.providerPaymentId! })).data.length, 1);
  });

  test("a payment whose event arrives after the order was cancelled is refunded automatically, and the order says so", async () => {
    const customer = await registerCustomer();
    const product = await stockedProduct(10);
    await addToCart(customer, product, 3);
    const placed = await placeOrder(customer);
    await emulator("/deliveries/pause", "POST");
    try {
      // The customer pays; the webhook is late. Meanwhile the order is cancelled.
      await confirm(placed, "pm_card_visa");
      const data = await requestOk(CancelOrderDocument, { id: placed.order.id }, { token: customer.token });
      assert.equal(data.cancelOrder.__typename, "Order");
    } finally {
      await emulator("/deliveries/resume", "POST");
    }
    await eventually(async () => (await statusOf(customer, placed.order.id)) === "REFUNDED", "the automatic refund");
    const refunds = await stripe.refunds.list({ payment_intent: placed.payment.providerPaymentId! });
    assert.equal(refunds.data.length, 1);
    assert.equal(refunds.data[0]?.amount, placed.order.total.amount);
    const order = await orderOf(customer, placed.order.id);
    assert.ok(
      order.statusHistory.some((change) => change.note === AUTO_REFUND_NOTE),
      JSON.stringify(order.statusHistory),
    );
    // Never sold: the reservation was released and nothing left onHand.
    await eventually(async () => (await stockOf(product)).reserved === 0, "the release");
    assert.deepEqual(await stockOf(product), { onHand: 10, reserved: 0, available: 10 });
    assert.ok(!(await reasons(product)).includes("SALE"));
  });

  test("a refund whose event overtakes the payment's: paid and refunded at once, stock back, the late success changes nothing", async () => {
    const customer = await registerCustomer();
    const product = await stockedProduct(10);
    await addToCart(customer, product, 2);
    const placed = await placeOrder(customer);
    const intentId = placed.payment.providerPaymentId!;
    await emulator("/deliveries/pause", "POST");
    try {
      await confirm(placed, "pm_card_visa");
      await emulator("/refunds", "POST", { payment_intent: intentId });
      const held = (await emulator<{ data: string[] }>("/deliveries/held")).data;
      assert.ok(held.length >= 2, `held events: ${held.join(", ")}`);
      // Newest first: the refund before the success.
      await emulator("/deliveries/release", "POST", { events: [...held].reverse() });
    } finally {
      await emulator("/deliveries/resume", "POST");
    }
    await eventually(async () => (await statusOf(customer, placed.order.id)) === "REFUNDED", "the refund applied");
    await eventually(async () => (await stockOf(product)).reserved === 0, "the reservation given back");
    // Let the late success be processed too, then check nothing was sold or refunded twice.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const order = await orderOf(customer, placed.order.id);
    assert.equal(order.status, "REFUNDED");
    assert.deepEqual(
      order.statusHistory.map((change) => [change.status, change.note]),
      [
        ["PENDING_PAYMENT", null],
        ["PAID", PAID_BY_REFUND_NOTE],
        ["REFUNDED", null],
      ],
    );
    assert.deepEqual(await stockOf(product), { onHand: 10, reserved: 0, available: 10 });
    assert.deepEqual(await findLedgerMismatches(inventory, [product]), []);
    assert.equal((await stripe.refunds.list({ payment_intent: intentId })).data.length, 1);
  });
});

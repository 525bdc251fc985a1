// Stripe payments end to end: the orders service starts, cancels and refunds payments on the payments subgraph
// (signed service calls); the customer confirms with the real `stripe` SDK against the run's Stripe emulator; the
// emulator's signed webhooks reach payments through the router; payment-events jobs go to the orders worker.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import Stripe from "stripe";
import { prismaAdapter } from "../lib/database.js";
import { createLogger } from "../lib/logger.js";
import { QUEUE_NAMES, createQueue, paymentEventJobId } from "../lib/queues.js";
import { EMULATOR_TEST_KEY, createStripeClient } from "../lib/stripe.js";
import { PrismaClient } from "../prisma/payments/__generated__/client.js";
import { createPaymentsServer } from "../subgraphs/payments/src/server.js";
import { PaymentStatusDocument } from "../sdk/__generated__/graphql.js";
import {
  config,
  createAdmin,
  expectError,
  gql,
  registerCustomer,
  request,
  requestOk,
  serviceHeaders,
  subgraphUrl,
  type Account,
} from "./support/client.js";

const prisma = new PrismaClient({ adapter: prismaAdapter(config.subgraphs.payments.databaseUrl, 2) });
const log = createLogger("payments-test", "warn");
/** The queue the payments subgraph publishes to, under this run's REDIS_PREFIX. */
const paymentEvents = createQueue(QUEUE_NAMES.paymentEvents, config, log);
/** The customer's side: the real SDK, pointed at the run's emulator as payments' own client is. */
const stripe = createStripeClient(config, { maxNetworkRetries: 0 });
const PAYMENTS = subgraphUrl("payments");

after(async () => {
  await paymentEvents.close();
  await prisma.$disconnect();
});

// ---------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------

const PAYMENT_FIELDS = "id status providerPaymentId failureCode refundedAmount { amount currency } amount { amount currency }";
const START = `mutation Start($orderId: ID!, $customerId: ID!, $amount: Int!, $currency: String!) {
  startPayment(orderId: $orderId, customerId: $customerId, amount: $amount, currency: $currency) { ${PAYMENT_FIELDS} } }`;
const CANCEL = `mutation Cancel($orderId: ID!) { cancelPayment(orderId: $orderId) { ${PAYMENT_FIELDS} } }`;
const REFUND = `mutation Refund($orderId: ID!, $reason: String) { refundPayment(orderId: $orderId, reason: $reason) { ${PAYMENT_FIELDS} } }`;

interface PaymentResult {
  id: string;
  status: string;
  providerPaymentId: string | null;
  failureCode: string | null;
  refundedAmount: { amount: number; currency: string };
  amount: { amount: number; currency: string };
}

/** A service call to the payments subgraph signed as `caller` (the orders subgraph by default). */
const asService = <T>(query: string, variables: Record<string, unknown>, caller: "orders" | "router" | "carts" = "orders") =>
  gql<T>(query, variables, { url: PAYMENTS, headers: serviceHeaders(caller) });

async function startPayment(customerId: string, orderId = randomUUID(), amount = 4200, currency = "EUR"): Promise<PaymentResult> {
  const result = await asService<{ startPayment: PaymentResult }>(START, { orderId, customerId, amount, currency });
  assert.equal(result.errors, undefined, JSON.stringify(result.errors));
  return result.data.startPayment;
}

/** The run's emulator test controls (/_emulator/...), with the key the stack gave it. */
async function emulator<T = unknown>(path: string, method = "GET", body?: unknown): Promise<T> {
  const response = await fetch(`${config.stripe.apiUrl}/_emulator${path}`, {
    method,
    headers: { authorization: `Bearer ${config.stripe.secretKey ?? EMULATOR_TEST_KEY}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.ok(response.ok, `${method} /_emulator${path}: ${response.status} ${await response.clone().text()}`);
  return (await response.json()) as T;
}

async function eventsOf(intentId: string, type?: string): Promise<Stripe.Event[]> {
  const all = await stripe.events.list({ limit: 100, ...(type ? { type } : {}) }).autoPagingToArray({ limit: 10_000 });
  return all.filter(
    (event) =>
      (event.data.object as { id?: string; payment_intent?: string }).id === intentId ||
      (event.data.object as { payment_intent?: string }).payment_intent === intentId,
  );
}

const paymentRow = (id: string) => prisma.payment.findUniqueOrThrow({ where: { id } });

// ---------------------------------------------------------------------------------------------------------------
// startPayment
// ---------------------------------------------------------------------------------------------------------------

describe("startPayment (orders service only)", () => {
  let customer: Account;
  before(async () => {
    customer = await registerCustomer("Payer");
  });

  it("creates one PaymentIntent for the order, with the order in its metadata, and returns it again when repeated", async () => {
    const orderId = randomUUID();
    const first = await startPayment(customer.id, orderId, 4200, "eur");
    assert.match(first.providerPaymentId ?? "", /^pi_\w+$/);
    assert.equal(first.status, "REQUIRES_PAYMENT");
    assert.deepEqual(first.amount, { amount: 4200, currency: "EUR" });
    assert.deepEqual(first.refundedAmount, { amount: 0, currency: "EUR" });
    const intent = await stripe.paymentIntents.retrieve(first.providerPaymentId!);
    assert.equal(intent.amount, 4200);
    assert.equal(intent.currency, "eur");
    assert.equal(intent.status, "requires_payment_method");
    assert.deepEqual(intent.metadata, { order_id: orderId, customer_id: customer.id, payment_id: first.id });

    const again = await startPayment(customer.id, orderId, 4200, "EUR");
    assert.deepEqual(again, first);
    assert.equal(await prisma.payment.count({ where: { orderId } }), 1);
    assert.equal((await eventsOf(first.providerPaymentId!, "payment_intent.created")).length, 1);
  });

  it("gives concurrent calls for one order the same payment and one PaymentIntent", async () => {
    const orderId = randomUUID();
    const results = await Promise.all(Array.from({ length: 12 }, () => startPayment(customer.id, orderId)));
    assert.equal(new Set(results.map((payment) => payment.id)).size, 1);
    assert.equal(new Set(results.map((payment) => payment.providerPaymentId)).size, 1);
    assert.equal(await prisma.payment.count({ where: { orderId } }), 1);
    const created = await stripe.events.list({ type: "payment_intent.created", limit: 100 }).autoPagingToArray({ limit: 10_000 });
    assert.equal(created.filter((event) => (event.data.object as Stripe.PaymentIntent).metadata.order_id === orderId).length, 1);
  });

  it("refuses other callers, calls without a service assertion, and the public API", async () => {
    const orderId = randomUUID();
    const variables = { orderId, customerId: customer.id, amount: 100, currency: "EUR" };
    for (const caller of ["router", "carts"] as const) expectError(await asService(START, variables, caller), "FORBIDDEN");
    for (const mutation of [CANCEL, REFUND]) expectError(await asService(mutation, { orderId }, "router"), "FORBIDDEN");
    const unsigned = await fetch(PAYMENTS, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: START, variables }),
    });
    assert.equal(unsigned.status, 401);
    // @inaccessible: the router's schema has no such field, even for a signed-in customer.
    expectError(await gql(START, variables, { token: customer.token }), "GRAPHQL_VALIDATION_FAILED");
    assert.equal(await prisma.payment.count({ where: { orderId } }), 0);
  });

  it("refuses malformed input and a second, different payment for the same order", async () => {
    const orderId = randomUUID();
    const cases: [Record<string, unknown>, string][] = [
      [{ orderId: "order-1" }, "orderId"],
      [{ customerId: "x" }, "customerId"],
      [{ amount: 0 }, "amount"],
      [{ amount: -100 }, "amount"],
      [{ amount: 100_000_000 }, "amount"],
      [{ currency: "euro" }, "currency"],
      [{ currency: "€€€" }, "currency"],
    ];
    for (const [change, field] of cases) {
      const result = await asService(START, { orderId, customerId: customer.id, amount: 100, currency: "EUR", ...change });
      expectError(result, "BAD_USER_INPUT", field);
    }
    await startPayment(customer.id, orderId, 100);
    const other = await registerCustomer();
    expectError(await asService(START, { orderId, customerId: customer.id, amount: 101, currency: "EUR" }), "CONFLICT");
    expectError(await asService(START, { orderId, customerId: other.id, amount: 100, currency: "EUR" }), "CONFLICT");
    assert.equal(await prisma.payment.count({ where: { orderId } }), 1);
  });

  it("shows the client secret to the paying customer only, while the payment is payable", async () => {
    const payment = await startPayment(customer.id);
    const intent = await stripe.paymentIntents.retrieve(payment.providerPaymentId!);
    const mine = await requestOk(PaymentStatusDocument, { id: payment.id }, { token: customer.token });
    assert.equal(mine.payment?.clientSecret, intent.client_secret);
    assert.equal(mine.payment?.providerPaymentId, intent.id);
    const admin = await createAdmin();
    const seenByAdmin = await requestOk(PaymentStatusDocument, { id: payment.id }, { token: admin.token });
    assert.equal(seenByAdmin.payment?.id, payment.id);
    assert.equal(seenByAdmin.payment?.clientSecret, null);
    const stranger = await registerCustomer();
    const refused = await request(PaymentStatusDocument, { id: payment.id }, { token: stranger.token });
    expectError(refused, "FORBIDDEN");
    assert.equal(refused.data?.payment ?? null, null);
    expectError(await request(PaymentStatusDocument, { id: payment.id }), "UNAUTHENTICATED");
  });

  it("answers UNAVAILABLE when Stripe cannot be reached, and the retry later creates the one PaymentIntent", async () => {
    // A second payments server in this process, whose Stripe is a closed port.
    const offline = await createPaymentsServer({
      ...config,
      logLevel: "silent",
      stripe: { ...config.stripe, apiUrl: "http://127.0.0.1:9" },
    });
    const port = await offline.listen(0);
    try {
      const orderId = randomUUID();
      const variables = { orderId, customerId: customer.id, amount: 999, currency: "EUR" };
      const result = await gql(START, variables, { url: `http://127.0.0.1:${port}/graphql`, headers: serviceHeaders("orders") });
      expectError(result, "UNAVAILABLE");
      const row = await prisma.payment.findUniqueOrThrow({ where: { orderId } });
      assert.equal(row.providerPaymentId, null);
      const retried = await startPayment(customer.id, orderId, 999);
      assert.equal(retried.id, row.id);
      assert.match(retried.providerPaymentId ?? "", /^pi_/);
    } finally {
      await offline.stop();
      offline.httpServer.close();
    }
  });
});

export { emulator, paymentEvents, paymentEventJobId, paymentRow };

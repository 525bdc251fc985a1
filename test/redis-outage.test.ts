// The headline: Redis unreachable during a checkout. `npm test` runs the whole stack (subgraphs,
// workers, router) and this process through a TCP proxy to Redis that the test closes and reopens
// (test/support/redisOutage.ts); the machine's Redis keeps running. With Redis away, the order and the
// payment still commit and their follow-ups wait in the subgraphs' outboxes; once Redis is back every
// follow-up (stock commit, emails, availability) happens, each once.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { Queue } from "bullmq";
import Stripe from "stripe";
import { prismaAdapter } from "../lib/database.js";
import { emailJobId, type EmailJobData } from "../lib/queues.js";
import { stripeHostOptions } from "../lib/stripe.js";
import { PrismaClient as InventoryPrisma } from "../prisma/inventory/__generated__/client.js";
import { PrismaClient as OrdersPrisma } from "../prisma/orders/__generated__/client.js";
import { PrismaClient as PaymentsPrisma } from "../prisma/payments/__generated__/client.js";
import { PrismaClient as ProductsPrisma } from "../prisma/products/__generated__/client.js";
import { addToCart, placeOrder, stockOf, stockedProduct, type Placed } from "./support/checkout.js";
import { config, eventually, registerCustomer } from "./support/client.js";
import { withRedisDown } from "./support/redisOutage.js";

const orders = new OrdersPrisma({ adapter: prismaAdapter(config.subgraphs.orders.databaseUrl, 2) });
const payments = new PaymentsPrisma({ adapter: prismaAdapter(config.subgraphs.payments.databaseUrl, 2) });
const inventory = new InventoryPrisma({ adapter: prismaAdapter(config.subgraphs.inventory.databaseUrl, 2) });
const products = new ProductsPrisma({ adapter: prismaAdapter(config.subgraphs.products.databaseUrl, 2) });
const queue = (name: string) => new Queue(name, { connection: { url: config.redis.url }, prefix: config.redis.prefix });
const [emails, paymentEvents, availability] = [queue("email"), queue("payment-events"), queue("stock-availability")];
after(async () => {
  await Promise.all([emails, paymentEvents, availability].map((q) => q.close()));
  await Promise.all([orders, payments, inventory, products].map((p) => p.$disconnect()));
});

/** What Stripe.js does in the customer's browser. */
const browser = new Stripe("pk_test_shopgraph_storefront", stripeHostOptions(config.stripe.apiUrl!));
function pay(placed: Placed) {
  const { providerPaymentId, clientSecret } = placed.payment;
  const params = { payment_method: "pm_card_visa", client_secret: clientSecret } as Stripe.PaymentIntentConfirmParams;
  return browser.paymentIntents.confirm(providerPaymentId!, params);
}

const ALL_STATES = ["waiting", "active", "completed", "failed", "delayed", "prioritized"] as const;

async function jobsWhere<T>(q: Queue, match: (data: T) => boolean) {
  return (await q.getJobs([...ALL_STATES], 0, -1)).filter((job) => match(job.data as T));
}

test("Redis unreachable during a checkout: order and payment commit, and every follow-up happens once after Redis returns", async () => {
  const product = await stockedProduct(5);
  const customer = await registerCustomer("Outage Customer");
  await addToCart(customer, product, 2);

  const placed = await withRedisDown(async () => {
    const placed = await placeOrder(customer);
    const orderId = placed.order.id;
    assert.equal((await pay(placed)).status, "succeeded");
    await eventually(
      async () => (await payments.payment.findUnique({ where: { orderId } }))?.status === "SUCCEEDED",
      "the payment recorded (the webhook answered without Redis)",
    );
    // Everything that follows waits in the outboxes, written with the changes it follows.
    const order = await orders.order.findUniqueOrThrow({ where: { id: orderId } });
    assert.equal(order.status, "PENDING_PAYMENT", "orders cannot hear of the payment yet");
    const waitingInOrders = await orders.outboxEvent.findMany({ where: { sentAt: null, data: { path: ["orderId"], equals: orderId } } });
    assert.deepEqual(waitingInOrders.map((row) => `${row.queue}/${row.jobName}`).sort(), [
      "email/order-confirmation",
      "order-expiry/expire",
    ]);
    const waitingInPayments = await payments.outboxEvent.findMany({
      where: { sentAt: null, data: { path: ["orderId"], equals: orderId } },
    });
    assert.deepEqual(
      waitingInPayments.map((row) => `${row.queue}/${row.jobName}`),
      ["payment-events/succeeded"],
    );
    const waitingInInventory = await inventory.outboxEvent.count({
      where: { sentAt: null, queue: "stock-availability", data: { path: ["productId"], equals: product } },
    });
    assert.ok(waitingInInventory >= 1, "the reservation's availability event waits in inventory's outbox");
    return placed;
  });
  const orderId = placed.order.id;

  // Redis is back: the relays catch up and the workers do the rest.
  await eventually(
    async () => (await orders.order.findUniqueOrThrow({ where: { id: orderId } })).status === "PAID",
    "the order paid",
    40_000,
  );
  await eventually(async () => (await stockOf(product)).onHand === 3, "the sale committed", 20_000);
  assert.deepEqual(await stockOf(product), { onHand: 3, reserved: 0, available: 3 });
  await eventually(
    async () => (await products.productAvailability.findUnique({ where: { productId: product } }))?.available === 3,
    "the products read model shows the sale",
    20_000,
  );
  await eventually(
    async () =>
      (await emails.getJob(emailJobId("payment-received", { eventKey: `payment-received:${orderId}`, userId: customer.id }))) !== undefined,
    "the payment-received email queued",
    20_000,
  );

  // Each follow-up once.
  const movements = await inventory.stockMovement.findMany({ where: { reference: orderId }, orderBy: { id: "asc" } });
  assert.deepEqual(
    movements.map((m) => m.reason),
    ["RESERVATION", "SALE"],
  );
  const orderEmails = await jobsWhere<EmailJobData>(emails, (data) => data.orderId === orderId);
  assert.deepEqual(orderEmails.map((job) => job.name).sort(), ["order-confirmation", "payment-received"]);
  assert.ok(orderEmails.every((job) => job.data.userId === customer.id));
  const welcome = await jobsWhere<EmailJobData>(emails, (data) => data.eventKey === `welcome:${customer.id}`);
  assert.equal(welcome.length, 1, "one welcome email");
  assert.equal((await jobsWhere<{ orderId: string }>(paymentEvents, (data) => data.orderId === orderId)).length, 1);
  const versions = (await jobsWhere<{ productId: string; version: string }>(availability, (data) => data.productId === product)).map(
    (job) => job.data.version,
  );
  assert.equal(new Set(versions).size, versions.length, `each availability version published once: ${versions.join(", ")}`);
  const history = await orders.orderStatusChange.findMany({ where: { orderId } });
  assert.deepEqual(history.map((change) => change.status).sort(), ["PAID", "PENDING_PAYMENT"]);
  // Nothing left behind in any outbox for this order.
  for (const [name, count] of [
    ["orders", await orders.outboxEvent.count({ where: { sentAt: null, data: { path: ["orderId"], equals: orderId } } })],
    ["payments", await payments.outboxEvent.count({ where: { sentAt: null, data: { path: ["orderId"], equals: orderId } } })],
  ] as const) {
    assert.equal(count, 0, `${name} outbox drained`);
  }
});

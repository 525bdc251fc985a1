// Emails: jobs on the `email` queue, sent by the users worker over real SMTP into the run's inbox
// (scripts/mailbox.ts), for users and orders made through the router. Each email reaches the right person
// with the right content once per event; permanent SMTP refusals end in the failed set, transient ones retry.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { Job } from "bullmq";
import { prismaAdapter } from "../lib/database.js";
import { createLogger } from "../lib/logger.js";
import { createQueue, emailJobId, type EmailJobData, type EmailJobName, type TypedQueue } from "../lib/queues.js";
import { PrismaClient as UsersPrisma } from "../prisma/users/__generated__/client.js";
import { AdjustStockDocument, DeleteAccountDocument } from "../sdk/__generated__/graphql.js";
import { formatMoney, orderReference } from "../subgraphs/users/src/emails/format.js";
import { addToCart, placeOrder, type Placed } from "./support/checkout.js";
import { catalogAdmin, createProduct } from "./support/catalog.js";
import {
  config,
  eventually,
  gql,
  registerCustomer,
  requestOk,
  routerBase,
  serviceHeaders,
  subgraphUrl,
  type Account,
} from "./support/client.js";
import {
  acceptRecipient,
  messagesTo,
  refuseRecipient,
  startSmtp,
  stopSmtp,
  waitForMessages,
  type ReceivedMessage,
} from "./support/mailbox.js";

const HOSTILE_NAME = "<img src=x onerror=alert(1)>";
const HOSTILE_PRODUCT = `Mug "Deluxe" <b>bold</b> & co`;

let queue: TypedQueue<"email">;
let usersDb: UsersPrisma;
let customer: Account;
let order: Placed["order"];
const products = { mug: "", towel: "" };

async function stockedProduct(name: string, priceAmount: number): Promise<string> {
  const { id } = await createProduct({ name, priceAmount });
  await requestOk(AdjustStockDocument, { productId: id, delta: 10, reason: "RESTOCK" }, { token: (await catalogAdmin()).token });
  return id;
}

/** Queues an email job as a producer would (job id per event and recipient unless `jobId` is given). */
function enqueue(name: EmailJobName, data: EmailJobData, jobId = emailJobId(name, data)): Promise<Job<EmailJobData, void, EmailJobName>> {
  return queue.add(name, data, { jobId });
}

/** Waits until the job has completed or failed for good; returns it with its final state. */
async function settled(jobId: string, timeoutMs = 15_000) {
  let state = "";
  await eventually(
    async () => {
      state = await queue.getJobState(jobId);
      return state === "completed" || state === "failed";
    },
    `job ${jobId} to settle`,
    timeoutMs,
  );
  const job = await queue.getJob(jobId);
  assert.ok(job, `job ${jobId} is gone`);
  return { state, job };
}

const eventKey = (what: string) => `${what}:${randomUUID()}`;

/**
 * The emails the inbox got for one event and recipient: those carrying its delivery's Message-ID (the
 * worker's EmailDelivery row). Emails the producers send on their own (a welcome on registration, say)
 * carry other ids, so the counts here are the event's alone.
 */
async function emailsFor(data: Pick<EmailJobData, "eventKey" | "userId">, address: string): Promise<ReceivedMessage[]> {
  const delivery = await usersDb.emailDelivery.findUnique({ where: { eventKey_userId: { eventKey: data.eventKey, userId: data.userId } } });
  if (!delivery) return [];
  return (await messagesTo(address)).filter((message) => message.messageId?.startsWith(`<${delivery.id}@`));
}

/** Waits for the event's email and returns it. */
async function emailFor(data: Pick<EmailJobData, "eventKey" | "userId">, address: string): Promise<ReceivedMessage> {
  let found: ReceivedMessage[] = [];
  await eventually(async () => (found = await emailsFor(data, address)).length > 0, `the email of ${data.eventKey} to ${address}`);
  return found[0]!;
}

before(async () => {
  queue = createQueue("email", config, createLogger("emails-test", "warn"));
  usersDb = new UsersPrisma({ adapter: prismaAdapter(config.subgraphs.users.databaseUrl, 2) });
  products.mug = await stockedProduct(HOSTILE_PRODUCT, 1500);
  products.towel = await stockedProduct("Tea Towel", 799);
  customer = await registerCustomer("Ada Lovelace");
  await addToCart(customer, products.mug, 2);
  await addToCart(customer, products.towel, 1);
  order = (await placeOrder(customer)).order;
});

after(async () => {
  await queue.close();
  await usersDb.$disconnect();
});

describe("each email reaches its recipient with its content", () => {
  it("welcome: to the user's address and name, with the shop's name and link", async () => {
    const data = { eventKey: eventKey("welcome"), userId: customer.id };
    const job = await enqueue("welcome", data);
    assert.equal((await settled(job.id!)).state, "completed");
    const message = await emailFor(data, customer.email);
    assert.equal(message.subject, `Welcome to ${config.email.shopName}`);
    assert.deepEqual(message!.to, [customer.email]);
    assert.match(message!.toText!, /Ada Lovelace/);
    assert.match(message!.text!, /Hello Ada Lovelace,/);
    assert.ok(message!.text!.includes(config.email.shopUrl));
    assert.match(message!.html!, /<p>Hello Ada Lovelace,<\/p>/);
    assert.match(message!.from!, /no-reply@shopgraph\.dev/);
  });

  it("order-confirmation: every line and the totals, in text and HTML, product names escaped", async () => {
    const data = { eventKey: eventKey("order-confirmation"), userId: customer.id, orderId: order.id };
    const job = await enqueue("order-confirmation", data);
    assert.equal((await settled(job.id!)).state, "completed");
    const message = await emailFor(data, customer.email);
    assert.equal(message.subject, `Your ${config.email.shopName} order ${orderReference(order.id)}`);
    const text = message!.text!;
    assert.ok(text.includes(`- 2 × ${HOSTILE_PRODUCT} at €15.00: €30.00`), text);
    assert.ok(text.includes("- 1 × Tea Towel at €7.99: €7.99"), text);
    for (const [label, money] of [
      ["Subtotal", order.subtotal],
      ["Shipping", order.shippingTotal],
      ["Tax", order.taxTotal],
      ["Total", order.total],
    ] as const) {
      assert.ok(text.includes(`${label}: ${formatMoney(money)}`), `${label} in\n${text}`);
      assert.ok(message!.html!.includes(formatMoney(money)), `${label} in the HTML`);
    }
    assert.ok(text.includes(`${config.email.shopUrl}/orders/${order.id}`));
    assert.ok(text.includes("Hauptstraße 5") && text.includes("10115 Berlin"));
    assert.ok(message!.html!.includes("Mug &quot;Deluxe&quot; &lt;b&gt;bold&lt;/b&gt; &amp; co"), message!.html!);
    assert.ok(!message!.html!.includes("<b>bold</b>"));
  });

  const orderEmails: [EmailJobName, Partial<EmailJobData>, (ref: string) => RegExp, RegExp][] = [
    ["payment-received", {}, (ref) => new RegExp(`^Payment received for order ${ref}$`), /We received your payment of €/],
    [
      "payment-failed",
      { reason: "Your card was declined." },
      (ref) => new RegExp(`^Payment failed for order ${ref}$`),
      /Your card was declined\.[\s\S]*pay again with another card, before \d{4}-\d\d-\d\d \d\d:\d\d UTC/,
    ],
    ["order-shipped", {}, (ref) => new RegExp(`^Your order ${ref} has shipped$`), /is on its way/],
    [
      "order-cancelled",
      { reason: "You asked us to." },
      (ref) => new RegExp(`^Your order ${ref} was cancelled$`),
      /Reason: You asked us to\./,
    ],
    [
      "refund-issued",
      { amount: 1250, currency: "EUR" },
      (ref) => new RegExp(`^Refund of €12\\.50 for order ${ref}$`),
      /We refunded €12\.50/,
    ],
  ];
  for (const [name, extra, subject, content] of orderEmails) {
    it(`${name}: subject and content for the order`, async () => {
      const data = { eventKey: eventKey(name), userId: customer.id, orderId: order.id, ...extra };
      const job = await enqueue(name, data);
      assert.equal((await settled(job.id!)).state, "completed");
      const message = await emailFor(data, customer.email);
      assert.match(message.subject!, subject(orderReference(order.id)));
      assert.match(message!.text!, content);
      assert.ok(message!.text!.includes(`${config.email.shopUrl}/orders/${order.id}`));
    });
  }

  it("escapes a hostile name in the HTML part", async () => {
    const hostile = await registerCustomer(HOSTILE_NAME);
    const data = { eventKey: eventKey("welcome"), userId: hostile.id };
    const job = await enqueue("welcome", data);
    assert.equal((await settled(job.id!)).state, "completed");
    const message = await emailFor(data, hostile.email);
    assert.ok(message!.html!.includes("Hello &lt;img src=x onerror=alert(1)&gt;,"), message!.html!);
    assert.doesNotMatch(message!.html!, /<img/i);
    assert.ok(message!.text!.includes(`Hello ${HOSTILE_NAME},`));
  });
});

describe("once per event and recipient", () => {
  it("the same job added twice sends one email", async () => {
    const someone = await registerCustomer("Twice");
    const data = { eventKey: eventKey("welcome"), userId: someone.id };
    const first = await enqueue("welcome", data);
    const second = await enqueue("welcome", data);
    assert.equal(second.id, first.id);
    assert.equal((await settled(first.id!)).state, "completed");
    await emailFor(data, someone.email);
    // A third add after completion is still the same job while BullMQ keeps it.
    await enqueue("welcome", data);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal((await emailsFor(data, someone.email)).length, 1);
  });

  it("the same event under new job ids, in sequence and all at once, sends one email", async () => {
    const someone = await registerCustomer("Duplicated");
    const data = { eventKey: eventKey("order-confirmation"), userId: someone.id };
    const first = await enqueue("welcome", data, `dup-${randomUUID()}`);
    assert.equal((await settled(first.id!)).state, "completed");
    const copies = await Promise.all([1, 2, 3].map(() => enqueue("welcome", data, `dup-${randomUUID()}`)));
    for (const copy of copies) assert.equal((await settled(copy.id!)).state, "completed");
    assert.equal((await emailsFor(data, someone.email)).length, 1);

    // Concurrent first sends: one claims, the others wait (retry) and then find it sent.
    const other = await registerCustomer("Concurrent");
    const concurrentData = { eventKey: eventKey("welcome"), userId: other.id };
    const racers = await Promise.all([1, 2, 3, 4].map(() => enqueue("welcome", concurrentData, `race-${randomUUID()}`)));
    for (const racer of racers) assert.equal((await settled(racer.id!, 30_000)).state, "completed");
    assert.equal((await emailsFor(concurrentData, other.email)).length, 1);
  });
});

describe("failures", () => {
  it("an email that failed for good is sent once an administrator retries it through the job dashboard's API", async () => {
    const bounced = await registerCustomer("Bounced");
    const data = { eventKey: eventKey("welcome"), userId: bounced.id };
    await refuseRecipient(bounced.email, 550);
    let job: Job<EmailJobData, void, EmailJobName>;
    try {
      job = await enqueue("welcome", data);
      assert.equal((await settled(job.id!)).state, "failed");
    } finally {
      await acceptRecipient(bounced.email);
    }
    const retryUrl = `${routerBase}/admin/queues/api/queues/email/${encodeURIComponent(job.id!)}/retry`;
    const customerTry = await fetch(retryUrl, { method: "PUT", headers: { authorization: `Bearer ${bounced.token}` } });
    assert.equal(customerTry.status, 403, "customers cannot retry jobs");
    const admin = await catalogAdmin();
    const response = await fetch(retryUrl, { method: "PUT", headers: { authorization: `Bearer ${admin.token}` } });
    assert.equal(response.status, 204, await response.clone().text());
    const { state } = await settled(job.id!);
    assert.equal(state, "completed");
    await emailFor(data, bounced.email);
    assert.equal((await emailsFor(data, bounced.email)).length, 1);
  });

  it("a permanent SMTP refusal (550) ends the job in the failed set after one attempt, logged with its id", async () => {
    const refused = await registerCustomer("Refused");
    await refuseRecipient(refused.email, 550);
    try {
      const data = { eventKey: eventKey("welcome"), userId: refused.id };
      const job = await enqueue("welcome", data);
      const { state, job: final } = await settled(job.id!);
      assert.equal(state, "failed");
      assert.equal(final.attemptsMade, 1);
      assert.match(final.failedReason, /550/);
      assert.ok((await queue.getFailed(0, 1000)).some((failed) => failed.id === job.id));
      assert.equal((await emailsFor(data, refused.email)).length, 0);
      const delivery = await usersDb.emailDelivery.findUniqueOrThrow({ where: { eventKey_userId: data } });
      assert.equal(delivery.sentAt, null);
      assert.equal(delivery.claimedAt, null);
      assert.match(delivery.lastError ?? "", /550/);
      await eventually(async () => {
        const log = readFileSync(process.env.SERVICE_LOG_FILE!, "utf8");
        return log.split("\n").some((line) => line.includes(job.id!) && line.includes("failed for good"));
      }, "the failure in the users worker's log");
    } finally {
      await acceptRecipient(refused.email);
    }
  });

  it("while SMTP is down the job retries with backoff; once it is back the email arrives once", async () => {
    const patient = await registerCustomer("Patient");
    await stopSmtp();
    const data = { eventKey: eventKey("welcome"), userId: patient.id };
    let job: Job<EmailJobData, void, EmailJobName>;
    try {
      job = await enqueue("welcome", data);
      await eventually(async () => ((await queue.getJob(job.id!))?.attemptsMade ?? 0) >= 1, "a failed first attempt");
      assert.equal(await queue.getJobState(job.id!), "delayed");
    } finally {
      await startSmtp();
    }
    const { state, job: final } = await settled(job.id!, 30_000);
    assert.equal(state, "completed");
    assert.ok(final.attemptsMade >= 2, `attemptsMade ${final.attemptsMade}`);
    await emailFor(data, patient.email);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal((await emailsFor(data, patient.email)).length, 1);
  });

  it("a transient refusal (451) is retried and delivered", async () => {
    const greylisted = await registerCustomer("Greylisted");
    await refuseRecipient(greylisted.email, 451, 1);
    const data = { eventKey: eventKey("welcome"), userId: greylisted.id };
    const job = await enqueue("welcome", data);
    const { state, job: final } = await settled(job.id!, 30_000);
    assert.equal(state, "completed");
    assert.equal(final.attemptsMade, 2);
    assert.equal((await emailsFor(data, greylisted.email)).length, 1);
  });

  it("a deleted recipient: the job completes without an email", async () => {
    const leaving = await registerCustomer("Leaving");
    await requestOk(DeleteAccountDocument, { password: leaving.password }, { token: leaving.token });
    const data = { eventKey: eventKey("welcome"), userId: leaving.id };
    const job = await enqueue("welcome", data);
    assert.equal((await settled(job.id!)).state, "completed");
    assert.equal(await usersDb.emailDelivery.findUnique({ where: { eventKey_userId: data } }), null);
  });

  it("another customer's order, an unknown order or a malformed payload fail at once, sending nothing", async () => {
    const intruder = await registerCustomer("Intruder");
    const foreign = await enqueue("order-confirmation", {
      eventKey: eventKey("order-confirmation"),
      userId: intruder.id,
      orderId: order.id,
    });
    const unknown = await enqueue("order-shipped", { eventKey: eventKey("order-shipped"), userId: intruder.id, orderId: randomUUID() });
    const malformed = await enqueue("payment-received", { eventKey: eventKey("payment-received"), userId: intruder.id });
    for (const [job, reason] of [
      [foreign, /not the recipient's/],
      [unknown, /does not exist/],
      [malformed, /needs an orderId/],
    ] as const) {
      const { state, job: final } = await settled(job.id!);
      assert.equal(state, "failed");
      assert.equal(final.attemptsMade, 1);
      assert.match(final.failedReason, reason);
    }
    // Whatever the producers sent on registration, nothing about an order reached the intruder.
    const aboutOrders = (await messagesTo(intruder.email)).filter((message) => /order/i.test(message.subject ?? ""));
    assert.deepEqual(aboutOrders, []);
  });
});

describe("orderForNotification (orders' service query)", () => {
  const query = `query($id: ID!) { orderForNotification(id: $id) { id customer { id } items { productName } } }`;

  it("answers the users service", async () => {
    const result = await gql(query, { id: order.id }, { url: subgraphUrl("orders"), headers: serviceHeaders("users") });
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    assert.equal(result.data.orderForNotification.id, order.id);
    assert.equal(result.data.orderForNotification.customer.id, customer.id);
    const unknown = await gql(query, { id: randomUUID() }, { url: subgraphUrl("orders"), headers: serviceHeaders("users") });
    assert.equal(unknown.data.orderForNotification, null);
  });

  it("refuses every other caller, and is not in the public API", async () => {
    for (const caller of ["router", "carts", "payments"] as const) {
      const result = await gql(query, { id: order.id }, { url: subgraphUrl("orders"), headers: serviceHeaders(caller) });
      assert.equal(result.errors?.[0]?.extensions?.code, "FORBIDDEN", `${caller}: ${JSON.stringify(result.errors)}`);
      assert.equal(result.data?.orderForNotification ?? null, null);
    }
    const viaRouter = await gql(query, { id: order.id }, { token: customer.token });
    assert.equal(viaRouter.errors?.[0]?.extensions?.code, "GRAPHQL_VALIDATION_FAILED");
  });
});

// The producers (the transactional outbox, another piece of work) queue these jobs when things happen.
describe("emails follow what happens, end to end", () => {
  it("registering sends the welcome email", async () => {
    const newcomer = await registerCustomer("Newcomer");
    await waitForMessages(newcomer.email, { subject: /^Welcome to /, timeoutMs: 5_000 });
  });

  it("checking out sends the order confirmation", async () => {
    const buyer = await registerCustomer("Buyer");
    await addToCart(buyer, products.towel, 1);
    const placed = await placeOrder(buyer);
    await waitForMessages(buyer.email, { subject: new RegExp(`order ${orderReference(placed.order.id)}$`), timeoutMs: 5_000 });
  });
});

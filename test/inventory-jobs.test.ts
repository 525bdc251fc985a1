// The stock worker with a real Redis: jobs enqueued the way orders will enqueue them, each change
// applied once however often its job is delivered, and availability published for the products read model.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { Job } from "bullmq";
import { createLogger } from "../lib/logger.js";
import {
  QUEUE_NAMES,
  createQueue,
  createQueueEvents,
  stockJobId,
  type StockAvailabilityJobData,
  type StockJobData,
  type StockJobName,
  type StockJobResult,
} from "../lib/queues.js";
import { AdjustStockDocument } from "../sdk/__generated__/graphql.js";
import { config, createAdmin, eventually, gqlOk, requestOk, subgraphUrl, type Account } from "./support/client.js";
import { activeProduct } from "./support/catalog.js";

const log = createLogger("inventory-jobs-test", "warn");
// The worker that `npm test` started listens on these queues under this run's REDIS_PREFIX.
const stockQueue = createQueue(QUEUE_NAMES.stock, config, log);
const stockEvents = createQueueEvents(QUEUE_NAMES.stock, config, log);
const availabilityQueue = createQueue(QUEUE_NAMES.stockAvailability, config, log);
const FINISH_TIMEOUT_MS = 15_000;

// `_entities` goes straight to the inventory subgraph: not an SDK operation, so a string.
const STOCK = `
  query Stock($r: [_Any!]!) { _entities(representations: $r) { ... on Product { inventory { onHand reserved available } } } }`;

let admin: Account;
const createdJobs: Job[] = [];
const stockedProducts = new Set<string>();

before(async () => {
  admin = await createAdmin();
  await stockEvents.waitUntilReady();
});

after(async () => {
  // This file's jobs only: other files' jobs (and the products worker's own) stay.
  for (const job of createdJobs) await job.remove().catch(() => undefined);
  for (const job of await availabilityJobs()) {
    if (stockedProducts.has(job.data.productId)) await job.remove().catch(() => undefined);
  }
  await Promise.all([stockQueue.close(), stockEvents.close(), availabilityQueue.close()]);
});

async function restock(productId: string, delta: number): Promise<void> {
  stockedProducts.add(productId);
  const data = await requestOk(AdjustStockDocument, { productId, delta, reason: "RESTOCK" }, { token: admin.token });
  assert.equal(data.adjustStock.__typename, "Inventory");
}

async function stockOf(productId: string): Promise<{ onHand: number; reserved: number; available: number }> {
  const data = await gqlOk(STOCK, { r: [{ __typename: "Product", id: productId }] }, { url: subgraphUrl("inventory"), token: admin.token });
  return data._entities[0].inventory;
}

/** Enqueues a stock job as orders will (the job id is the change's idempotency key) and waits for its result. */
async function runJob(
  name: StockJobName,
  data: StockJobData,
): Promise<{ job: Job<StockJobData, StockJobResult, StockJobName>; result: StockJobResult }> {
  for (const line of data.lines ?? []) stockedProducts.add(line.productId);
  const job = await stockQueue.add(name, data, { jobId: stockJobId(name, data.orderId) });
  createdJobs.push(job);
  return { job, result: await job.waitUntilFinished(stockEvents, FINISH_TIMEOUT_MS) };
}

async function availabilityJobs(): Promise<Job<StockAvailabilityJobData>[]> {
  return availabilityQueue.getJobs(["waiting", "active", "completed", "failed", "delayed", "prioritized"], 0, -1);
}

/** The availability events published for a product, oldest version first (one per version). */
async function availabilityEvents(productId: string): Promise<StockAvailabilityJobData[]> {
  const events = (await availabilityJobs()).filter((job) => job.data.productId === productId).map((job) => job.data);
  return events.sort((a, b) => (BigInt(a.version) < BigInt(b.version) ? -1 : 1));
}

describe("stock worker", () => {
  it("reserves once when the same reserve job is enqueued twice, and once more when it is delivered again", async () => {
    const productId = await activeProduct();
    await restock(productId, 10);
    const orderId = randomUUID();
    const data = { orderId, lines: [{ productId, quantity: 3 }] };

    // Enqueued twice at once: BullMQ keeps one job for one id.
    const [first, second] = await Promise.all([runJob("reserve", data), runJob("reserve", data)]);
    assert.equal(first.job.id, stockJobId("reserve", orderId));
    assert.equal(second.job.id, first.job.id);
    assert.deepEqual(first.result, { status: "RESERVED", lines: [{ productId, quantity: 3 }] });
    assert.deepEqual(second.result, first.result);
    assert.deepEqual(await stockOf(productId), { onHand: 10, reserved: 3, available: 7 });

    // Delivered again after BullMQ forgot the first job (removed, or a redelivery): the ledger key holds.
    await first.job.remove();
    const again = await runJob("reserve", data);
    assert.deepEqual(again.result, { status: "ALREADY_APPLIED", lines: [{ productId, quantity: 3 }] });
    assert.deepEqual(await stockOf(productId), { onHand: 10, reserved: 3, available: 7 });
  });

  it("commits a reservation as a sale once, and then has nothing left to release", async () => {
    const [a, b] = await Promise.all([activeProduct(), activeProduct()]);
    await restock(a, 5);
    await restock(b, 8);
    const orderId = randomUUID();
    const reserved = await runJob("reserve", {
      orderId,
      lines: [
        { productId: a, quantity: 2 },
        { productId: b, quantity: 8 },
      ],
    });
    assert.equal(reserved.result.status, "RESERVED");

    const committed = await runJob("commit", { orderId });
    assert.equal(committed.result.status, "COMMITTED");
    assert.deepEqual(await stockOf(a), { onHand: 3, reserved: 0, available: 3 });
    assert.deepEqual(await stockOf(b), { onHand: 0, reserved: 0, available: 0 });

    await committed.job.remove();
    const redelivered = await runJob("commit", { orderId });
    assert.equal(redelivered.result.status, "ALREADY_APPLIED");
    const release = await runJob("release", { orderId });
    assert.deepEqual(release.result, { status: "NOTHING_RESERVED", lines: [] });
    assert.deepEqual(await stockOf(a), { onHand: 3, reserved: 0, available: 3 });
  });

  it("releases a reservation, giving the units back", async () => {
    const productId = await activeProduct();
    await restock(productId, 4);
    const orderId = randomUUID();
    await runJob("reserve", { orderId, lines: [{ productId, quantity: 4 }] });
    assert.deepEqual(await stockOf(productId), { onHand: 4, reserved: 4, available: 0 });
    const released = await runJob("release", { orderId });
    assert.deepEqual(released.result, { status: "RELEASED", lines: [{ productId, quantity: 4 }] });
    assert.deepEqual(await stockOf(productId), { onHand: 4, reserved: 0, available: 4 });
  });

  it("completes an unsatisfiable reservation with INSUFFICIENT_STOCK, reserving nothing and not retrying", async () => {
    const [plenty, scarce] = await Promise.all([activeProduct(), activeProduct()]);
    await restock(plenty, 50);
    await restock(scarce, 1);
    const { job, result } = await runJob("reserve", {
      orderId: randomUUID(),
      lines: [
        { productId: plenty, quantity: 5 },
        { productId: scarce, quantity: 2 },
      ],
    });
    assert.deepEqual(result, { status: "INSUFFICIENT_STOCK", shortages: [{ productId: scarce, requested: 2, available: 1 }] });
    assert.equal(await job.getState(), "completed");
    assert.equal((await stockQueue.getJob(job.id!))?.attemptsMade, 1, "one attempt, no retries");
    assert.deepEqual(await stockOf(plenty), { onHand: 50, reserved: 0, available: 50 }, "all lines or none");
  });

  it("fails a malformed job at once instead of retrying it", async () => {
    const job = await stockQueue.add("reserve", { orderId: randomUUID(), lines: [] }, { jobId: `malformed-${randomUUID()}` });
    createdJobs.push(job);
    await assert.rejects(job.waitUntilFinished(stockEvents, FINISH_TIMEOUT_MS), /Invalid reserve job/);
    const failed = await stockQueue.getJob(job.id!);
    assert.equal(await failed?.getState(), "failed");
    assert.equal(failed?.attemptsMade, 1);
  });

  it("publishes the product's availability after every change, newest version last", async () => {
    const productId = await activeProduct();
    await restock(productId, 6); // the admin mutation publishes from the subgraph
    const orderId = randomUUID();
    await runJob("reserve", { orderId, lines: [{ productId, quantity: 2 }] }); // the worker publishes
    await runJob("commit", { orderId });

    // Written to inventory's outbox with each change, queued by the worker's relay moments later.
    await eventually(async () => (await availabilityEvents(productId)).length >= 3, "three availability events");
    const events = await availabilityEvents(productId);
    assert.deepEqual(
      events.map(({ productId: id, available }) => [id, available]),
      [
        [productId, 6],
        [productId, 4],
        [productId, 4],
      ],
    );
    const versions = events.map((event) => BigInt(event.version));
    assert.ok(versions[0]! < versions[1]! && versions[1]! < versions[2]!, `versions grow: ${versions.join(", ")}`);
    const latest = events.at(-1)!;
    assert.equal(latest.available, (await stockOf(productId)).available);
  });
});

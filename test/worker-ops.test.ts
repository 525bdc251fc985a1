// Operating the worker processes (lib/workerProcess.ts): /health and /metrics with per-queue job counts on
// each worker, the stalled-job settings, and graceful shutdown: SIGTERM lets the job in hand finish, within a bound.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { freePort } from "../scripts/lib/isolated.js";
import { randomUUID } from "node:crypto";
import pg from "pg";
import { Redis } from "ioredis";
import { Queue, type Job } from "bullmq";
import { createLogger } from "../lib/logger.js";
import { SUBGRAPH_NAMES, type SubgraphName } from "../lib/config.js";
import {
  QUEUE_NAMES,
  STALLED_JOB_OPTIONS,
  createQueue,
  producerConnection,
  stockJobId,
  workerOptions,
  type QueueName,
  type StockJobData,
  type StockJobResult,
} from "../lib/queues.js";
import { AdjustStockDocument } from "../sdk/__generated__/graphql.js";
import { config, createAdmin, eventually, requestOk, type Account } from "./support/client.js";
import { activeProduct } from "./support/catalog.js";

const log = createLogger("worker-ops-test", "warn");

/** The queues each worker process consumes (and so counts on its /metrics). */
const CONSUMED: Partial<Record<SubgraphName, QueueName[]>> = {
  inventory: [QUEUE_NAMES.stock, QUEUE_NAMES.productLifecycle],
  products: [QUEUE_NAMES.stockAvailability],
  orders: [QUEUE_NAMES.orderExpiry, QUEUE_NAMES.paymentEvents],
  payments: [QUEUE_NAMES.paymentReconciliation],
  users: [QUEUE_NAMES.email],
};
const workersRunning = SUBGRAPH_NAMES.filter((name) => existsSync(`subgraphs/${name}/src/worker.ts`));
const workerBase = (name: SubgraphName, port = config.workers.metricsPorts[name]) => `http://127.0.0.1:${port}`;

/** The value of `shopgraph_queue_jobs{queue, state}` in a metrics text, or undefined when it is missing. */
function queueJobs(metrics: string, queue: string, state: string): number | undefined {
  const match = new RegExp(`^shopgraph_queue_jobs\\{queue="${queue}",state="${state}"\\} (\\d+)$`, "m").exec(metrics);
  return match ? Number(match[1]) : undefined;
}

let admin: Account;
before(async () => {
  admin = await createAdmin();
});

describe("worker /health and /metrics", () => {
  it("finds the worker processes to check", () => {
    for (const name of ["inventory", "products", "orders", "payments"] as const) assert.ok(workersRunning.includes(name), name);
  });

  for (const name of workersRunning) {
    it(`the ${name} worker answers /health and counts its queues' jobs on /metrics`, async () => {
      const health = await fetch(`${workerBase(name)}/health`);
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: "ok" });

      const metrics = await (await fetch(`${workerBase(name)}/metrics`)).text();
      assert.match(metrics, /^process_resident_memory_bytes \d+/m, "process default metrics");
      assert.match(metrics, /^# TYPE shopgraph_queue_jobs gauge$/m);
      for (const queue of CONSUMED[name] ?? []) {
        for (const state of ["waiting", "active", "delayed", "failed", "completed"]) {
          assert.notEqual(queueJobs(metrics, queue, state), undefined, `${name}: ${queue} ${state}`);
        }
      }
      assert.equal((await fetch(`${workerBase(name)}/nothing`)).status, 404);
    });
  }

  it("reads the counts from Redis at scrape time: a failed stock job shows on the inventory worker's /metrics", async () => {
    const stock = createQueue(QUEUE_NAMES.stock, config, log);
    let job: Job<StockJobData> | undefined;
    try {
      const orderId = randomUUID();
      job = await stock.add(
        "reserve",
        { orderId, lines: "not a list" as unknown as StockJobData["lines"] },
        { jobId: stockJobId("reserve", orderId) },
      );
      await eventually(async () => (await job!.getState()) === "failed", "the malformed job failing");
      const { failed, completed } = await stock.getJobCounts("failed", "completed");
      const metrics = await (await fetch(`${workerBase("inventory")}/metrics`)).text();
      assert.equal(queueJobs(metrics, "stock", "failed"), failed);
      assert.ok(failed! >= 1);
      assert.equal(queueJobs(metrics, "stock", "completed"), completed);
    } finally {
      await job?.remove().catch(() => undefined);
      await stock.close();
    }
  });

  it("workers are configured for stalled jobs explicitly", () => {
    const options = workerOptions(config, { concurrency: 2 });
    assert.equal(options.stalledInterval, STALLED_JOB_OPTIONS.stalledInterval);
    assert.equal(options.maxStalledCount, STALLED_JOB_OPTIONS.maxStalledCount);
    assert.equal(options.lockDuration, STALLED_JOB_OPTIONS.lockDuration);
    assert.equal(options.maxStalledCount, 2);
  });
});

describe("graceful shutdown", () => {
  // A worker of our own under its own Redis prefix, so the stack's inventory worker cannot take its jobs;
  // the same inventory database, so the job does real work.
  const prefix = `${config.redis.prefix}-shutdown`;
  const stock: Queue<StockJobData, StockJobResult> = new Queue(QUEUE_NAMES.stock, { connection: producerConnection(config), prefix });
  const lockHolder = new pg.Client({ connectionString: config.subgraphs.inventory.databaseUrl });
  const children: ChildProcess[] = [];

  before(async () => {
    await lockHolder.connect();
  });

  after(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await lockHolder.end();
    await stock.close();
    const redis = new Redis(config.redis.url);
    try {
      let cursor = "0";
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== "0");
    } finally {
      redis.disconnect();
    }
  });

  async function startInventoryWorker(
    extraEnv: Record<string, string> = {},
  ): Promise<{ child: ChildProcess; output: () => string; exited: Promise<number | null> }> {
    const port = await freePort();
    const child = spawn(process.execPath, ["--import", "tsx", "subgraphs/inventory/src/worker.ts"], {
      env: { ...process.env, REDIS_PREFIX: prefix, INVENTORY_WORKER_METRICS_PORT: String(port), LOG_LEVEL: "info", ...extraEnv },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let text = "";
    child.stdout!.on("data", (chunk: Buffer) => (text += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (text += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    await eventually(
      async () => {
        if (child.exitCode !== null) assert.fail(`the worker exited while starting:\n${text}`);
        return fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1000) }).then(
          (response) => response.ok,
          () => false,
        );
      },
      "the worker process starting",
      60_000,
    ).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; its output:\n${text}`);
    });
    return { child, output: () => text, exited };
  }

  /** Holds the order's lock in the inventory database, as a concurrent change of the same order would. */
  async function holdOrderLock(orderId: string): Promise<() => Promise<void>> {
    await lockHolder.query("BEGIN");
    await lockHolder.query("SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0))", [orderId]);
    return async () => void (await lockHolder.query("COMMIT"));
  }

  async function stockedProduct(): Promise<string> {
    const productId = await activeProduct();
    await requestOk(AdjustStockDocument, { productId, delta: 5, reason: "RESTOCK" }, { token: admin.token });
    return productId;
  }

  it("on SIGTERM finishes the job in hand, then exits 0", { timeout: 120_000 }, async () => {
    const productId = await stockedProduct();
    const worker = await startInventoryWorker();
    const orderId = randomUUID();
    const release = await holdOrderLock(orderId);
    let released = false;
    try {
      const job = await stock.add("reserve", { orderId, lines: [{ productId, quantity: 2 }] }, { jobId: stockJobId("reserve", orderId) });
      await eventually(async () => (await job.getState()) === "active", "the worker taking the job");

      worker.child.kill("SIGTERM");
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.equal(worker.child.exitCode, null, "the worker waits for its active job");
      assert.equal(await job.getState(), "active");

      await release();
      released = true;
      assert.equal(await worker.exited, 0, worker.output());
      const finished = (await stock.getJob(job.id!))!;
      assert.equal(await finished.getState(), "completed", worker.output());
      assert.equal(finished.returnvalue.status, "RESERVED");
      assert.equal(finished.attemptsMade, 1, "run once, not stalled and run again");
      assert.match(worker.output(), /shutting down: finishing active jobs/);
      assert.match(worker.output(), /"outcome":"drained"/);
    } finally {
      if (!released) await release();
    }
  });

  it("waits at most WORKER_SHUTDOWN_TIMEOUT_MS, then exits without finishing", { timeout: 120_000 }, async () => {
    const productId = await stockedProduct();
    const worker = await startInventoryWorker({ WORKER_SHUTDOWN_TIMEOUT_MS: "1000" });
    const orderId = randomUUID();
    const release = await holdOrderLock(orderId);
    try {
      const job = await stock.add("reserve", { orderId, lines: [{ productId, quantity: 1 }] }, { jobId: stockJobId("reserve", orderId) });
      await eventually(async () => (await job.getState()) === "active", "the worker taking the job");
      const signalledAt = Date.now();
      worker.child.kill("SIGTERM");
      assert.equal(await worker.exited, 1, worker.output());
      const waited = Date.now() - signalledAt;
      assert.ok(waited >= 1000 && waited < 8000, `exited after ${waited} ms`);
      assert.match(worker.output(), /shutdown did not finish in time/);
      // Its lock expires and a worker's stalled check puts it back to run again (STALLED_JOB_OPTIONS).
      assert.equal(await job.getState(), "active");
    } finally {
      await release();
    }
  });
});

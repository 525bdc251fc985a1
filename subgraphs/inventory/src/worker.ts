// The stock worker: its own process, consuming the `stock` queue (reserve, release, commit), and
// relaying inventory's outbox (availability events) to BullMQ.
// Retried or duplicated jobs are safe: each change is keyed in the ledger and applied once.
import { Worker } from "bullmq";
import { loadConfigOrExit } from "../../../lib/config.js";
import { onShutdown } from "../../../lib/http.js";
import { createLogger } from "../../../lib/logger.js";
import {
  QUEUE_NAMES,
  startEventWorker,
  workerOptions,
  type StockJobData,
  type StockJobName,
  type StockJobResult,
} from "../../../lib/queues.js";
import { publishAllLevels } from "./availability.js";
import { startOutboxRelay } from "../../../lib/outbox.js";
import { createPrisma } from "../../../lib/database.js";
import { PrismaClient } from "../../../prisma/inventory/__generated__/client.js";
import { processStockJob } from "./stock-jobs.js";
import { applyLifecycleEvent, parseLifecycleEvent } from "./knownProducts.js";

const config = loadConfigOrExit();
const log = createLogger("inventory-worker", config.logLevel);
const prisma = createPrisma("inventory", config, PrismaClient);
const outboxRelay = startOutboxRelay({ prisma, config, log, name: "inventory" });

const worker = new Worker<StockJobData, StockJobResult, StockJobName>(
  QUEUE_NAMES.stock,
  (job) => processStockJob({ prisma, log }, job),
  workerOptions(config, { concurrency: 8 }),
);
worker.on("error", (err) => log.error({ err }, "stock worker error"));
worker.on("failed", (job, err) => log.warn({ err, jobId: job?.id, job: job?.name, attempts: job?.attemptsMade }, "stock job failed"));
worker.on("completed", (job, result) => log.info({ jobId: job.id, job: job.name, status: result.status }, "stock job done"));
await worker.waitUntilReady();
log.info({ queue: QUEUE_NAMES.stock, prefix: config.redis.prefix }, "stock worker started");

// Product lifecycle events from the products subgraph: which products exist (KnownProduct).
const lifecycleWorker = await startEventWorker({
  queue: QUEUE_NAMES.productLifecycle,
  config,
  log,
  parse: parseLifecycleEvent,
  apply: (event) => applyLifecycleEvent(prisma, event),
});
// Heal the products read model of anything it missed while this worker was away (duplicates are ignored there).
publishAllLevels(prisma)
  .then((count) => log.info({ count }, "published every stock level"))
  .catch((err: unknown) => log.error({ err }, "could not publish every stock level"));

onShutdown(log, async () => {
  await worker.close();
  await lifecycleWorker.close();
  await outboxRelay.stop();
  await prisma.$disconnect();
});

// The stock worker: its own process, consuming the `stock` queue (reserve, release, commit).
// Retried or duplicated jobs are safe: each change is keyed in the ledger and applied once.
// Shutdown, /metrics and stalled-job logging: lib/workerProcess.ts.
import { Worker } from "bullmq";
import { runWorkerProcess } from "../../../lib/workerProcess.js";
import { startOutboxRelay } from "../../../lib/outbox.js";
import {
  QUEUE_NAMES,
  startEventWorker,
  workerOptions,
  type StockJobData,
  type StockJobName,
  type StockJobResult,
} from "../../../lib/queues.js";
import { publishAllLevels } from "./availability.js";
import { createPrisma } from "../../../lib/database.js";
import { PrismaClient } from "../../../prisma/inventory/__generated__/client.js";
import { processStockJob } from "./stock-jobs.js";
import { applyLifecycleEvent, parseLifecycleEvent } from "./knownProducts.js";

await runWorkerProcess({
  name: "inventory",
  async start({ config, log }) {
    const prisma = createPrisma("inventory", config, PrismaClient);
    // Availability events are written to inventory's outbox with each change; the relay sends them.
    const outboxRelay = startOutboxRelay({ prisma, config, log, name: "inventory" });

    const worker = new Worker<StockJobData, StockJobResult, StockJobName>(
      QUEUE_NAMES.stock,
      (job) => processStockJob({ prisma, log }, job),
      workerOptions(config, { concurrency: 8 }),
    );
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

    return {
      workers: [worker, lifecycleWorker],
      measuredQueues: [QUEUE_NAMES.stockAvailability],
      async close() {
        await outboxRelay.stop();
        await prisma.$disconnect();
      },
    };
  },
});

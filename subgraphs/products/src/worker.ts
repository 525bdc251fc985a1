// The availability worker: its own process, consuming `stock-availability` (published by the
// inventory subgraph after each committed stock change) into the ProductAvailability read model
// that the `inStock` filter reads.
//
// Consistency: the read model trails inventory by the queue's latency, normally well under a
// second. Events are applied only when their version (the inventory ledger's movement sequence) is
// newer than the stored one, so duplicates, retries and out-of-order delivery are harmless. An
// event that is lost for good (say, Redis lost it) leaves one product's level stale until that
// product's stock changes again: the next event carries the full level, not a delta, and heals it.
// Checkout never relies on this model; inventory's own reservation is the authority on stock.
import { UnrecoverableError, Worker } from "bullmq";
import { loadConfigOrExit } from "../../../lib/config.js";
import { onShutdown } from "../../../lib/http.js";
import { createLogger } from "../../../lib/logger.js";
import { QUEUE_NAMES, workerOptions, type StockAvailabilityJobData, type StockAvailabilityJobName } from "../../../lib/queues.js";
import { InvalidAvailabilityEvent, applyAvailability, parseAvailabilityEvent } from "./availability.js";
import { createPrisma } from "../../../lib/database.js";
import { PrismaClient } from "../../../prisma/products/__generated__/client.js";
import { createLifecyclePublisher, publishAllProducts } from "./lifecycle.js";

const config = loadConfigOrExit();
const log = createLogger("products-worker", config.logLevel);
const prisma = createPrisma("products", config, PrismaClient);

const worker = new Worker<StockAvailabilityJobData, void, StockAvailabilityJobName>(
  QUEUE_NAMES.stockAvailability,
  async (job) => {
    let event: StockAvailabilityJobData;
    try {
      event = parseAvailabilityEvent(job.data);
    } catch (error) {
      // A malformed payload stays malformed: fail it once, keep it for inspection, no retries.
      if (error instanceof InvalidAvailabilityEvent) throw new UnrecoverableError(error.message);
      throw error;
    }
    const changed = await applyAvailability(prisma, event);
    log.debug({ jobId: job.id, ...event, changed }, changed ? "availability updated" : "availability event superseded");
  },
  // Jobs carry the producer's retry and retention options (DEFAULT_JOB_OPTIONS in lib/queues.ts).
  workerOptions(config, { concurrency: 16 }),
);
worker.on("error", (err) => log.error({ err }, "availability worker error"));
worker.on("failed", (job, err) => log.warn({ err, jobId: job?.id, attempts: job?.attemptsMade }, "availability job failed"));
await worker.waitUntilReady();
log.info({ queue: QUEUE_NAMES.stockAvailability, prefix: config.redis.prefix }, "availability worker started");
// Heal other subgraphs' view of the catalog (and tell them about seeded products): every product's
// current status, which consumers ignore where they already know it.
const lifecycle = createLifecyclePublisher(config, log);
publishAllProducts(prisma, lifecycle)
  .then((count) => log.info({ count }, "published every product's lifecycle status"))
  .catch((err: unknown) => log.error({ err }, "could not publish every product's lifecycle status"));

onShutdown(log, async () => {
  await worker.close();
  await lifecycle.close();
  await prisma.$disconnect();
});

// The availability worker: its own process, consuming `stock-availability` (published by the
// inventory subgraph to its outbox with each stock change) into the ProductAvailability read model
// that the `inStock` filter reads. Shutdown, /metrics and stalled-job logging: lib/workerProcess.ts.
//
// Consistency: the read model trails inventory by the queue's latency, normally well under a
// second. Events are applied only when their version (the inventory ledger's movement sequence) is
// newer than the stored one, so duplicates, retries and out-of-order delivery are harmless. An
// event that is lost for good (say, Redis lost it) leaves one product's level stale until that
// product's stock changes again: the next event carries the full level, not a delta, and heals it.
// Checkout never relies on this model; inventory's own reservation is the authority on stock.
import { runWorkerProcess } from "../../../lib/workerProcess.js";
import { startOutboxRelay } from "../../../lib/outbox.js";
import { QUEUE_NAMES, startEventWorker } from "../../../lib/queues.js";
import { applyAvailability, parseAvailabilityEvent } from "./availability.js";
import { createPrisma } from "../../../lib/database.js";
import { PrismaClient } from "../../../prisma/products/__generated__/client.js";
import { publishAllProducts } from "./lifecycle.js";

await runWorkerProcess({
  name: "products",
  async start({ config, log }) {
    const prisma = createPrisma("products", config, PrismaClient);
    const worker = await startEventWorker({
      queue: QUEUE_NAMES.stockAvailability,
      config,
      log,
      parse: parseAvailabilityEvent,
      apply: (event) => applyAvailability(prisma, event),
    });
    // Heal other subgraphs' view of the catalog (and tell them about seeded products): every product's
    // current status, which consumers ignore where they already know it.
    // Products' own outbox (product-lifecycle events) goes to BullMQ through this relay.
    const outboxRelay = startOutboxRelay({ prisma, config, log, name: "products" });
    publishAllProducts(prisma)
      .then((count) => log.info({ count }, "published every product's lifecycle status"))
      .catch((err: unknown) => log.error({ err }, "could not publish every product's lifecycle status"));

    return {
      workers: [worker],
      measuredQueues: [QUEUE_NAMES.productLifecycle],
      async close() {
        await outboxRelay.stop();
        await prisma.$disconnect();
      },
    };
  },
});

// The products worker: its own process, consuming `stock-availability` (written by the inventory
// subgraph to its outbox with each stock change) into the ProductAvailability read model that the
// `inStock` filter reads, and relaying products' own outbox (product-lifecycle events).
//
// Consistency: the read model trails inventory by the relay's poll and the queue's latency, normally
// well under a second (longer only while Redis is away: the events wait in inventory's outbox). Events
// are applied only when their version (the inventory ledger's movement sequence) is newer than the
// stored one, so duplicates, retries and out-of-order delivery are harmless.
// Checkout never relies on this model; inventory's own reservation is the authority on stock.
import { loadConfigOrExit } from "../../../lib/config.js";
import { onShutdown } from "../../../lib/http.js";
import { createLogger } from "../../../lib/logger.js";
import { QUEUE_NAMES, startEventWorker } from "../../../lib/queues.js";
import { applyAvailability, parseAvailabilityEvent } from "./availability.js";
import { createPrisma } from "../../../lib/database.js";
import { PrismaClient } from "../../../prisma/products/__generated__/client.js";
import { publishAllProducts } from "./lifecycle.js";
import { startOutboxRelay } from "../../../lib/outbox.js";

const config = loadConfigOrExit();
const log = createLogger("products-worker", config.logLevel);
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
const outboxRelay = startOutboxRelay({ prisma, config, log, name: "products" });
publishAllProducts(prisma)
  .then((count) => log.info({ count }, "published every product's lifecycle status"))
  .catch((err: unknown) => log.error({ err }, "could not publish every product's lifecycle status"));

onShutdown(log, async () => {
  await worker.close();
  await outboxRelay.stop();
  await prisma.$disconnect();
});

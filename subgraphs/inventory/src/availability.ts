// Tells the products subgraph how many units of a product can be ordered, after each committed change.
import type { Config } from "../../../lib/config.js";
import type { Logger } from "../../../lib/logger.js";
import { QUEUE_NAMES, createQueue, type StockAvailabilityJobData } from "../../../lib/queues.js";
import type { PrismaClient, StockLevel } from "../../../prisma/inventory/__generated__/client.js";

export interface AvailabilityPublisher {
  /** Never throws: the stock change is already committed, so a failed publish is logged, not returned. */
  publish(levels: StockLevel[]): Promise<void>;
  close(): Promise<void>;
}

export const availableUnits = (level: Pick<StockLevel, "onHand" | "reserved">) => level.onHand - level.reserved;

export function availabilityEvent(level: StockLevel): StockAvailabilityJobData {
  return { productId: level.productId, available: availableUnits(level), version: level.version.toString() };
}

/**
 * Publishes to the `stock-availability` queue after the transaction commits. Fire-and-forget: an
 * event lost between commit and publish (a crash, Redis down) leaves the products read model stale
 * until the product's next change. A transactional outbox (events written in the same transaction,
 * relayed to the queue) will replace this later.
 */
export function createAvailabilityPublisher(config: Config, log: Logger): AvailabilityPublisher {
  const queue = createQueue(QUEUE_NAMES.stockAvailability, config, log);
  return {
    async publish(levels) {
      if (levels.length === 0) return;
      const events = levels.map(availabilityEvent);
      try {
        await queue.addBulk(events.map((data) => ({ name: "availability" as const, data })));
      } catch (error) {
        log.error({ err: error, events }, "could not publish stock availability; the products read model is stale until the next change");
      }
    },
    close: () => queue.close(),
  };
}

/** For callers that must not publish (a one-off script, say). */
export const silentAvailabilityPublisher: AvailabilityPublisher = { publish: async () => {}, close: async () => {} };

/**
 * Publishes every product's current level, a page at a time. The inventory worker does this when it
 * starts, so a read model that missed events (or was rebuilt) is healed within a restart.
 */
export async function publishAllLevels(prisma: PrismaClient, availability: AvailabilityPublisher, pageSize = 500): Promise<number> {
  let published = 0;
  let cursor: string | undefined;
  for (;;) {
    const page = await prisma.stockLevel.findMany({
      take: pageSize,
      orderBy: { productId: "asc" },
      ...(cursor ? { skip: 1, cursor: { productId: cursor } } : {}),
    });
    if (page.length === 0) return published;
    await availability.publish(page);
    published += page.length;
    cursor = page.at(-1)!.productId;
  }
}

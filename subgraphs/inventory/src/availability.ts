// Tells the products subgraph how many units of a product can be ordered: an availability event per changed
// level, written to inventory's outbox in the stock change's own transaction (lib/outbox.ts).
import { outboxEvent, writeOutbox, type OutboxEvent } from "../../../lib/outbox.js";
import type { StockAvailabilityJobData } from "../../../lib/queues.js";
import type { PrismaClient, StockLevel } from "../../../prisma/inventory/__generated__/client.js";

export const availableUnits = (level: Pick<StockLevel, "onHand" | "reserved">) => level.onHand - level.reserved;

export function availabilityEvent(level: StockLevel): StockAvailabilityJobData {
  return { productId: level.productId, available: availableUnits(level), version: level.version.toString() };
}

/**
 * The outbox events of changed levels. No job id: BullMQ keeps finished ids and a version can come round
 * again (a database rebuilt under the same Redis); duplicates are harmless, the consumer keeps the newest version.
 */
export const availabilityEvents = (levels: StockLevel[]): OutboxEvent[] =>
  levels.map((level) => outboxEvent("stock-availability", "availability", availabilityEvent(level)));

/**
 * Writes every product's current level to the outbox, a page at a time. The inventory worker does this when it
 * starts, so a read model that was rebuilt (or missed events before the outbox existed) is healed within a restart.
 */
export async function publishAllLevels(prisma: PrismaClient, pageSize = 500): Promise<number> {
  let published = 0;
  let cursor: string | undefined;
  for (;;) {
    const page = await prisma.stockLevel.findMany({
      take: pageSize,
      orderBy: { productId: "asc" },
      ...(cursor ? { skip: 1, cursor: { productId: cursor } } : {}),
    });
    if (page.length === 0) return published;
    await writeOutbox(prisma, availabilityEvents(page));
    published += page.length;
    cursor = page.at(-1)!.productId;
  }
}

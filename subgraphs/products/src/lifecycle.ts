// Product lifecycle events (created, status changed, deleted) on the `product-lifecycle` queue, so
// other subgraphs (inventory today) learn which products exist without asking for each one.
import type { Config } from "../../../lib/config.js";
import type { Logger } from "../../../lib/logger.js";
import { QUEUE_NAMES, createQueue, type ProductLifecycleJobData, type ProductLifecycleJobName } from "../../../lib/queues.js";
import type { PrismaClient, Product } from "../../../prisma/products/__generated__/client.js";

export interface ProductLifecycleEvent {
  name: ProductLifecycleJobName;
  data: ProductLifecycleJobData;
}

export interface ProductLifecyclePublisher {
  /** Never throws: the change is already committed, so a failed publish is logged, not returned. */
  publish(events: ProductLifecycleEvent[]): Promise<void>;
  close(): Promise<void>;
}

export const lifecycleEvent = (name: ProductLifecycleJobName, product: Pick<Product, "id" | "status" | "lifecycleVersion">) => ({
  name,
  data: { productId: product.id, status: product.status, version: product.lifecycleVersion },
});

export const deletedEvent = (product: Pick<Product, "id" | "lifecycleVersion">): ProductLifecycleEvent => ({
  name: "deleted",
  data: { productId: product.id, status: "DELETED", version: product.lifecycleVersion + 1 },
});

/**
 * Publishes after the change commits, the one place that does: a transactional outbox (events written
 * in the change's transaction, relayed to the queue) replaces this function alone. An event lost
 * between commit and publish is healed by the products worker, which republishes every product at start.
 */
export function createLifecyclePublisher(config: Config, log: Logger): ProductLifecyclePublisher {
  const queue = createQueue(QUEUE_NAMES.productLifecycle, config, log);
  return {
    async publish(events) {
      if (events.length === 0) return;
      try {
        await queue.addBulk(events);
      } catch (error) {
        log.error({ err: error, events: events.map((e) => e.data) }, "could not publish product lifecycle events");
      }
    },
    close: () => queue.close(),
  };
}

/** Every existing product's current status, a page at a time (the products worker runs it at start). */
export async function publishAllProducts(prisma: PrismaClient, publisher: ProductLifecyclePublisher, pageSize = 500): Promise<number> {
  let published = 0;
  let cursor: string | undefined;
  for (;;) {
    const page = await prisma.product.findMany({
      take: pageSize,
      orderBy: { id: "asc" },
      select: { id: true, status: true, lifecycleVersion: true },
      ...(cursor ? { skip: 1, cursor: { id: cursor } } : {}),
    });
    if (page.length === 0) return published;
    await publisher.publish(page.map((product) => lifecycleEvent("status-changed", product)));
    published += page.length;
    cursor = page.at(-1)!.id;
  }
}

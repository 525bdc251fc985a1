// Product lifecycle events (created, status changed, deleted) on the `product-lifecycle` queue, so
// other subgraphs (inventory today) learn which products exist without asking for each one. Each event is
// written to products' outbox (lib/outbox.ts) in the transaction of the change; the products worker relays it.
import { outboxEvent, writeOutbox, type OutboxEvent } from "../../../lib/outbox.js";
import type { ProductLifecycleJobName } from "../../../lib/queues.js";
import type { PrismaClient, Product } from "../../../prisma/products/__generated__/client.js";

// No job ids: BullMQ keeps finished ids and a version can come round again after a database rebuild;
// inventory ignores events that are not newer than what it has.
export const lifecycleEvent = (name: ProductLifecycleJobName, product: Pick<Product, "id" | "status" | "lifecycleVersion">): OutboxEvent =>
  outboxEvent("product-lifecycle", name, { productId: product.id, status: product.status, version: product.lifecycleVersion });

export const deletedEvent = (product: Pick<Product, "id" | "lifecycleVersion">): OutboxEvent =>
  outboxEvent("product-lifecycle", "deleted", { productId: product.id, status: "DELETED", version: product.lifecycleVersion + 1 });

/**
 * Every existing product's current status into the outbox, a page at a time (the products worker runs it at
 * start: it heals a rebuilt consumer and announces seeded products, which consumers ignore where they know them).
 */
export async function publishAllProducts(prisma: PrismaClient, pageSize = 500): Promise<number> {
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
    await writeOutbox(
      prisma,
      page.map((product) => lifecycleEvent("status-changed", product)),
    );
    published += page.length;
    cursor = page.at(-1)!.id;
  }
}

// Which products exist, as far as inventory knows: kept from the products subgraph's lifecycle events
// (product-lifecycle queue), and asked synchronously when an event has not arrived yet (right after
// createProduct, say). Stock is only ever kept for products confirmed this way.
import { z } from "zod";
import { AppError } from "../../../lib/errors.js";
import { productStatuses } from "../../../lib/productStatus.js";
import { InvalidEventError, type ProductLifecycleJobData } from "../../../lib/queues.js";
import { uuid } from "../../../lib/validation.js";
import type { PrismaClient } from "../../../prisma/inventory/__generated__/client.js";
import type { InventoryContext } from "./context.js";

const eventSchema = z.object({
  productId: uuid(),
  status: z.enum(["DRAFT", "ACTIVE", "ARCHIVED", "DELETED"]),
  version: z.number().int().min(1),
});

export function parseLifecycleEvent(data: unknown): ProductLifecycleJobData {
  const parsed = eventSchema.safeParse(data);
  if (!parsed.success) throw new InvalidEventError(`Invalid product lifecycle event: ${parsed.error.message}`);
  return parsed.data;
}

/**
 * Records the event unless a newer one (higher version) is already applied, so duplicates, retries
 * and out-of-order delivery are harmless. A DELETED product keeps its stock level and ledger: the
 * ledger never loses history; the product just takes no more changes and leaves the low-stock list.
 */
export async function applyLifecycleEvent(prisma: PrismaClient, event: ProductLifecycleJobData): Promise<boolean> {
  const changed = await prisma.$executeRaw`
    INSERT INTO "KnownProduct" ("productId", status, version, "updatedAt")
    VALUES (${event.productId}::uuid, ${event.status}, ${event.version}, now())
    ON CONFLICT ("productId") DO UPDATE SET status = EXCLUDED.status, version = EXCLUDED.version, "updatedAt" = now()
    WHERE "KnownProduct".version < EXCLUDED.version`;
  return changed > 0;
}

/** The product does not exist (or no longer does): nothing is recorded for it. */
export class UnknownProductError extends AppError {
  constructor(field = "productId") {
    super("No product in the catalog has this id.", "NOT_FOUND", { field });
  }
}

/**
 * Throws UnknownProductError unless the product exists in the catalog. Known from events: answered
 * locally. Not yet known: asked of products with the caller's rights (administrators see drafts),
 * and recorded with version 0, so the first real event overrides it.
 */
export async function confirmProduct(ctx: InventoryContext, productId: string): Promise<void> {
  const known = await ctx.prisma.knownProduct.findUnique({ where: { productId } });
  if (known) {
    if (known.status === "DELETED") throw new UnknownProductError();
    return;
  }
  const status = (await productStatuses(ctx.services, [productId], { requestId: ctx.requestId, authorization: ctx.authorization })).get(
    productId,
  );
  if (!status) throw new UnknownProductError();
  await ctx.prisma.$executeRaw`
    INSERT INTO "KnownProduct" ("productId", status, version, "updatedAt") VALUES (${productId}::uuid, ${status}, 0, now())
    ON CONFLICT ("productId") DO NOTHING`;
}

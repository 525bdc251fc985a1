// The products subgraph's read model of stock: how many units inventory can sell per product,
// as last reported on the `stock-availability` queue. Only the `inStock` filter reads it.
import { z } from "zod";
import { InvalidEventError, type StockAvailabilityJobData } from "../../../lib/queues.js";
import { uuid } from "../../../lib/validation.js";
import type { PrismaClient } from "../../../prisma/products/__generated__/client.js";

const availabilitySchema = z.object({
  productId: uuid(),
  available: z.int(),
  version: z.string().regex(/^\d{1,19}$/, "must be a bigint as a decimal string"),
});

/** Why an event cannot be applied however often it is retried. */
export function parseAvailabilityEvent(data: unknown): StockAvailabilityJobData {
  const parsed = availabilitySchema.safeParse(data);
  if (!parsed.success) throw new InvalidEventError(`invalid stock-availability payload: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

/**
 * Stores the level unless a newer (or the same) version is already stored, in one atomic statement:
 * duplicated, retried and reordered events all end with the newest level. Returns whether it changed.
 */
export async function applyAvailability(prisma: PrismaClient, event: StockAvailabilityJobData): Promise<boolean> {
  const changed = await prisma.$executeRaw`
    INSERT INTO "ProductAvailability" ("productId", "available", "version", "updatedAt")
    VALUES (${event.productId}::uuid, ${event.available}::int, ${event.version}::bigint, now() AT TIME ZONE 'UTC')
    ON CONFLICT ("productId") DO UPDATE
      SET "available" = EXCLUDED."available", "version" = EXCLUDED."version", "updatedAt" = EXCLUDED."updatedAt"
      WHERE "ProductAvailability"."version" < EXCLUDED."version"`;
  return changed > 0;
}

// The SQL under every stock change. Callers run these inside one transaction: lock the levels,
// check, then record each movement and apply it to its level, so the ledger and the levels never
// disagree and concurrent changes queue on the row lock instead of overwriting each other.
import { z } from "zod";
import { parseRows } from "../../../lib/database.js";
import { prismaErrorKind } from "../../../lib/errors.js";
import { Prisma, StockMovementReason, type StockLevel, type StockMovement } from "../../../prisma/inventory/__generated__/client.js";

export type Tx = Prisma.TransactionClient;

export interface MovementInput {
  productId: string;
  /** Change of onHand. */
  delta: number;
  /** Change of reserved. */
  reservedDelta: number;
  reason: StockMovementReason;
  reference?: string | null;
  idempotencyKey?: string | null;
  actorId?: string | null;
  note?: string | null;
}

/** Matches the column default in schema.prisma. */
export const DEFAULT_LOW_STOCK_THRESHOLD = 5;

/** What a product inventory has never stocked looks like: nothing on hand. */
export function emptyLevel(productId: string): StockLevel {
  return { productId, onHand: 0, reserved: 0, lowStockThreshold: DEFAULT_LOW_STOCK_THRESHOLD, version: 0n, updatedAt: new Date(0) };
}

/** Rows of the raw statements on StockLevel and StockMovement (`SELECT *`, `RETURNING *`), checked by `parseRows`. */
export const stockLevelRow = z.object({
  productId: z.string(),
  onHand: z.number(),
  reserved: z.number(),
  lowStockThreshold: z.number(),
  version: z.bigint(),
  updatedAt: z.date(),
}) satisfies z.ZodType<StockLevel>;
export const stockMovementRow = z.object({
  id: z.bigint(),
  productId: z.string(),
  delta: z.number(),
  reservedDelta: z.number(),
  reason: z.enum(StockMovementReason),
  reference: z.string().nullable(),
  idempotencyKey: z.string().nullable(),
  actorId: z.string().nullable(),
  note: z.string().nullable(),
  createdAt: z.date(),
}) satisfies z.ZodType<StockMovement>;

const sortedUnique = (ids: string[]) => [...new Set(ids)].sort();

/** Creates empty levels for products not stocked yet, so they can be locked and then stocked. */
export async function ensureLevels(tx: Tx, productIds: string[]): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO "StockLevel" ("productId", "updatedAt")
    SELECT id, now() FROM unnest(${sortedUnique(productIds)}::uuid[]) AS id
    ON CONFLICT ("productId") DO NOTHING`;
}

/**
 * Makes the stock changes of one order take turns, whichever products they touch: a reservation and
 * a release of the same order, say. Taken before any level lock, in every order-level change.
 */
export async function lockOrder(tx: Tx, orderId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${orderId}, 0))`;
}

/**
 * Locks the products' levels until the transaction ends. Rows are locked in productId order, the
 * same in every transaction, so two multi-product changes never wait on each other in a cycle.
 * Products without a level are missing from the map.
 */
export async function lockLevels(tx: Tx, productIds: string[]): Promise<Map<string, StockLevel>> {
  const rows = parseRows(
    stockLevelRow,
    await tx.$queryRaw`
    SELECT * FROM "StockLevel" WHERE "productId" = ANY(${sortedUnique(productIds)}::uuid[])
    ORDER BY "productId" FOR UPDATE`,
  );
  return new Map(rows.map((row) => [row.productId, row]));
}

/**
 * Which of these idempotency keys are already in the ledger. Read after `lockLevels` on the same
 * products: a concurrent duplicate has then either committed (and is seen here, as each statement
 * reads the latest committed data) or not started.
 */
export async function recordedKeys(tx: Tx, keys: string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const rows = await tx.stockMovement.findMany({ where: { idempotencyKey: { in: keys } }, select: { idempotencyKey: true } });
  return new Set(rows.map((row) => row.idempotencyKey!));
}

const recordedRow = z.object({ id: z.bigint() });

/**
 * Records one movement and applies it to the product's level, which the caller has locked and
 * checked. The conditional UPDATE (and the table's CHECK constraints) refuse an impossible level
 * anyway, so a bug here fails the transaction instead of corrupting stock. The level's version is
 * the movement id: taken under the lock, it grows with every change of the product.
 */
export async function applyMovement(tx: Tx, movement: MovementInput): Promise<StockLevel> {
  const { productId, delta, reservedDelta, reason } = movement;
  const [recorded] = parseRows(
    recordedRow,
    await tx.$queryRaw`
    INSERT INTO "StockMovement" ("productId", "delta", "reservedDelta", "reason", "reference", "idempotencyKey", "actorId", "note")
    VALUES (${productId}::uuid, ${delta}, ${reservedDelta}, ${reason}::"StockMovementReason", ${movement.reference ?? null},
            ${movement.idempotencyKey ?? null}, ${movement.actorId ?? null}, ${movement.note ?? null})
    RETURNING "id"`,
  );
  const [level] = parseRows(
    stockLevelRow,
    await tx.$queryRaw`
    UPDATE "StockLevel"
    SET "onHand" = "onHand" + ${delta}, "reserved" = "reserved" + ${reservedDelta}, "version" = ${recorded!.id}, "updatedAt" = now()
    WHERE "productId" = ${productId}::uuid
      AND "onHand" + ${delta} >= "reserved" + ${reservedDelta}
      AND "reserved" + ${reservedDelta} >= 0
    RETURNING *`,
  );
  if (!level) throw new Error(`Stock movement ${reason} ${delta}/${reservedDelta} does not fit product ${productId}'s level`);
  return level;
}

/** A second insert of the same idempotency key (a duplicate that slipped past `recordedKeys`). */
export function isDuplicateKey(error: unknown): boolean {
  return prismaErrorKind(error) === "unique";
}

const ledgerMismatchRow = z.object({
  productId: z.string(),
  onHand: z.number(),
  reserved: z.number(),
  ledgerOnHand: z.number(),
  ledgerReserved: z.number(),
});
export type LedgerMismatch = z.output<typeof ledgerMismatchRow>;

/**
 * Checks the ledger invariant: a level's onHand is the sum of its movements' deltas and its
 * reserved the sum of their reservedDeltas. Returns the products where that does not hold
 * (all products, or only those given).
 */
export async function findLedgerMismatches(prisma: Pick<Tx, "$queryRaw">, productIds?: string[]): Promise<LedgerMismatch[]> {
  const filter = productIds ? Prisma.sql`WHERE l."productId" = ANY(${sortedUnique(productIds)}::uuid[])` : Prisma.empty;
  return parseRows(
    ledgerMismatchRow,
    await prisma.$queryRaw`
    SELECT l."productId", l."onHand", l."reserved",
           COALESCE(SUM(m."delta"), 0)::int AS "ledgerOnHand",
           COALESCE(SUM(m."reservedDelta"), 0)::int AS "ledgerReserved"
    FROM "StockLevel" l
    LEFT JOIN "StockMovement" m ON m."productId" = l."productId"
    ${filter}
    GROUP BY l."productId"
    HAVING l."onHand" <> COALESCE(SUM(m."delta"), 0) OR l."reserved" <> COALESCE(SUM(m."reservedDelta"), 0)`,
  );
}

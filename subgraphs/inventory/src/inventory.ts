// Stock levels and their ledger: the rules, callable without HTTP. Every change is one
// transaction that locks the product's level, checks it and records a movement (ledger.ts);
// its availability events for the products subgraph are written to the outbox in the same transaction.
import { z } from "zod";
import { assertServiceCaller } from "../../../lib/access.js";
import { requireAdmin } from "../../../lib/auth.js";
import { ForbiddenError, type ErrorResult } from "../../../lib/errors.js";
import { pageSize } from "../../../lib/pagination.js";
import type { StockJobResult, StockLine, StockShortage } from "../../../lib/queues.js";
import type { EntityReference } from "../../../lib/types.js";
import { parseInput, uuid } from "../../../lib/validation.js";
import { parseRows } from "../../../lib/database.js";
import type { StockLevel, StockMovement, StockMovementReason } from "../../../prisma/inventory/__generated__/client.js";
import { availabilityEvents, availableUnits } from "./availability.js";
import { writeOutbox } from "../../../lib/outbox.js";
import type { InventoryContext, StockDeps } from "./context.js";
import { confirmProduct } from "./knownProducts.js";
import { applyMovement, emptyLevel, ensureLevels, isDuplicateKey, lockLevels, lockOrder, recordedKeys, type Tx } from "./ledger.js";
import { stockLevelRow } from "./ledger.js";

export type { StockLevel, StockMovement };
export { availableUnits };
export { findLedgerMismatches, type LedgerMismatch } from "./ledger.js";

/** The change would take stock below zero or below what is reserved; nothing was changed. */
export interface InsufficientStock extends ErrorResult<"InsufficientStockError", "INSUFFICIENT_STOCK"> {
  productId: string;
  available: number;
  requested: number;
}

export const isInsufficientStock = (value: object): value is InsufficientStock =>
  "__typename" in value && value.__typename === "InsufficientStockError";

function insufficientStock(level: StockLevel, requested: number): InsufficientStock {
  const available = availableUnits(level);
  return {
    __typename: "InsufficientStockError",
    code: "INSUFFICIENT_STOCK",
    message: `Cannot take away ${requested} units: only ${available} are in stock and not reserved for orders.`,
    productId: level.productId,
    available,
    requested,
  };
}

// Waiting for a connection and for the row lock can take a while when many changes hit one product.
const TRANSACTION_OPTIONS = { maxWait: 10_000, timeout: 15_000 };
const MAX_STOCK_CHANGE = 1_000_000;

interface TransactionOutcome<T> {
  result: T;
  /** Levels the change made: their availability events go to the outbox in the same transaction. */
  levels: StockLevel[];
}

/** Runs one stock change as one transaction, its availability events written to the outbox with it. */
async function inTransaction<T>(deps: StockDeps, work: (tx: Tx) => Promise<TransactionOutcome<T>>): Promise<T> {
  return deps.prisma.$transaction(async (tx) => {
    const { result, levels } = await work(tx);
    await writeOutbox(tx, availabilityEvents(levels));
    return result;
  }, TRANSACTION_OPTIONS);
}

/**
 * Runs a keyed change. Keys are checked under the row or order lock, so a concurrent duplicate waits
 * and then finds the first one's movements. The unique index on the key is the last line of
 * defence: a duplicate that got past the check fails on insert, and run again reports the first.
 */
async function onceByKey<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isDuplicateKey(error)) return run();
    throw error;
  }
}

// --- Changes made by administrators and by the seed ----------------------------------------------

const productIdSchema = uuid("must be a product id (a UUID)");
const noteSchema = z.string().trim().max(500, "must be at most 500 characters").nullish();
const ADMIN_REASONS = ["RESTOCK", "ADJUSTMENT", "RETURN"] as const satisfies readonly StockMovementReason[];

const adjustStockSchema = z
  .object({
    productId: productIdSchema,
    delta: z
      .number()
      .int("must be a whole number")
      .min(-MAX_STOCK_CHANGE, `must be at least -${MAX_STOCK_CHANGE}`)
      .max(MAX_STOCK_CHANGE, `must be at most ${MAX_STOCK_CHANGE}`)
      .refine((delta) => delta !== 0, "must not be zero"),
    reason: z.enum(ADMIN_REASONS, { error: "must be RESTOCK, ADJUSTMENT or RETURN; reservations, releases and sales come from orders" }),
    note: noteSchema,
  })
  .refine((input) => input.reason === "ADJUSTMENT" || input.delta > 0, {
    message: "must be positive for RESTOCK and RETURN; use ADJUSTMENT to remove units",
    path: ["delta"],
  });

export interface StockChange {
  productId: string;
  /** Positive adds units, negative takes them away. */
  delta: number;
  reason: "RESTOCK" | "ADJUSTMENT" | "RETURN";
  note?: string | null;
  actorId?: string | null;
  reference?: string | null;
  /** When given, a second change with the same key changes nothing and returns the current level. */
  idempotencyKey?: string | null;
}

/** Adds or takes away units of one product, unless that would leave less on hand than is reserved. */
export async function changeStock(deps: StockDeps, change: StockChange): Promise<StockLevel | InsufficientStock> {
  const { productId, delta, idempotencyKey } = change;
  return onceByKey(() =>
    inTransaction<StockLevel | InsufficientStock>(deps, async (tx) => {
      if (delta > 0) await ensureLevels(tx, [productId]);
      const level = (await lockLevels(tx, [productId])).get(productId) ?? emptyLevel(productId);
      if (idempotencyKey && (await recordedKeys(tx, [idempotencyKey])).size > 0) {
        // Applied before: its events were written with it.
        return { result: level, levels: [] };
      }
      if (level.onHand + delta < level.reserved) return { result: insufficientStock(level, -delta), levels: [] };
      const changed = await applyMovement(tx, { ...change, reservedDelta: 0 });
      return { result: changed, levels: [changed] };
    }),
  );
}

export async function adjustStock(
  ctx: InventoryContext,
  args: { productId: string; delta: number; reason: StockMovementReason; note?: string | null },
): Promise<StockLevel | InsufficientStock> {
  const viewer = requireAdmin(ctx.viewer);
  const input = parseInput(adjustStockSchema, args, "");
  await confirmProduct(ctx, input.productId);
  const result = await changeStock(ctx, { ...input, actorId: viewer.userId });
  if (!isInsufficientStock(result)) {
    ctx.log.info({ productId: input.productId, delta: input.delta, reason: input.reason }, "stock adjusted");
  }
  return result;
}

const setStockSchema = z.object({
  productId: productIdSchema,
  onHand: z
    .number()
    .int("must be a whole number")
    .min(0, "must not be negative")
    .max(MAX_STOCK_CHANGE, `must be at most ${MAX_STOCK_CHANGE}`),
  note: noteSchema,
});

/** Sets the units on hand after a count; records an ADJUSTMENT of the difference. */
export async function setStock(
  ctx: InventoryContext,
  args: { productId: string; onHand: number; note?: string | null },
): Promise<StockLevel | InsufficientStock> {
  const viewer = requireAdmin(ctx.viewer);
  const { productId, onHand, note } = parseInput(setStockSchema, args, "");
  await confirmProduct(ctx, productId);
  return inTransaction<StockLevel | InsufficientStock>(ctx, async (tx) => {
    if (onHand > 0) await ensureLevels(tx, [productId]);
    const level = (await lockLevels(tx, [productId])).get(productId) ?? emptyLevel(productId);
    const delta = onHand - level.onHand;
    if (delta === 0) return { result: level, levels: [] };
    if (onHand < level.reserved) return { result: insufficientStock(level, -delta), levels: [] };
    const changed = await applyMovement(tx, { productId, delta, reservedDelta: 0, reason: "ADJUSTMENT", actorId: viewer.userId, note });
    ctx.log.info({ productId, delta }, "stock set");
    return { result: changed, levels: [changed] };
  });
}

const thresholdSchema = z.object({
  productId: productIdSchema,
  threshold: z
    .number()
    .int("must be a whole number")
    .min(0, "must not be negative")
    .max(MAX_STOCK_CHANGE, `must be at most ${MAX_STOCK_CHANGE}`),
});

export async function setLowStockThreshold(ctx: InventoryContext, args: { productId: string; threshold: number }): Promise<StockLevel> {
  requireAdmin(ctx.viewer);
  const { productId, threshold } = parseInput(thresholdSchema, args, "");
  await confirmProduct(ctx, productId);
  // Not a stock change, so no movement: the ledger records units only.
  return ctx.prisma.stockLevel.upsert({
    where: { productId },
    create: { productId, lowStockThreshold: threshold },
    update: { lowStockThreshold: threshold },
  });
}

// --- Reservations, for orders (called by the stock worker, not exposed over GraphQL) -------------

const orderIdSchema = uuid("must be an order id (a UUID)");
const reserveSchema = z.object({
  orderId: orderIdSchema,
  lines: z
    .array(
      z.object({
        productId: productIdSchema,
        quantity: z
          .number()
          .int("must be a whole number")
          .min(1, "must be at least 1")
          .max(MAX_STOCK_CHANGE, `must be at most ${MAX_STOCK_CHANGE}`),
      }),
    )
    .min(1, "must hold at least one line")
    .max(500, "must hold at most 500 lines"),
});

/** The ledger key of one line of an order's reservation, release or sale. */
export const reservationKey = (orderId: string, kind: "reserve" | "release" | "commit" | "return", productId: string) =>
  `${orderId}:${kind}:${productId}`;

/** Lines for the same product count once, with their quantities added; sorted by product. */
function mergeLines(lines: StockLine[]): StockLine[] {
  const quantities = new Map<string, number>();
  for (const { productId, quantity } of lines) quantities.set(productId, (quantities.get(productId) ?? 0) + quantity);
  return [...quantities].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([productId, quantity]) => ({ productId, quantity }));
}

async function movementLines(tx: Tx, orderId: string, reason: StockMovementReason): Promise<StockLine[]> {
  const movements = await tx.stockMovement.findMany({ where: { reference: orderId, reason }, orderBy: { productId: "asc" } });
  return movements.map((m) => ({ productId: m.productId, quantity: Math.abs(m.reservedDelta) }));
}

/**
 * Holds stock for an order, all lines or none. Idempotent per order: once an order has a
 * reservation, reserving again changes nothing and reports the reservation as ALREADY_APPLIED.
 */
export async function reserveStock(deps: StockDeps, input: { orderId: string; lines: StockLine[] }): Promise<StockJobResult> {
  const { orderId, lines: requested } = parseInput(reserveSchema, input);
  const lines = mergeLines(requested);
  const productIds = lines.map((line) => line.productId);

  const reserve = () =>
    inTransaction<StockJobResult>(deps, async (tx) => {
      // The order lock makes a duplicate of this reservation wait here, then find it below.
      await lockOrder(tx, orderId);
      const reserved = await movementLines(tx, orderId, "RESERVATION");
      const levels = await lockLevels(tx, reserved.length > 0 ? reserved.map((line) => line.productId) : productIds);
      if (reserved.length > 0) {
        // Applied before: its events were written with it.
        return { result: { status: "ALREADY_APPLIED", lines: reserved }, levels: [] };
      }

      const shortages: StockShortage[] = [];
      for (const { productId, quantity } of lines) {
        const available = availableUnits(levels.get(productId) ?? emptyLevel(productId));
        if (available < quantity) shortages.push({ productId, requested: quantity, available });
      }
      if (shortages.length > 0) return { result: { status: "INSUFFICIENT_STOCK", shortages }, levels: [] };

      const changed: StockLevel[] = [];
      for (const { productId, quantity } of lines) {
        changed.push(
          await applyMovement(tx, {
            productId,
            delta: 0,
            reservedDelta: quantity,
            reason: "RESERVATION",
            reference: orderId,
            idempotencyKey: reservationKey(orderId, "reserve", productId),
          }),
        );
      }
      deps.log.info({ orderId, lines }, "stock reserved");
      return { result: { status: "RESERVED", lines }, levels: changed };
    });
  return onceByKey(reserve);
}

const settleSchema = z.object({ orderId: orderIdSchema });

/**
 * Ends an order's reservation: `release` gives the units back, `commit` sells them (they leave
 * onHand). Each reserved line is settled once: a second call of the same kind is ALREADY_APPLIED,
 * and a release after a commit (or the reverse) finds NOTHING_RESERVED.
 */
async function settleReservation(deps: StockDeps, input: { orderId: string }, kind: "release" | "commit"): Promise<StockJobResult> {
  const { orderId } = parseInput(settleSchema, input);
  const reason: StockMovementReason = kind === "release" ? "RELEASE" : "SALE";
  const lines = (movements: StockMovement[]) =>
    movements
      .map((m) => ({ productId: m.productId, quantity: Math.abs(m.reservedDelta) }))
      .sort((a, b) => (a.productId < b.productId ? -1 : 1));

  const settle = () =>
    inTransaction<StockJobResult>(deps, async (tx) => {
      // The order lock makes a reservation, a release and a commit of the same order take turns:
      // whichever comes second sees the movements of the first.
      await lockOrder(tx, orderId);
      const movements = await tx.stockMovement.findMany({
        where: { reference: orderId, reason: { in: ["RESERVATION", "RELEASE", "SALE"] } },
      });
      const reservations = movements.filter((m) => m.reason === "RESERVATION");
      if (reservations.length === 0) return { result: { status: "NOTHING_RESERVED", lines: [] }, levels: [] };
      await lockLevels(
        tx,
        reservations.map((r) => r.productId),
      );
      const sameKind = movements.filter((m) => m.reason === reason);
      if (sameKind.length > 0) {
        // Applied before: its events were written with it.
        return { result: { status: "ALREADY_APPLIED", lines: lines(sameKind) }, levels: [] };
      }
      const settledProducts = new Set(movements.filter((m) => m.reason !== "RESERVATION").map((m) => m.productId));
      const open = lines(reservations.filter((r) => !settledProducts.has(r.productId)));
      if (open.length === 0) return { result: { status: "NOTHING_RESERVED", lines: [] }, levels: [] };

      const changed: StockLevel[] = [];
      for (const { productId, quantity } of open) {
        changed.push(
          await applyMovement(tx, {
            productId,
            delta: kind === "commit" ? -quantity : 0,
            reservedDelta: -quantity,
            reason,
            reference: orderId,
            idempotencyKey: reservationKey(orderId, kind, productId),
          }),
        );
      }
      deps.log.info({ orderId, lines: open }, kind === "commit" ? "reserved stock sold" : "reserved stock released");
      return { result: { status: kind === "commit" ? "COMMITTED" : "RELEASED", lines: open }, levels: changed };
    });
  return onceByKey(settle);
}

/** Gives an order's reserved units back (the order was cancelled or its payment failed). */
export const releaseReservation = (deps: StockDeps, input: { orderId: string }) => settleReservation(deps, input, "release");

/** Turns an order's reservation into a sale: the units leave onHand (the order was paid). */
export const commitReservation = (deps: StockDeps, input: { orderId: string }) => settleReservation(deps, input, "commit");

/**
 * Puts the units an order bought back on hand (a paid order cancelled before it shipped): one RETURN
 * movement per sold line, once; a second call is ALREADY_APPLIED. An order whose sale is not committed
 * yet gets its reservation released instead (releaseUnsold); one with neither, NOTHING_RESERVED.
 */
export async function returnSale(deps: StockDeps, input: { orderId: string }): Promise<StockJobResult> {
  const { orderId } = parseInput(settleSchema, input);
  const giveBack = () =>
    inTransaction<StockJobResult>(deps, async (tx) => {
      await lockOrder(tx, orderId);
      const movements = await tx.stockMovement.findMany({
        where: { reference: orderId, reason: { in: ["RESERVATION", "RELEASE", "SALE", "RETURN"] } },
      });
      const sales = movements.filter((m) => m.reason === "SALE").sort((a, b) => (a.productId < b.productId ? -1 : 1));
      if (sales.length === 0) return releaseUnsold(tx, orderId, movements);
      await lockLevels(
        tx,
        sales.map((m) => m.productId),
      );
      const lines = sales.map((m) => ({ productId: m.productId, quantity: -m.delta }));
      if (movements.some((m) => m.reason === "RETURN")) {
        return { result: { status: "ALREADY_APPLIED", lines }, levels: [] };
      }
      const changed: StockLevel[] = [];
      for (const { productId, quantity } of lines) {
        changed.push(
          await applyMovement(tx, {
            productId,
            delta: quantity,
            reservedDelta: 0,
            reason: "RETURN",
            reference: orderId,
            idempotencyKey: reservationKey(orderId, "return", productId),
          }),
        );
      }
      deps.log.info({ orderId, lines }, "sold stock returned");
      return { result: { status: "RETURNED", lines }, levels: changed };
    });
  return onceByKey(giveBack);
}

/** What the reserveStock service operation answers: held (now or before), or every short line. */
export interface StockReservation {
  reserved: boolean;
  shortages: InsufficientStock[];
}

/**
 * The orders subgraph's synchronous reservation at checkout (only orders may call it): the same
 * all-or-nothing, per-order idempotent reservation as the `reserve` job.
 */
export async function reserveStockForOrder(
  ctx: InventoryContext,
  args: { orderId: string; lines: StockLine[] },
): Promise<StockReservation> {
  assertServiceCaller(ctx.caller, ["orders"], "reserveStock");
  const result = await reserveStock(ctx, args);
  switch (result.status) {
    case "RESERVED":
    case "ALREADY_APPLIED":
      return { reserved: true, shortages: [] };
    case "INSUFFICIENT_STOCK":
      return {
        reserved: false,
        shortages: result.shortages.map(({ productId, requested, available }) => ({
          __typename: "InsufficientStockError",
          code: "INSUFFICIENT_STOCK",
          message: `Only ${available} units can be ordered now; ${requested} were wanted.`,
          productId,
          available,
          requested,
        })),
      };
    case "RELEASED":
    case "COMMITTED":
    case "RETURNED":
    case "NOTHING_RESERVED":
      throw new Error(`reserveStock answered ${result.status}`);
  }
}

/**
 * A return for an order whose sale was never committed: the commit job is still queued, or a refund
 * overtook the payment event. Its open reservation is released instead, in the same transaction
 * (under the order lock), so the units come back either way and the late commit finds nothing
 * reserved: no order of the jobs can sell units that were refunded.
 */
async function releaseUnsold(tx: Tx, orderId: string, movements: StockMovement[]): Promise<TransactionOutcome<StockJobResult>> {
  const settled = new Set(movements.filter((m) => m.reason === "RELEASE" || m.reason === "SALE").map((m) => m.productId));
  const open = movements
    .filter((m) => m.reason === "RESERVATION" && !settled.has(m.productId))
    .map((m) => ({ productId: m.productId, quantity: m.reservedDelta }))
    .sort((a, b) => (a.productId < b.productId ? -1 : 1));
  if (open.length === 0) return { result: { status: "NOTHING_RESERVED", lines: [] }, levels: [] };
  await lockLevels(
    tx,
    open.map((line) => line.productId),
  );
  const changed: StockLevel[] = [];
  for (const { productId, quantity } of open) {
    changed.push(
      await applyMovement(tx, {
        productId,
        delta: 0,
        reservedDelta: -quantity,
        reason: "RELEASE",
        reference: orderId,
        idempotencyKey: reservationKey(orderId, "release", productId),
      }),
    );
  }
  return { result: { status: "RELEASED", lines: open }, levels: changed };
}

// --- Reads ------------------------------------------------------------------------------------------

/** A product's stock; products inventory has never stocked have nothing available. */
export async function inventoryOf(ctx: InventoryContext, product: EntityReference): Promise<StockLevel> {
  return (await ctx.loaders.stockLevel.load(product.id)) ?? emptyLevel(product.id);
}

/** onHand, reserved and the threshold are for administrators; everyone may see availability. */
export function assertCanSeeStockDetails(ctx: InventoryContext): void {
  if (ctx.viewer?.role !== "ADMIN") throw new ForbiddenError("Only administrators can see stock details; use available and inStock.");
}

export async function stockMovements(
  ctx: InventoryContext,
  product: EntityReference,
  first: number | null | undefined,
): Promise<StockMovement[]> {
  requireAdmin(ctx.viewer);
  const size = pageSize(first, 50);
  if (size === 0) return [];
  return ctx.loaders.movements(size).load(product.id);
}

/**
 * Products at or below their low-stock threshold, lowest availability first: only products the
 * catalog has and may sell (DRAFT or ACTIVE); archived and deleted ones need no restocking, and
 * rows for ids the catalog never had (from before inventory checked) are left out.
 */
export async function lowStockProducts(ctx: InventoryContext, first: number | null | undefined): Promise<EntityReference[]> {
  requireAdmin(ctx.viewer);
  const size = pageSize(first, 50);
  const levels = parseRows(
    stockLevelRow,
    await ctx.prisma.$queryRaw`
    SELECT s.* FROM "StockLevel" s JOIN "KnownProduct" k ON k."productId" = s."productId" AND k.status IN ('DRAFT', 'ACTIVE')
    WHERE s."onHand" - s."reserved" <= s."lowStockThreshold"
    ORDER BY s."onHand" - s."reserved", s."productId" LIMIT ${size}`,
  );
  for (const level of levels) ctx.loaders.stockLevel.prime(level.productId, level);
  return levels.map((level) => ({ id: level.productId }));
}

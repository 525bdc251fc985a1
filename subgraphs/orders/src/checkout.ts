// Checkout: the customer's cart becomes an order with reserved stock and a payment to confirm.
// The steps and what each failure leaves behind (nothing reserved for ever, no half-made order):
//
//   1. claim the idempotency key (CheckoutRequest), choosing the order id. A complete claim answers
//      with its order; one in progress makes a duplicate wait for it.
//   2. in the claim's own transaction, the order's expiry job goes to the outbox, so it exists BEFORE
//      anything is reserved: whatever happens later (a crash, Redis away), that job releases the order
//      id's stock and drops a claim nobody finished.
//   3. read the cart (carts) and the live names, prices and statuses (products), with the customer's rights.
//   4. reserve every line in inventory, keyed by the order id (all or nothing).
//   5. one transaction: the order, its first history row, the claim marked complete, the confirmation email.
//   6. start the payment (payments, idempotent per order). If that fails, the order is cancelled
//      by the system and its stock released: the customer checks out again with the same key.
//   7. take the ordered items out of the cart (a failure is logged, the order stands).
//
// A step that fails before the order exists deletes the claim, so the key can be used again; the
// retry gets a new order id, because inventory's reservation of a released order id cannot be reused.
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { requireViewer, type Viewer } from "../../../lib/auth.js";
import { ConflictError, UnavailableError, type ErrorResult } from "../../../lib/errors.js";
import type { Logger } from "../../../lib/logger.js";
import { availableUnits } from "../../../lib/productStatus.js";
import { writeOutbox } from "../../../lib/outbox.js";
import { orderExpiryJobId, type StockLine } from "../../../lib/queues.js";
import type { ServiceCallOptions } from "../../../lib/serviceClient.js";
import { parseInput } from "../../../lib/validation.js";
import type { Order } from "../../../prisma/orders/__generated__/client.js";
import type { OrdersContext } from "./context.js";
import { expiryJob, orderEmail, queueStockJob, stockJob } from "./orderJobs.js";
import { lockOrderRow, recordMove, SYSTEM } from "./orderMoves.js";
import { addressSchema } from "./orders.js";
import { orderTotals } from "./pricing.js";
import * as services from "./services.js";

export interface CheckoutInput {
  idempotencyKey: string;
  shippingAddress: unknown;
}

export interface CheckoutSuccess {
  __typename: "CheckoutSuccess";
  order: Order;
  payment: { id: string };
}

export interface InsufficientStockLine extends ErrorResult<"InsufficientStockError", "INSUFFICIENT_STOCK"> {
  productId: string;
  available: number;
  requested: number;
}

export interface CheckoutStockError extends ErrorResult<"CheckoutStockError", "INSUFFICIENT_STOCK"> {
  lines: InsufficientStockLine[];
}

export type EmptyCartError = ErrorResult<"EmptyCartError", "EMPTY_CART">;

export type CheckoutResult = CheckoutSuccess | CheckoutStockError | EmptyCartError;

const checkoutSchema = z.object({
  idempotencyKey: z.string().regex(/^[\x20-\x7E]{1,100}$/, "must be 1 to 100 printable ASCII characters"),
  shippingAddress: addressSchema,
});

/**
 * How long a duplicate waits for the checkout holding its key: about as long as the router waits for
 * this subgraph (SUBGRAPH_TIMEOUT_MS). A checkout that takes longer still finishes; the client's next
 * retry with the key gets its order (or, while it runs, CONFLICT).
 */
const claimWaitMs = (ctx: OrdersContext) => Math.max(1_000, ctx.serviceTimeoutMs - 1_000);
const CLAIM_POLL_MS = 100;

export async function checkout(ctx: OrdersContext, input: CheckoutInput): Promise<CheckoutResult> {
  const viewer = requireViewer(ctx.viewer);
  const { idempotencyKey, shippingAddress } = parseInput(checkoutSchema, input, "input");
  const call: ServiceCallOptions = { requestId: ctx.requestId, authorization: ctx.authorization };

  const claim = await claimKey(ctx, viewer.userId, idempotencyKey);
  const log = ctx.log.child({ orderId: claim.orderId, customerId: viewer.userId });
  if (claim.complete) return replay(ctx, claim.orderId, call, log);

  let outcome: CheckoutResult | undefined;
  try {
    outcome = await placeOrder(ctx, viewer, claim.orderId, shippingAddress, call, log);
    // An answer without an order (empty cart, short lines) is definite: nothing is held for this
    // order id, so its expiry job has nothing to clean up.
    if (outcome.__typename !== "CheckoutSuccess") await dropExpiry(ctx, claim.orderId, log);
    return outcome;
  } finally {
    // Anything but an order gives the key back (an error result, a failure, a bug).
    if (outcome?.__typename !== "CheckoutSuccess") await releaseClaim(ctx, claim.orderId, log);
  }
}

// --- 1. The idempotency key ---------------------------------------------------------------------

/**
 * Claims (customerId, key) with a new order id, or finds the claim that holds it: complete (its
 * order exists) or, after waiting for the checkout in progress to finish, released (then claimed
 * here). A checkout still running after claimWaitMs is a CONFLICT to retry.
 */
async function claimKey(ctx: OrdersContext, customerId: string, idempotencyKey: string): Promise<{ orderId: string; complete: boolean }> {
  const deadline = Date.now() + claimWaitMs(ctx);
  for (;;) {
    const orderId = randomUUID();
    const inserted = await ctx.prisma.$transaction(async (tx) => {
      const count = await tx.$executeRaw`
        INSERT INTO "CheckoutRequest" ("customerId", "idempotencyKey", "orderId", "updatedAt")
        VALUES (${customerId}::uuid, ${idempotencyKey}, ${orderId}::uuid, now())
        ON CONFLICT ("customerId", "idempotencyKey") DO NOTHING`;
      // 2. The expiry job with the claim: from here on, whatever fails is cleaned up by it at the latest.
      if (count === 1) await writeOutbox(tx, [expiryJob(orderId, ctx.checkoutRules.unpaidOrderTtlSeconds)]);
      return count;
    });
    if (inserted === 1) return { orderId, complete: false };
    const held = await ctx.prisma.checkoutRequest.findUnique({ where: { customerId_idempotencyKey: { customerId, idempotencyKey } } });
    if (held?.status === "COMPLETE") return { orderId: held.orderId, complete: true };
    if (held && Date.now() > deadline) {
      throw new ConflictError("A checkout with this idempotency key is still in progress; try again shortly.", "input.idempotencyKey");
    }
    // In progress: wait for its outcome. Released meanwhile: claim it on the next turn.
    if (held) await sleep(CLAIM_POLL_MS);
  }
}

/** Gives the key back unless the order was made (a complete claim stays). */
async function releaseClaim(ctx: Pick<OrdersContext, "prisma">, orderId: string, log: Logger): Promise<void> {
  try {
    await ctx.prisma.checkoutRequest.deleteMany({ where: { orderId, status: "IN_PROGRESS" } });
  } catch (err) {
    // The expiry job drops the claim later.
    log.error({ err }, "checkout: could not release the idempotency key");
  }
}

/**
 * Drops the expiry job of a checkout without order while the relay has not sent it yet; one already
 * queued stays and finds nothing to do.
 */
async function dropExpiry(ctx: OrdersContext, orderId: string, log: Logger): Promise<void> {
  try {
    await ctx.prisma.$executeRaw`
      DELETE FROM "OutboxEvent" WHERE "jobId" = ${orderExpiryJobId(orderId)} AND queue = 'order-expiry' AND "sentAt" IS NULL`;
  } catch (err) {
    log.warn({ err }, "checkout: could not drop the expiry job of a checkout without order (it will find nothing to do)");
  }
}

/** The same key again after the order was made: that order and its payment (startPayment returns the existing one). */
async function replay(ctx: OrdersContext, orderId: string, call: ServiceCallOptions, log: Logger): Promise<CheckoutSuccess> {
  const order = await ctx.prisma.order.findUniqueOrThrow({ where: { id: orderId } });
  const payment = await paymentOf(ctx, order, call, log);
  log.info("checkout replayed: same order");
  return { __typename: "CheckoutSuccess", order, payment };
}

function paymentOf(ctx: OrdersContext, order: Order, call: ServiceCallOptions, log: Logger) {
  return services
    .startPayment(
      ctx.services,
      { orderId: order.id, customerId: order.customerId, amount: order.totalAmount, currency: order.currency },
      call,
    )
    .catch((err: unknown) => {
      log.error({ err }, "checkout: payments could not start the payment");
      throw new UnavailableError("Payments cannot be reached right now; try again in a moment.");
    });
}

// --- 2 to 7. Placing the order -------------------------------------------------------------------

async function placeOrder(
  ctx: OrdersContext,
  viewer: Viewer,
  orderId: string,
  shippingAddress: z.infer<typeof addressSchema>,
  call: ServiceCallOptions,
  log: Logger,
): Promise<CheckoutResult> {
  // 3. What is in the cart, at today's prices.
  const cart = await unavailableOnFailure(services.cartLines(ctx.services, call), "carts", log);
  if (cart.length === 0)
    return { __typename: "EmptyCartError", code: "EMPTY_CART", message: "Your cart is empty: there is nothing to check out." };
  const catalog = await unavailableOnFailure(
    services.catalogEntries(
      ctx.services,
      cart.map((line) => line.productId),
      call,
    ),
    "products",
    log,
  );
  const currency = cart.map((line) => catalog.get(line.productId)).find((entry) => entry?.status === "ACTIVE")?.price.currency;
  const notOnSale = cart.filter((line) => {
    const entry = catalog.get(line.productId);
    return entry?.status !== "ACTIVE" || entry.price.currency !== currency;
  });
  if (notOnSale.length > 0) return stockError(await shortLines(ctx, cart, notOnSale, call, log));
  const lines = cart.map((line) => {
    const entry = catalog.get(line.productId)!;
    return { productId: line.productId, productName: entry.name, unitAmount: entry.price.amount, quantity: line.quantity };
  });
  const totals = orderTotals(lines, ctx.checkoutRules);
  const stockLines: StockLine[] = lines.map(({ productId, quantity }) => ({ productId, quantity }));

  // 4. All lines or none.
  let reservation: services.StockReservation;
  try {
    reservation = await services.reserveStock(ctx.services, orderId, stockLines, call);
  } catch (err) {
    // The reservation may still land after we gave up waiting: release it (this job may run too
    // early, so the expiry job releases the order id again later).
    log.error({ err }, "checkout: inventory could not reserve the stock; releasing whatever it may hold");
    await queueStockJob(ctx.prisma, log, "release", orderId, "checkout-failed");
    throw new UnavailableError("Inventory cannot be reached right now; nothing was reserved or ordered. Try again in a moment.");
  }
  if (!reservation.reserved) return stockError(reservation.shortages);

  // 5. The order, its history and the completed claim together.
  let order: Order;
  try {
    order = await createOrder(ctx, viewer, orderId, { lines, totals, currency: currency!, shippingAddress });
  } catch (err) {
    log.error({ err }, "checkout: the order could not be written; releasing its stock");
    await queueStockJob(ctx.prisma, log, "release", orderId);
    if (err instanceof ClaimLost) throw new ConflictError("This checkout took too long and was abandoned; check out again.");
    throw err;
  }

  // 6. The payment the client confirms with Stripe.
  let payment: services.PaymentRef;
  try {
    payment = await services.startPayment(
      ctx.services,
      { orderId, customerId: viewer.userId, amount: order.totalAmount, currency: order.currency },
      call,
    );
  } catch (err) {
    log.error({ err }, "checkout: payments could not start the payment; cancelling the order");
    await cancelUnpayableOrder(ctx, orderId, call, log);
    throw new UnavailableError(
      "Payments cannot be reached right now; the order was cancelled and nothing was charged. Try again in a moment.",
    );
  }

  // 7. The cart keeps only what was added meanwhile.
  try {
    await services.removeOrderedItems(ctx.services, cart, call);
  } catch (err) {
    log.error({ err }, "checkout: the ordered items could not be taken out of the cart; the order stands");
  }
  log.info({ total: order.totalAmount, currency: order.currency }, "order placed");
  return { __typename: "CheckoutSuccess", order, payment };
}

async function unavailableOnFailure<T>(promise: Promise<T>, service: string, log: Logger): Promise<T> {
  try {
    return await promise;
  } catch (err) {
    log.error({ err }, `checkout: ${service} could not be asked; nothing was reserved`);
    throw new UnavailableError(`Checkout cannot reach ${service} right now; nothing was reserved or ordered. Try again in a moment.`);
  }
}

/**
 * Every line that cannot be ordered: those not on sale (or priced in another currency than the
 * cart) with 0 available, and those on sale but short, from inventory's availability (read only:
 * nothing is reserved when any line fails).
 */
async function shortLines(
  ctx: OrdersContext,
  cart: services.CartLine[],
  notOnSale: services.CartLine[],
  call: ServiceCallOptions,
  log: Logger,
): Promise<services.StockShortageLine[]> {
  const excluded = new Set(notOnSale.map((line) => line.productId));
  const rest = cart.filter((line) => !excluded.has(line.productId));
  let available = new Map<string, number>();
  if (rest.length > 0) {
    try {
      available = await availableUnits(
        ctx.services,
        rest.map((line) => line.productId),
        call,
      );
    } catch (err) {
      log.warn({ err }, "checkout: could not ask inventory which other lines are short");
    }
  }
  return [
    ...notOnSale.map((line) => ({ productId: line.productId, requested: line.quantity, available: 0 })),
    ...rest
      .filter((line) => available.has(line.productId) && available.get(line.productId)! < line.quantity)
      .map((line) => ({ productId: line.productId, requested: line.quantity, available: available.get(line.productId)! })),
  ];
}

function stockError(shortages: services.StockShortageLine[]): CheckoutStockError {
  return {
    __typename: "CheckoutStockError",
    code: "INSUFFICIENT_STOCK",
    message: "Some items cannot be ordered in the quantity wanted; nothing was reserved. Change the cart and check out again.",
    lines: shortages.map(({ productId, requested, available }) => ({
      __typename: "InsufficientStockError",
      code: "INSUFFICIENT_STOCK",
      message:
        available === 0 ? "This product cannot be ordered now." : `Only ${available} units can be ordered now; the cart has ${requested}.`,
      productId,
      requested,
      available,
    })),
  };
}

/** The claim is gone: the expiry job gave up on this checkout (it ran longer than the order's lifetime). */
class ClaimLost extends Error {}

interface NewOrder {
  lines: { productId: string; productName: string; unitAmount: number; quantity: number }[];
  totals: ReturnType<typeof orderTotals>;
  currency: string;
  shippingAddress: z.infer<typeof addressSchema>;
}

async function createOrder(ctx: OrdersContext, viewer: Viewer, orderId: string, order: NewOrder): Promise<Order> {
  return ctx.prisma.$transaction(async (tx) => {
    // The claim's lock orders this against the expiry job dropping an abandoned claim.
    const [claim] = await tx.$queryRaw<{ status: string }[]>`
      SELECT status::text AS status FROM "CheckoutRequest" WHERE "orderId" = ${orderId}::uuid FOR UPDATE`;
    if (claim?.status !== "IN_PROGRESS") throw new ClaimLost();
    const created = await tx.order.create({
      data: {
        id: orderId,
        customerId: viewer.userId,
        status: "PENDING_PAYMENT",
        currency: order.currency,
        ...order.totals,
        shippingAddress: order.shippingAddress,
        expiresAt: new Date(Date.now() + ctx.checkoutRules.unpaidOrderTtlSeconds * 1000),
        items: { create: order.lines },
        statusChanges: { create: { status: "PENDING_PAYMENT", actorKind: "CUSTOMER", actorId: viewer.userId } },
      },
    });
    await tx.checkoutRequest.update({ where: { orderId }, data: { status: "COMPLETE" } });
    await writeOutbox(tx, [orderEmail("order-confirmation", created)]);
    return created;
  });
}

export const PAYMENT_NOT_STARTED_NOTE = "The payment could not be started, so the order was cancelled; nothing was charged.";

/**
 * The order exists but has no payment: the system cancels it (the key is given back in the same
 * transaction, so the customer can check out again), its stock is released and any PaymentIntent
 * that was made after all is cancelled (a payment that still arrives is refunded automatically).
 */
async function cancelUnpayableOrder(ctx: OrdersContext, orderId: string, call: ServiceCallOptions, log: Logger): Promise<void> {
  try {
    await ctx.prisma.$transaction(async (tx) => {
      const locked = await lockOrderRow(tx, orderId);
      if (locked?.status === "PENDING_PAYMENT") {
        const cancelled = await recordMove(tx, orderId, "PENDING_PAYMENT", "CANCELLED", SYSTEM, PAYMENT_NOT_STARTED_NOTE);
        await writeOutbox(tx, [stockJob("release", orderId), orderEmail("order-cancelled", cancelled)]);
      }
      await tx.checkoutRequest.deleteMany({ where: { orderId } });
    });
  } catch (err) {
    // The expiry job cancels it and releases its stock later.
    log.error({ err }, "checkout: could not cancel the order without payment");
  }
  await services.cancelPayment(ctx.services, orderId, call).catch((err: unknown) => {
    log.warn({ err }, "checkout: could not cancel a payment the failed start may have made");
  });
}

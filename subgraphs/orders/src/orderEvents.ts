// What the orders worker does: unpaid orders expire, and payment events move orders and their stock.
// Every handler is idempotent and tolerates any order of arrival: it decides under the order's row
// lock from the status it finds, makes at most one move, and then queues its follow-ups (stock jobs
// with per-order job ids, payments calls that are idempotent per order). A follow-up that fails
// throws, so BullMQ retries the job, and the retry finds the move made and repeats the follow-up.
import { z } from "zod";
import { InvalidEventError, type PaymentEventJobData, type PaymentEventJobName } from "../../../lib/queues.js";
import type { Logger } from "../../../lib/logger.js";
import type { ServiceCallOptions } from "../../../lib/serviceClient.js";
import type { OrderDeps } from "./context.js";
import { enqueueStockJob } from "./orderJobs.js";
import { hasNote, lockOrderRow, recordMove, recordNote, SYSTEM } from "./orderMoves.js";
import type { OrderStatus } from "./orderStatus.js";
import * as services from "./services.js";

export type WorkerDeps = Pick<OrderDeps, "prisma" | "services" | "queues" | "checkoutRules">;

// --- order-expiry ------------------------------------------------------------------------------

export const expiryNote = (ttlSeconds: number) =>
  ttlSeconds % 60 === 0 ? `Not paid within ${ttlSeconds / 60} minutes.` : `Not paid within ${ttlSeconds} seconds.`;

export type ExpiryOutcome = "expired" | "abandoned" | "already-cancelled" | "nothing";

/**
 * The unpaid order's time is up. PENDING_PAYMENT: cancelled by the system, its stock released and its
 * PaymentIntent cancelled (a payment that still arrives is refunded). No order: a checkout that never
 * made one (failed, or crashed): whatever the order id may still hold in inventory is released and
 * an unfinished claim dropped. Already cancelled: the release and cancellation are asked again
 * (harmless if done), in case the cancelling request could not queue them. Anything else: nothing.
 */
export async function expireOrder(deps: WorkerDeps, log: Logger, orderId: string): Promise<ExpiryOutcome> {
  const outcome = await deps.prisma.$transaction(async (tx): Promise<ExpiryOutcome> => {
    // The claim first, as checkout locks it before writing the order: the two take turns.
    await tx.$queryRaw`SELECT 1 FROM "CheckoutRequest" WHERE "orderId" = ${orderId}::uuid FOR UPDATE`;
    const locked = await lockOrderRow(tx, orderId);
    if (!locked) {
      await tx.checkoutRequest.deleteMany({ where: { orderId, status: "IN_PROGRESS" } });
      return "abandoned";
    }
    if (locked.status === "PENDING_PAYMENT") {
      await recordMove(tx, orderId, "PENDING_PAYMENT", "CANCELLED", SYSTEM, expiryNote(deps.checkoutRules.unpaidOrderTtlSeconds));
      return "expired";
    }
    return locked.status === "CANCELLED" ? "already-cancelled" : "nothing";
  });
  switch (outcome) {
    case "abandoned":
      // Its own job id: checkout's release for this id may have run before a late reservation landed.
      await enqueueStockJob(deps.queues, "release", orderId, "expired");
      break;
    case "expired":
    case "already-cancelled":
      await enqueueStockJob(deps.queues, "release", orderId);
      await services.cancelPayment(deps.services, orderId, { requestId: `expire-${orderId}` });
      break;
    case "nothing":
      break;
  }
  log.info({ orderId, outcome }, "order expiry");
  return outcome;
}

// --- payment-events ------------------------------------------------------------------------------

const paymentEventSchema = z.object({
  eventId: z.string().min(1),
  orderId: z.uuid(),
  paymentId: z.string().min(1),
  providerPaymentId: z.string(),
  amount: z.int().min(0),
  currency: z.string().min(3).max(3),
  refundedAmount: z.int().min(0),
}) satisfies z.ZodType<PaymentEventJobData>;

export function parsePaymentEvent(data: unknown): PaymentEventJobData {
  const parsed = paymentEventSchema.safeParse(data);
  if (!parsed.success) throw new InvalidEventError(`malformed payment event: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

export const AUTO_REFUND_REASON = "order cancelled before payment";
export const AUTO_REFUND_NOTE = "The payment arrived after the order was cancelled and was refunded automatically.";
export const PAID_BY_REFUND_NOTE = "The payment succeeded; its refund was reported first.";

export type PaymentEventOutcome = "paid" | "refunded-automatically" | "refunded" | "ignored";

export async function applyPaymentEvent(
  deps: WorkerDeps,
  log: Logger,
  kind: PaymentEventJobName,
  event: PaymentEventJobData,
): Promise<PaymentEventOutcome> {
  const eventLog = log.child({ orderId: event.orderId, eventId: event.eventId, event: kind });
  const call: ServiceCallOptions = { requestId: event.eventId };
  let outcome: PaymentEventOutcome;
  switch (kind) {
    case "succeeded":
      outcome = await paymentSucceeded(deps, eventLog, event, call);
      break;
    case "refunded":
      outcome = await paymentRefunded(deps, eventLog, event);
      break;
    case "failed":
      // The PaymentIntent can be confirmed again with another card: the order stays payable.
      outcome = "ignored";
      break;
  }
  eventLog.info({ outcome }, "payment event applied");
  return outcome;
}

async function paymentSucceeded(
  deps: WorkerDeps,
  log: Logger,
  event: PaymentEventJobData,
  call: ServiceCallOptions,
): Promise<PaymentEventOutcome> {
  const { orderId } = event;
  const decision = await deps.prisma.$transaction(async (tx) => {
    const locked = await lockOrderRow(tx, orderId);
    if (!locked) return "no-order" as const;
    if (locked.status === "PENDING_PAYMENT") {
      const order = await tx.order.findUniqueOrThrow({ where: { id: orderId } });
      if (event.amount < order.totalAmount || event.currency.toUpperCase() !== order.currency) {
        log.error(
          { paid: event.amount, currency: event.currency, total: order.totalAmount },
          "payment does not cover the order; not marked paid",
        );
        return "mismatch" as const;
      }
      await recordMove(tx, orderId, "PENDING_PAYMENT", "PAID", SYSTEM, null);
      return "paid" as const;
    }
    return locked.status;
  });
  switch (decision) {
    case "paid":
    case "PAID":
      // Again on a replay (a no-op if queued before): the first run may have failed to queue it.
      await enqueueStockJob(deps.queues, "commit", orderId);
      return decision === "paid" ? "paid" : "ignored";
    case "CANCELLED":
      // Money for an order that was cancelled (or expired) before it came: it goes back.
      await services.refundPayment(deps.services, orderId, AUTO_REFUND_REASON, call);
      await noteOnce(deps, orderId, AUTO_REFUND_NOTE);
      log.warn("payment arrived for a cancelled order; refunded automatically");
      return "refunded-automatically";
    case "no-order":
      // Payments are started only for orders that exist and orders are never deleted: this is a
      // payment orders knows nothing about (another system's, or a restored database). A person decides.
      log.error(
        { paymentId: event.paymentId, providerPaymentId: event.providerPaymentId },
        "payment succeeded for an unknown order; left alone",
      );
      return "ignored";
    case "mismatch":
    case "SHIPPED":
    case "DELIVERED":
    case "REFUNDED":
      return "ignored";
  }
}

async function noteOnce(deps: WorkerDeps, orderId: string, note: string): Promise<void> {
  await deps.prisma.$transaction(async (tx) => {
    const locked = await lockOrderRow(tx, orderId);
    if (locked && !(await hasNote(tx, orderId, note))) await recordNote(tx, orderId, locked.status, note);
  });
}

/**
 * A refund in full (partial refunds move nothing). PAID and CANCELLED orders become REFUNDED and their
 * units come back (a `return`, which inventory turns into a release while the sale is not committed).
 * DELIVERED becomes REFUNDED without stock (the goods are with the customer). PENDING_PAYMENT means
 * the refund overtook the payment's event: the order is recorded paid and refunded at once, and the
 * late `succeeded` finds it REFUNDED and does nothing, so no sale is ever committed for refunded money.
 */
async function paymentRefunded(deps: WorkerDeps, log: Logger, event: PaymentEventJobData): Promise<PaymentEventOutcome> {
  if (event.refundedAmount < event.amount) return "ignored";
  const { orderId } = event;
  const decision = await deps.prisma.$transaction(async (tx) => {
    const locked = await lockOrderRow(tx, orderId);
    if (!locked) return { from: null, stock: false };
    const from: OrderStatus = locked.status;
    switch (from) {
      case "PENDING_PAYMENT":
        {
          const paidAt = new Date();
          await recordMove(tx, orderId, "PENDING_PAYMENT", "PAID", SYSTEM, PAID_BY_REFUND_NOTE, paidAt);
          await recordMove(tx, orderId, "PAID", "REFUNDED", SYSTEM, null, new Date(paidAt.getTime() + 1));
        }
        return { from, stock: true };
      case "PAID":
      case "CANCELLED":
        await recordMove(tx, orderId, from, "REFUNDED", SYSTEM, null);
        return { from, stock: true };
      case "DELIVERED":
        await recordMove(tx, orderId, from, "REFUNDED", SYSTEM, null);
        return { from, stock: false };
      case "REFUNDED":
        // A replay: queue the stock follow-up again unless it was a delivered order (no-op if done).
        return { from, stock: (await statusBeforeRefund(tx, orderId)) !== "DELIVERED" };
      case "SHIPPED":
        log.warn("a shipped order was refunded in full; its status stays until it is delivered or returned");
        return { from, stock: false };
    }
  });
  if (decision.stock) await enqueueStockJob(deps.queues, "return", orderId);
  return decision.from === null || decision.from === "REFUNDED" || decision.from === "SHIPPED" ? "ignored" : "refunded";
}

async function statusBeforeRefund(tx: Parameters<typeof recordNote>[0], orderId: string): Promise<OrderStatus | null> {
  const changes = await tx.orderStatusChange.findMany({ where: { orderId }, orderBy: [{ at: "desc" }, { id: "desc" }], take: 10 });
  const refundedAt = changes.findIndex((change) => change.status === "REFUNDED");
  return changes.slice(refundedAt + 1).find((change) => change.status !== "REFUNDED")?.status ?? null;
}

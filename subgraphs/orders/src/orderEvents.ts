// What the orders worker does: unpaid orders expire, and payment events move orders and their stock.
// Every handler is idempotent and tolerates any order of arrival: it decides under the order's row
// lock from the status it finds and makes at most one move. Its queued follow-ups (stock jobs with
// per-order job ids, the customer's emails) go to the outbox in the move's transaction; calls to
// payments (idempotent per order) come after the commit, and one that fails throws, so BullMQ retries
// the job and the retry finds the move made and repeats the call.
import { z } from "zod";
import { InvalidEventError, type PaymentEventJobData, type PaymentEventJobName } from "../../../lib/queues.js";
import type { Logger } from "../../../lib/logger.js";
import type { ServiceCallOptions } from "../../../lib/serviceClient.js";
import type { OrderDeps } from "./context.js";
import { writeOutbox } from "../../../lib/outbox.js";
import { orderEmail, stockJob } from "./orderJobs.js";
import { hasNote, lockOrderRow, recordMove, recordNote, SYSTEM } from "./orderMoves.js";
import type { OrderStatus } from "./orderStatus.js";
import * as services from "./services.js";

export type WorkerDeps = Pick<OrderDeps, "prisma" | "services" | "checkoutRules">;

// --- order-expiry ------------------------------------------------------------------------------

export const expiryNote = (ttlSeconds: number) =>
  ttlSeconds % 60 === 0 ? `Not paid within ${ttlSeconds / 60} minutes.` : `Not paid within ${ttlSeconds} seconds.`;

export type ExpiryOutcome = "expired" | "abandoned" | "already-cancelled" | "nothing";

/**
 * The unpaid order's time is up. PENDING_PAYMENT: cancelled by the system, its stock released and its
 * PaymentIntent cancelled (a payment that still arrives is refunded) and the customer told. No order: a
 * checkout that never made one (failed, or crashed): whatever the order id may still hold in inventory is
 * released and an unfinished claim dropped. Already cancelled: the PaymentIntent's cancellation is asked
 * again (harmless if done; the cancelling transaction queued the release itself). Anything else: nothing.
 */
export async function expireOrder(deps: WorkerDeps, log: Logger, orderId: string): Promise<ExpiryOutcome> {
  const outcome = await deps.prisma.$transaction(async (tx): Promise<ExpiryOutcome> => {
    // The claim first, as checkout locks it before writing the order: the two take turns.
    await tx.$queryRaw`SELECT 1 FROM "CheckoutRequest" WHERE "orderId" = ${orderId}::uuid FOR UPDATE`;
    const locked = await lockOrderRow(tx, orderId);
    if (!locked) {
      await tx.checkoutRequest.deleteMany({ where: { orderId, status: "IN_PROGRESS" } });
      // Its own job id: checkout's release for this id may have run before a late reservation landed.
      await writeOutbox(tx, [stockJob("release", orderId, "expired")]);
      return "abandoned";
    }
    if (locked.status === "PENDING_PAYMENT") {
      const cancelled = await recordMove(
        tx,
        orderId,
        "PENDING_PAYMENT",
        "CANCELLED",
        SYSTEM,
        expiryNote(deps.checkoutRules.unpaidOrderTtlSeconds),
      );
      await writeOutbox(tx, [stockJob("release", orderId), orderEmail("order-cancelled", cancelled)]);
      return "expired";
    }
    return locked.status === "CANCELLED" ? "already-cancelled" : "nothing";
  });
  switch (outcome) {
    case "expired":
    case "already-cancelled":
      await services.cancelPayment(deps.services, orderId, { requestId: `expire-${orderId}` });
      break;
    case "abandoned":
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
  failureMessage: z.string().max(1000).optional(),
}) satisfies z.ZodType<PaymentEventJobData>;

export function parsePaymentEvent(data: unknown): PaymentEventJobData {
  const parsed = paymentEventSchema.safeParse(data);
  if (!parsed.success) throw new InvalidEventError(`malformed payment event: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

export const AUTO_REFUND_REASON = "order cancelled before payment";
export const AUTO_REFUND_NOTE = "The payment arrived after the order was cancelled and was refunded automatically.";
export const PAID_BY_REFUND_NOTE = "The payment succeeded; its refund was reported first.";

export type PaymentEventOutcome = "paid" | "refunded-automatically" | "refunded" | "failure-reported" | "ignored";

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
      outcome = await paymentFailed(deps, event);
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
      const paid = await recordMove(tx, orderId, "PENDING_PAYMENT", "PAID", SYSTEM, null);
      // The sale and the customer's email commit with the move (a replay finds PAID and queues nothing).
      await writeOutbox(tx, [stockJob("commit", orderId), orderEmail("payment-received", paid)]);
      return "paid" as const;
    }
    return locked.status;
  });
  switch (decision) {
    case "paid":
      return "paid";
    case "PAID":
      return "ignored";
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

/**
 * A declined card: the order stays payable (the same PaymentIntent can be confirmed with another card),
 * and its customer is told why and how to retry, once per Stripe event, while the order is unpaid.
 */
async function paymentFailed(deps: WorkerDeps, event: PaymentEventJobData): Promise<PaymentEventOutcome> {
  return deps.prisma.$transaction(async (tx) => {
    const locked = await lockOrderRow(tx, event.orderId);
    if (locked?.status !== "PENDING_PAYMENT") return "ignored";
    await writeOutbox(tx, [
      orderEmail(
        "payment-failed",
        { id: event.orderId, customerId: locked.customerId },
        { eventKey: `payment-failed:${event.eventId}`, ...(event.failureMessage ? { reason: event.failureMessage } : {}) },
      ),
    ]);
    return "failure-reported";
  });
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
 * Every refund, partial ones too, gets the customer a refund-issued email (once per amount refunded so far).
 * The stock follow-up and the email go to the outbox with the move.
 */
async function paymentRefunded(deps: WorkerDeps, log: Logger, event: PaymentEventJobData): Promise<PaymentEventOutcome> {
  const { orderId } = event;
  const decision = await deps.prisma.$transaction(async (tx) => {
    const locked = await lockOrderRow(tx, orderId);
    if (!locked) return { from: null, stock: false };
    if (event.refundedAmount > 0) {
      await writeOutbox(tx, [
        orderEmail(
          "refund-issued",
          { id: orderId, customerId: locked.customerId },
          { eventKey: `refund-issued:${orderId}:${event.refundedAmount}`, amount: event.refundedAmount, currency: event.currency },
        ),
      ]);
    }
    // Partial refunds move nothing.
    if (event.refundedAmount < event.amount) return { from: null, stock: false };
    const decided = await refundMove(tx, log, orderId, locked.status);
    if (decided.stock) await writeOutbox(tx, [stockJob("return", orderId)]);
    return decided;
  });
  return decision.from === null || decision.from === "REFUNDED" || decision.from === "SHIPPED" ? "ignored" : "refunded";
}

async function refundMove(
  tx: Parameters<typeof recordNote>[0],
  log: Logger,
  orderId: string,
  from: OrderStatus,
): Promise<{ from: OrderStatus; stock: boolean }> {
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
      // A replay: its stock follow-up was written with the move.
      return { from, stock: false };
    case "SHIPPED":
      log.warn("a shipped order was refunded in full; its status stays until it is delivered or returned");
      return { from, stock: false };
  }
}

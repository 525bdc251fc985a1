// Applying one Stripe event, from a webhook or from reconciliation: at most once per event id.
//
// The event's StripeEvent row is written in the same transaction as its effect, so a replayed event
// finds it and changes nothing. The payment-events job the event asks for is written to payments' outbox
// (lib/outbox.ts) in that same transaction: the payments worker's relay queues it, whenever Redis can take it.
// Its job id is the event's, so BullMQ keeps one job per event even if the relay sends it twice.
import type Stripe from "stripe";
import { outboxEvent, writeOutbox } from "../../../lib/outbox.js";
import { paymentEventJobId, type PaymentEventJobData, type PaymentEventJobName } from "../../../lib/queues.js";
import type { Payment, StripeEventSource } from "../../../prisma/payments/__generated__/client.js";
import type { PaymentDeps } from "./context.js";
import { applyIntentOutcome, lockPaymentOfIntent, syncRefunds } from "./paymentRecords.js";
import { isPaid, type IntentOutcome } from "./paymentState.js";
import { callStripe, listRefunds, metadataPaymentIdOf, paymentIntentIdOf } from "./stripeCalls.js";

const INTENT_EVENTS = {
  "payment_intent.succeeded": "succeeded",
  "payment_intent.payment_failed": "failed",
  "payment_intent.canceled": "canceled",
  "payment_intent.processing": "processing",
} as const satisfies Record<string, IntentOutcome["kind"]>;

const REFUND_EVENTS = ["charge.refunded", "charge.refund.updated", "refund.created", "refund.updated", "refund.failed"] as const;

/** The event types payments acts on: what the webhook endpoint subscribes to and reconciliation lists. */
export const HANDLED_EVENT_TYPES: readonly string[] = [...Object.keys(INTENT_EVENTS), ...REFUND_EVENTS];

const isIntentEvent = (type: string): type is keyof typeof INTENT_EVENTS => type in INTENT_EVENTS;
const isRefundEvent = (type: string) => (REFUND_EVENTS as readonly string[]).includes(type);

export type EventOutcome =
  /** Applied now (its effect may be none, when it was stale). */
  | "applied"
  /** Applied before: nothing changed. */
  | "duplicate"
  /** Not a type payments acts on, or a PaymentIntent that is none of ours. */
  | "ignored";

function outcomeOf(type: keyof typeof INTENT_EVENTS, object: Stripe.PaymentIntent): IntentOutcome {
  const kind = INTENT_EVENTS[type];
  if (kind !== "failed") return { kind };
  const error = object.last_payment_error;
  return { kind, code: error?.code ?? error?.decline_code ?? null, message: error?.message ?? null };
}

/**
 * Which job the orders worker gets: "succeeded" whenever the money is in (also when a refund's news came first),
 * "failed" while the payment stays failed, "refunded" for each charge.refunded with money returned. The orders
 * worker treats each as "the payment is now so", which makes repeats harmless.
 */
function jobFor(type: string, payment: Payment): PaymentEventJobName | null {
  if (type === "payment_intent.succeeded") return isPaid(payment.status) ? "succeeded" : null;
  if (type === "payment_intent.payment_failed") return payment.status === "FAILED" ? "failed" : null;
  if (type === "charge.refunded") return payment.refundedAmount > 0 ? "refunded" : null;
  return null;
}

const jobDataOf = (eventId: string, payment: Payment): PaymentEventJobData => ({
  eventId,
  orderId: payment.orderId,
  paymentId: payment.id,
  providerPaymentId: payment.providerPaymentId ?? "",
  amount: payment.amount,
  currency: payment.currency,
  refundedAmount: payment.refundedAmount,
  // For the customer's "payment failed" email: what the card issuer said.
  ...(payment.status === "FAILED" && payment.failureMessage ? { failureMessage: payment.failureMessage } : {}),
});

/** Applies one verified Stripe event (webhook) or one listed by Stripe's API (reconciliation). */
export async function applyStripeEvent(deps: PaymentDeps, event: Stripe.Event, source: StripeEventSource): Promise<EventOutcome> {
  if (!HANDLED_EVENT_TYPES.includes(event.type)) return "ignored";
  const known = await deps.prisma.stripeEvent.findUnique({ where: { id: event.id }, select: { id: true } });
  if (known) return "duplicate";
  const object = event.data.object as unknown;
  const intentId = paymentIntentIdOf(object);
  // A refund event names one refund; Stripe's list of the intent's refunds is the whole truth, whichever came first.
  // Asked before the transaction, so no row stays locked while Stripe answers.
  const refunds =
    intentId && isRefundEvent(event.type) ? await callStripe(deps.log, "refunds.list", () => listRefunds(deps.stripe, intentId)) : [];
  const at = new Date(event.created * 1000);

  const recorded = await deps.prisma.$transaction(async (tx) => {
    const { count } = await tx.stripeEvent.createMany({
      data: [{ id: event.id, type: event.type, created: at, source }],
      skipDuplicates: true,
    });
    if (count === 0) return null; // a concurrent delivery of the same event committed first
    const clientSecret = event.type.startsWith("payment_intent.") ? ((object as Stripe.PaymentIntent).client_secret ?? null) : null;
    const locked = intentId ? await lockPaymentOfIntent(tx, intentId, metadataPaymentIdOf(object), clientSecret) : null;
    if (!locked) return { payment: null };
    const payment = isIntentEvent(event.type)
      ? await applyIntentOutcome(tx, locked, outcomeOf(event.type, object as Stripe.PaymentIntent), at)
      : await syncRefunds(tx, locked, refunds);
    const jobName = jobFor(event.type, payment);
    await tx.stripeEvent.update({ where: { id: event.id }, data: { paymentId: payment.id } });
    if (jobName) {
      await writeOutbox(tx, [outboxEvent("payment-events", jobName, jobDataOf(event.id, payment), { jobId: paymentEventJobId(event.id) })]);
    }
    return { payment };
  });

  if (!recorded) return "duplicate";
  if (!recorded.payment) {
    deps.log.warn(
      { eventId: event.id, type: event.type, paymentIntent: intentId },
      "Stripe event for a PaymentIntent that is none of ours",
    );
    return "ignored";
  }
  deps.log.info(
    { eventId: event.id, type: event.type, source, paymentId: recorded.payment.id, status: recorded.payment.status },
    "Stripe event applied",
  );
  return "applied";
}

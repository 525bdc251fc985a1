// The service operations the orders subgraph calls: start, cancel and refund an order's payment.
// Each is idempotent per order, so orders can retry any of them after a timeout or a crash.
//
// No double charge: one Payment per order (Payment.orderId UNIQUE) and one PaymentIntent per payment
// (providerPaymentId UNIQUE), created with the idempotency key order-<orderId>; the row is stored first,
// so even a PaymentIntent whose creation answer was lost is found again (Stripe replays the key) and never
// doubled. Refunds use refund-<paymentId> and Refund.providerRefundId UNIQUE; refundedAmount <= amount (CHECK).
import Stripe from "stripe";
import { z } from "zod";
import { ConflictError, ForbiddenError } from "../../../lib/errors.js";
import { prismaErrorKind } from "../../../lib/errors.js";
import { parseInput, uuid } from "../../../lib/validation.js";
import type { Payment } from "../../../prisma/payments/__generated__/client.js";
import type { PaymentDeps, PaymentsContext } from "./context.js";
import { applyIntentOutcome, lockPayment, syncRefunds } from "./paymentRecords.js";
import { isPaid, isPayable } from "./paymentState.js";
import { callStripe, listRefunds } from "./stripeCalls.js";

/** Only the orders subgraph (its signed service assertion) may start, cancel or refund payments. */
export function requireOrdersService(ctx: Pick<PaymentsContext, "caller">): void {
  if (ctx.caller !== "orders") throw new ForbiddenError("Only the orders service can do this.");
}

/** Stripe's limit for most currencies: eight digits of minor units. */
const MAX_AMOUNT = 99_999_999;

const startPaymentInput = z.object({
  orderId: uuid(),
  customerId: uuid(),
  amount: z.number().int("must be whole minor units").min(1, "must be above zero").max(MAX_AMOUNT, `must be at most ${MAX_AMOUNT}`),
  currency: z
    .string()
    .regex(/^[A-Za-z]{3}$/, "must be an ISO 4217 code such as EUR")
    .transform((code) => code.toUpperCase()),
});

export type StartPaymentInput = z.input<typeof startPaymentInput>;

/**
 * The order's payment with its PaymentIntent: the existing one for an order that has one (the same order, the
 * same amount), otherwise a new one. Concurrent calls for one order meet at the unique orderId and share a row.
 */
export async function startPayment(ctx: PaymentsContext, args: StartPaymentInput): Promise<Payment> {
  requireOrdersService(ctx);
  const input = parseInput(startPaymentInput, args, "");
  let payment = await ctx.prisma.payment.findUnique({ where: { orderId: input.orderId } });
  if (!payment) {
    try {
      payment = await ctx.prisma.payment.create({ data: input });
    } catch (error) {
      if (prismaErrorKind(error) !== "unique") throw error;
      payment = await ctx.prisma.payment.findUniqueOrThrow({ where: { orderId: input.orderId } });
    }
  }
  if (payment.customerId !== input.customerId || payment.amount !== input.amount || payment.currency !== input.currency) {
    throw new ConflictError("This order already has a payment for another customer, amount or currency.", "orderId");
  }
  if (payment.providerPaymentId || payment.status === "CANCELLED") return payment;
  return attachPaymentIntent(ctx, payment);
}

/**
 * Creates the payment's PaymentIntent and stores its id. The parameters are a function of the row alone, so every
 * caller (concurrent, or retrying after a lost answer) sends the same request under the same idempotency key and
 * Stripe returns the one intent.
 */
async function attachPaymentIntent(deps: PaymentDeps, payment: Payment): Promise<Payment> {
  const intent = await callStripe(deps.log, "paymentIntents.create", () =>
    deps.stripe.paymentIntents.create(
      {
        amount: payment.amount,
        currency: payment.currency.toLowerCase(),
        // Cards and other methods that need no redirect: the client confirms with the client secret alone.
        automatic_payment_methods: { enabled: true, allow_redirects: "never" },
        metadata: { order_id: payment.orderId, customer_id: payment.customerId, payment_id: payment.id },
      },
      { idempotencyKey: `order-${payment.orderId}` },
    ),
  );
  const stored = await deps.prisma.$transaction(async (tx) => {
    const locked = await lockPayment(tx, payment.id);
    if (locked.providerPaymentId) return locked; // a concurrent call (or the webhook) stored it first: the same intent
    return tx.payment.update({ where: { id: payment.id }, data: { providerPaymentId: intent.id, clientSecret: intent.client_secret } });
  });
  if (stored.status === "CANCELLED" && intent.status !== "canceled" && intent.status !== "succeeded") {
    // The order was cancelled while the intent was being created: nobody got its client secret, but cancel it anyway.
    await deps.stripe.paymentIntents
      .cancel(intent.id, { cancellation_reason: "abandoned" }, { idempotencyKey: `cancel-${payment.id}` })
      .catch((error: unknown) =>
        deps.log.warn({ err: error, paymentId: payment.id }, "could not cancel the intent of a cancelled payment"),
      );
  }
  return stored;
}

/** Whether Stripe refused because the intent is past the state the call needs (e.g. cancelling a paid one). */
const isUnexpectedState = (error: unknown): error is Stripe.errors.StripeInvalidRequestError =>
  error instanceof Stripe.errors.StripeInvalidRequestError && error.code === "payment_intent_unexpected_state";

/**
 * Cancels the order's PaymentIntent unless the money is in. A payment that succeeded meanwhile stays SUCCEEDED (the
 * answer says so; orders refunds it). Null when the order has no payment.
 */
export async function cancelPayment(ctx: PaymentsContext, args: { orderId: string }): Promise<Payment | null> {
  requireOrdersService(ctx);
  const { orderId } = parseInput(z.object({ orderId: uuid() }), args, "");
  const payment = await ctx.prisma.payment.findUnique({ where: { orderId } });
  if (!payment || isPaid(payment.status) || payment.status === "CANCELLED") return payment;
  if (!payment.providerPaymentId) {
    // No intent stored: none was created, or its creation answer was lost. Nobody has its client secret either way.
    return ctx.prisma.$transaction(async (tx) => {
      const locked = await lockPayment(tx, payment.id);
      if (locked.providerPaymentId || !isPayable(locked.status)) return locked;
      return tx.payment.update({ where: { id: payment.id }, data: { status: "CANCELLED" } });
    });
  }
  const intentId = payment.providerPaymentId;
  let intent: Stripe.PaymentIntent;
  try {
    intent = await callStripe(ctx.log, "paymentIntents.cancel", () =>
      ctx.stripe.paymentIntents.cancel(intentId, { cancellation_reason: "abandoned" }, { idempotencyKey: `cancel-${payment.id}` }),
    );
  } catch (error) {
    if (!isUnexpectedState(error)) throw error;
    // Already canceled, or paid just now: what the intent is now decides.
    intent = await callStripe(ctx.log, "paymentIntents.retrieve", () => ctx.stripe.paymentIntents.retrieve(intentId));
  }
  const outcome =
    intent.status === "succeeded"
      ? ({ kind: "succeeded" } as const)
      : intent.status === "canceled"
        ? ({ kind: "canceled" } as const)
        : null;
  if (!outcome) return ctx.prisma.payment.findUniqueOrThrow({ where: { id: payment.id } });
  const at = new Date((intent.canceled_at ?? Math.floor(Date.now() / 1000)) * 1000);
  return ctx.prisma.$transaction(async (tx) => applyIntentOutcome(tx, await lockPayment(tx, payment.id), outcome, at));
}

/** Stripe's refund reasons; any other reason the caller gives travels in the refund's metadata. */
const STRIPE_REFUND_REASONS = ["duplicate", "fraudulent", "requested_by_customer"] as const;
type StripeRefundReason = (typeof STRIPE_REFUND_REASONS)[number];
const isStripeRefundReason = (reason: string): reason is StripeRefundReason =>
  (STRIPE_REFUND_REASONS as readonly string[]).includes(reason);

const refundPaymentInput = z.object({
  orderId: uuid(),
  reason: z.string().trim().max(500, "must be at most 500 characters").nullish(),
});

/**
 * Refunds whatever of the order's payment is not refunded yet (partial refunds in Stripe's dashboard included) and
 * records the refunds. Idempotent: one refund request per payment (key refund-<paymentId>, no amount, so Stripe
 * refunds the rest), replayed by Stripe on retries. Null when nothing was paid.
 */
export async function refundPayment(ctx: PaymentsContext, args: { orderId: string; reason?: string | null }): Promise<Payment | null> {
  requireOrdersService(ctx);
  const { orderId, reason } = parseInput(refundPaymentInput, args, "");
  const payment = await ctx.prisma.payment.findUnique({ where: { orderId } });
  if (!payment?.providerPaymentId || !isPaid(payment.status)) return null;
  const intentId = payment.providerPaymentId;
  if (payment.status !== "REFUNDED") {
    try {
      await callStripe(ctx.log, "refunds.create", () =>
        ctx.stripe.refunds.create(
          {
            payment_intent: intentId,
            ...(reason && isStripeRefundReason(reason) ? { reason } : {}),
            metadata: {
              order_id: payment.orderId,
              payment_id: payment.id,
              ...(reason && !isStripeRefundReason(reason) ? { note: reason } : {}),
            },
          },
          { idempotencyKey: `refund-${payment.id}` },
        ),
      );
    } catch (error) {
      // Refunded in full already (in the dashboard, say), or the key was first used with another reason: the list below says
      // what was refunded.
      const alreadyRefunded = error instanceof Stripe.errors.StripeInvalidRequestError && error.code === "charge_already_refunded";
      if (!alreadyRefunded && !(error instanceof Stripe.errors.StripeIdempotencyError)) throw error;
      ctx.log.info({ err: error, paymentId: payment.id }, "refund not created; recording Stripe's refunds as they are");
    }
  }
  const refunds = await callStripe(ctx.log, "refunds.list", () => listRefunds(ctx.stripe, intentId));
  return ctx.prisma.$transaction(async (tx) => syncRefunds(tx, await lockPayment(tx, payment.id), refunds));
}

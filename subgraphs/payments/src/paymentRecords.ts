// Writing what Stripe says into a payment row, under the row's lock: one place for the webhook,
// reconciliation and the service mutations, so they cannot disagree.
import type Stripe from "stripe";
import { parseRows } from "../../../lib/database.js";
import type { Payment, Prisma } from "../../../prisma/payments/__generated__/client.js";
import { z } from "zod";
import { COUNTED_REFUND_STATUSES, nextPaymentState, refundStatusOf, statusAfterRefunds, type IntentOutcome } from "./paymentState.js";

type Tx = Prisma.TransactionClient;

const idRow = z.object({ id: z.string() });

/** Locks a payment row until the transaction ends: changes to one payment are applied one at a time. */
export async function lockPayment(tx: Tx, paymentId: string): Promise<Payment> {
  parseRows(idRow, await tx.$queryRaw`SELECT id::text FROM "Payment" WHERE id = ${paymentId}::uuid FOR UPDATE`);
  return tx.payment.findUniqueOrThrow({ where: { id: paymentId } });
}

/**
 * The payment a PaymentIntent belongs to, locked: by its id, or by the payment id we put in its metadata (for an
 * intent whose creation answer was lost before we stored its id). Null when it is none of ours.
 */
export async function lockPaymentOfIntent(
  tx: Tx,
  intentId: string,
  metadataPaymentId: string | null,
  clientSecret: string | null,
): Promise<Payment | null> {
  const byIntent = await tx.payment.findUnique({ where: { providerPaymentId: intentId }, select: { id: true } });
  if (byIntent) return lockPayment(tx, byIntent.id);
  if (!metadataPaymentId) return null;
  const byMetadata = await tx.payment.findUnique({ where: { id: metadataPaymentId }, select: { id: true } });
  if (!byMetadata) return null;
  const payment = await lockPayment(tx, byMetadata.id);
  if (payment.providerPaymentId !== null) return null; // another intent is this payment's: not ours to apply
  return tx.payment.update({ where: { id: payment.id }, data: { providerPaymentId: intentId, clientSecret } });
}

/** Applies what happened to the intent, unless it is stale (see paymentState.ts); returns the payment as it is now. */
export async function applyIntentOutcome(tx: Tx, payment: Payment, outcome: IntentOutcome, at: Date): Promise<Payment> {
  const change = nextPaymentState(payment, outcome, at);
  if (!change) return payment;
  return tx.payment.update({ where: { id: payment.id }, data: change });
}

/**
 * Records the payment's refunds as Stripe lists them (each once, by Stripe's id) and sums them into
 * refundedAmount: the sum of the rows, so refunds learned in any order add up the same.
 */
export async function syncRefunds(tx: Tx, payment: Payment, refunds: Stripe.Refund[]): Promise<Payment> {
  for (const refund of refunds) {
    const status = refundStatusOf(refund.status);
    await tx.refund.upsert({
      where: { providerRefundId: refund.id },
      create: {
        paymentId: payment.id,
        providerRefundId: refund.id,
        amount: refund.amount,
        currency: refund.currency.toUpperCase(),
        status,
        reason: refund.reason ?? null,
        createdAt: new Date(refund.created * 1000),
      },
      update: { status },
    });
  }
  const counted = await tx.refund.aggregate({
    where: { paymentId: payment.id, status: { in: [...COUNTED_REFUND_STATUSES] } },
    _sum: { amount: true },
  });
  const refundedAmount = Math.min(counted._sum.amount ?? 0, payment.amount);
  const status = statusAfterRefunds(payment.status, refundedAmount, payment.amount);
  if (refundedAmount === payment.refundedAmount && status === payment.status) return payment;
  return tx.payment.update({
    where: { id: payment.id },
    data: {
      refundedAmount,
      status,
      ...(status === "SUCCEEDED" || status === "REFUNDED" ? { failureCode: null, failureMessage: null } : {}),
    },
  });
}

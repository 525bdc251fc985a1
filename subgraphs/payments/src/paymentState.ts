// How a payment's status follows its PaymentIntent, whatever order Stripe's news arrives in.
// Pure functions: the webhook, reconciliation and the service mutations all decide with these.
//
// Precedence: money that moved is a fact no later-arriving news can undo. SUCCEEDED (and REFUNDED,
// which implies it) is never left for FAILED, CANCELLED or REQUIRES_PAYMENT; a failure replaces an
// earlier failure only when its event is not older. Refunds are summed from the refunds themselves,
// so their order does not matter either.
import type { Payment, PaymentStatus, RefundStatus } from "../../../prisma/payments/__generated__/client.js";

/** What Stripe said happened to the PaymentIntent. */
export type IntentOutcome =
  { kind: "succeeded" } | { kind: "failed"; code: string | null; message: string | null } | { kind: "canceled" } | { kind: "processing" };

/** Statuses in which the customer can still pay (confirm the PaymentIntent with its client secret). */
export const PAYABLE_STATUSES: readonly PaymentStatus[] = ["REQUIRES_PAYMENT", "FAILED"];
/** Money was collected. */
export const PAID_STATUSES: readonly PaymentStatus[] = ["SUCCEEDED", "REFUNDED"];

export const isPayable = (status: PaymentStatus) => PAYABLE_STATUSES.includes(status);
export const isPaid = (status: PaymentStatus) => PAID_STATUSES.includes(status);

export type PaymentChange = Partial<Pick<Payment, "status" | "failureCode" | "failureMessage" | "providerEventAt">>;

/**
 * The change `outcome` (reported at `at`, the event's `created`) makes to a payment, or null when it is
 * stale or changes nothing.
 */
export function nextPaymentState(
  current: Pick<Payment, "status" | "providerEventAt">,
  outcome: IntentOutcome,
  at: Date,
): PaymentChange | null {
  const { status } = current;
  switch (outcome.kind) {
    case "succeeded":
      // From CANCELLED too: Stripe cannot confirm a canceled PaymentIntent, but if money ever arrives it is recorded
      // (and the orders worker refunds a cancelled order's payment).
      if (isPaid(status)) return null;
      return { status: "SUCCEEDED", failureCode: null, failureMessage: null, providerEventAt: at };
    case "failed":
      if (status === "REQUIRES_PAYMENT" || status === "PROCESSING")
        return { status: "FAILED", failureCode: outcome.code, failureMessage: outcome.message, providerEventAt: at };
      if (status === "FAILED" && (!current.providerEventAt || at >= current.providerEventAt))
        return { failureCode: outcome.code, failureMessage: outcome.message, providerEventAt: at };
      return null;
    case "canceled":
      if (isPayable(status) || status === "PROCESSING") return { status: "CANCELLED", providerEventAt: at };
      return null;
    case "processing":
      if (isPayable(status)) return { status: "PROCESSING", providerEventAt: at };
      return null;
  }
}

/** Refunds that count against the payment: Stripe counts pending ones in a charge's amount_refunded too. */
export const COUNTED_REFUND_STATUSES: readonly RefundStatus[] = ["SUCCEEDED", "PENDING"];

/**
 * The status that goes with `refundedAmount`: REFUNDED exactly when all of it went back; a partial refund is
 * proof the money was collected, so a payment whose success event is still on its way becomes SUCCEEDED.
 */
export function statusAfterRefunds(status: PaymentStatus, refundedAmount: number, amount: number): PaymentStatus {
  if (refundedAmount >= amount) return "REFUNDED";
  if (refundedAmount > 0 || status === "REFUNDED") return "SUCCEEDED";
  return status;
}

const REFUND_STATUSES: Record<string, RefundStatus> = { succeeded: "SUCCEEDED", failed: "FAILED", canceled: "CANCELLED" };

/** Stripe's refund status in ours; pending and requires_action (waiting for the customer) are PENDING. */
export const refundStatusOf = (stripeStatus: string | null): RefundStatus => REFUND_STATUSES[stripeStatus ?? ""] ?? "PENDING";

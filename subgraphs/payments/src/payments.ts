// Payments: who may see which payment and its secrets. Callable without HTTP.
// Starting, cancelling and refunding: paymentLifecycle.ts; Stripe's events: stripeEvents.ts.
import { assertOwnerOrAdmin } from "../../../lib/access.js";
import { requireViewer } from "../../../lib/auth.js";
import { ForbiddenError } from "../../../lib/errors.js";
import type { EntityReference, Money } from "../../../lib/types.js";
import type { Payment, Refund } from "../../../prisma/payments/__generated__/client.js";
import type { PaymentsContext } from "./context.js";
import { isPayable } from "./paymentState.js";

export type { Payment, Refund };

/** Unknown (or malformed) ids give null; other customers' payments are FORBIDDEN. */
export async function findPayment(ctx: PaymentsContext, id: string): Promise<Payment | null> {
  requireViewer(ctx.viewer);
  const payment = await ctx.loaders.paymentById.load(id);
  if (payment) assertOwnerOrAdmin(ctx.viewer, payment.customerId, "payment");
  return payment;
}

/**
 * The payments of an order. Each payment records its customer, who is the order's customer, so
 * the owner check needs no call to the orders subgraph; an order without payments reveals nothing.
 */
export async function paymentsOf(ctx: PaymentsContext, order: EntityReference): Promise<Payment[]> {
  const viewer = requireViewer(ctx.viewer);
  const payments = await ctx.loaders.paymentsByOrderId.load(order.id);
  if (viewer.role !== "ADMIN" && payments.some((payment) => payment.customerId !== viewer.userId)) {
    throw new ForbiddenError("Only the order's customer and administrators can see its payments.");
  }
  return payments;
}

export const orderOf = (payment: Payment): EntityReference => ({ id: payment.orderId });
export const amountOf = (payment: Payment): Money => ({ amount: payment.amount, currency: payment.currency });

export const refundedAmountOf = (payment: Payment): Money => ({ amount: payment.refundedAmount, currency: payment.currency });
export const refundAmountOf = (refund: Refund): Money => ({ amount: refund.amount, currency: refund.currency });

export const refundsOf = (ctx: PaymentsContext, payment: Payment): Promise<Refund[]> => ctx.loaders.refundsByPaymentId.load(payment.id);

/**
 * The client secret lets whoever holds it pay (confirm the PaymentIntent) directly with Stripe: only the paying
 * customer gets it, and only while the payment can still be paid. Administrators do not need it to help.
 */
export function clientSecretFor(ctx: Pick<PaymentsContext, "viewer">, payment: Payment): string | null {
  if (!ctx.viewer || ctx.viewer.userId !== payment.customerId || !isPayable(payment.status)) return null;
  return payment.clientSecret;
}

// Payments: who may see which payment. Callable without HTTP.
// Creating payments and following the provider's events come with the Stripe integration.
import { assertOwnerOrAdmin } from "../../../lib/access.js";
import { requireViewer } from "../../../lib/auth.js";
import { ForbiddenError } from "../../../lib/errors.js";
import type { EntityReference, Money } from "../../../lib/types.js";
import type { Payment } from "../../../prisma/payments/__generated__/client.js";
import type { PaymentsContext } from "./context.js";

export type { Payment };

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

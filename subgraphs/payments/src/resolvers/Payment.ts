import type { PaymentResolvers } from "../__generated__/resolvers-types.js";
import * as payments from "../payments.js";

export const Payment: PaymentResolvers = {
  __resolveReference: (reference, ctx) => payments.findPayment(ctx, reference.id),
  order: (payment) => payments.orderOf(payment),
  amount: (payment) => payments.amountOf(payment),
  clientSecret: (payment, _, ctx) => payments.clientSecretFor(ctx, payment),
  refundedAmount: (payment) => payments.refundedAmountOf(payment),
  refunds: (payment, _, ctx) => payments.refundsOf(ctx, payment),
};

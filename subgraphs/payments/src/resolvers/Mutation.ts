import type { MutationResolvers } from "../__generated__/resolvers-types.js";
import * as lifecycle from "../paymentLifecycle.js";
import * as reconciliation from "../reconciliation.js";

export const Mutation: MutationResolvers = {
  reconcilePayments: (_, args, ctx) => reconciliation.reconcileForAdmin(ctx, args),
  startPayment: (_, args, ctx) => lifecycle.startPayment(ctx, args),
  cancelPayment: (_, args, ctx) => lifecycle.cancelPayment(ctx, args),
  refundPayment: (_, args, ctx) => lifecycle.refundPayment(ctx, args),
};

import type { MutationResolvers } from "../__generated__/resolvers-types.js";
import * as checkout from "../checkout.js";
import * as lifecycle from "../orderLifecycle.js";

export const Mutation: MutationResolvers = {
  updateOrderStatus: (_, args, ctx) => lifecycle.updateOrderStatus(ctx, args),
  checkout: (_, { input }, ctx) => checkout.checkout(ctx, input),
  cancelOrder: (_, args, ctx) => lifecycle.cancelOrder(ctx, args),
};

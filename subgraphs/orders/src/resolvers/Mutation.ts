import type { MutationResolvers } from "../__generated__/resolvers-types.js";
import * as lifecycle from "../orderLifecycle.js";

export const Mutation: MutationResolvers = {
  updateOrderStatus: (_, args, ctx) => lifecycle.updateOrderStatus(ctx, args),
};

import type { MutationResolvers } from "../__generated__/resolvers-types.js";
import * as inventory from "../inventory.js";

export const Mutation: MutationResolvers = {
  adjustStock: (_, args, ctx) => inventory.adjustStock(ctx, args),
  setStock: (_, args, ctx) => inventory.setStock(ctx, args),
  setLowStockThreshold: (_, args, ctx) => inventory.setLowStockThreshold(ctx, args),
  reserveStock: (_, args, ctx) => inventory.reserveStockForOrder(ctx, args),
};

import type { QueryResolvers } from "../__generated__/resolvers-types.js";
import * as inventory from "../inventory.js";

export const Query: QueryResolvers = {
  lowStockProducts: (_, { first }, ctx) => inventory.lowStockProducts(ctx, first),
};

import type { MutationResolvers } from "../__generated__/resolvers-types.js";
import * as carts from "../carts.js";

export const Mutation: MutationResolvers = {
  addToCart: (_, args, ctx) => carts.addToCart(ctx, args),
  updateCartItem: (_, args, ctx) => carts.updateCartItem(ctx, args),
  removeFromCart: (_, args, ctx) => carts.removeFromCart(ctx, args),
  clearCart: (_, __, ctx) => carts.clearCart(ctx),
  removeOrderedItems: (_, args, ctx) => carts.removeOrderedItems(ctx, args),
};

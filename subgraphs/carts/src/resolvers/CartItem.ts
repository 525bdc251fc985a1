import type { CartItemResolvers } from "../__generated__/resolvers-types.js";

export const CartItem: CartItemResolvers = {
  product: (item) => ({ id: item.productId }),
};

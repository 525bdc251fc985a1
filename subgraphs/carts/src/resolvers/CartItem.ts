import type { CartItemResolvers } from "../__generated__/resolvers-types.js";
import * as carts from "../carts.js";

export const CartItem: CartItemResolvers = {
  product: (item) => ({ id: item.productId }),
  unitPrice: async (item, _, ctx) => (await carts.pricedLine(ctx, item)).unitPrice,
  lineTotal: async (item, _, ctx) => (await carts.pricedLine(ctx, item)).lineTotal,
  addedUnitPrice: async (item, _, ctx) => (await carts.pricedLine(ctx, item)).addedUnitPrice,
  priceChanged: async (item, _, ctx) => (await carts.pricedLine(ctx, item)).priceChanged,
  availability: async (item, _, ctx) => (await carts.pricedLine(ctx, item)).availability,
  available: async (item, _, ctx) => (await carts.pricedLine(ctx, item)).available,
};

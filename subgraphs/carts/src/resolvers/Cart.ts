import type { CartResolvers } from "../__generated__/resolvers-types.js";
import * as carts from "../carts.js";

export const Cart: CartResolvers = {
  __resolveReference: (reference, ctx) => carts.resolveReference(ctx, reference.id),
  customer: (cart) => ({ id: cart.customerId }),
  items: (cart, _, ctx) => carts.items(ctx, cart),
  totalQuantity: (cart, _, ctx) => carts.totalQuantity(ctx, cart),
  subtotal: async (cart, _, ctx) => (await carts.pricedCart(ctx, cart.id)).subtotal,
  readyForCheckout: async (cart, _, ctx) => (await carts.pricedCart(ctx, cart.id)).readyForCheckout,
};

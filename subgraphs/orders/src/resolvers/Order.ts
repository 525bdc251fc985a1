import type { OrderResolvers } from "../__generated__/resolvers-types.js";
import * as orders from "../orders.js";

export const Order: OrderResolvers = {
  __resolveReference: (reference, ctx) => orders.findOrder(ctx, reference.id),
  customer: (order) => ({ id: order.customerId }),
  items: (order, _, ctx) => orders.itemsOf(ctx, order),
  total: (order) => orders.total(order),
};

import type { OrderResolvers } from "../__generated__/resolvers-types.js";
import * as lifecycle from "../orderLifecycle.js";
import * as orders from "../orders.js";

export const Order: OrderResolvers = {
  __resolveReference: (reference, ctx) => orders.findOrder(ctx, reference.id),
  customer: (order) => ({ id: order.customerId }),
  items: (order, _, ctx) => orders.itemsOf(ctx, order),
  nextStatuses: (order, _, ctx) => lifecycle.nextStatusesFor(ctx, order),
  statusHistory: (order, _, ctx) => lifecycle.statusHistory(ctx, order),
  subtotal: (order) => orders.subtotal(order),
  shippingTotal: (order) => orders.shippingTotal(order),
  taxTotal: (order) => orders.taxTotal(order),
  total: (order) => orders.total(order),
  shippingAddress: (order, _, ctx) => orders.shippingAddress(ctx, order),
};

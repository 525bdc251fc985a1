import type { QueryResolvers } from "../__generated__/resolvers-types.js";
import * as orders from "../orders.js";

export const Query: QueryResolvers = {
  order: (_, { id }, ctx) => orders.findOrder(ctx, id),
  myOrders: (_, args, ctx) => orders.myOrders(ctx, args),
  orders: (_, args, ctx) => orders.allOrders(ctx, args),
  orderForNotification: (_, { id }, ctx) => orders.orderForNotification(ctx, id),
};

import type { OrderStatusChangeResolvers } from "../__generated__/resolvers-types.js";
import * as lifecycle from "../orderLifecycle.js";

export const OrderStatusChange: OrderStatusChangeResolvers = {
  actor: (change, _, ctx) => lifecycle.actorOf(ctx, change),
};

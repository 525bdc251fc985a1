import type { OrderResolvers } from "../__generated__/resolvers-types.js";
import * as payments from "../payments.js";

export const Order: OrderResolvers = {
  // Orders live in the orders subgraph; here an order is only the key its payments hang off.
  __resolveReference: (reference) => ({ id: reference.id }),
  payments: (order, _, ctx) => payments.paymentsOf(ctx, order),
};

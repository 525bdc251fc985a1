import type { UserResolvers } from "../__generated__/resolvers-types.js";
import * as orders from "../orders.js";

export const User: UserResolvers = {
  // Users live in the users subgraph; here a user is only the key its orders hang off.
  __resolveReference: (reference) => ({ id: reference.id }),
  orders: (user, args, ctx) => orders.ordersOfUser(ctx, user, args),
};

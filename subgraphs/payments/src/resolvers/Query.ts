import type { QueryResolvers } from "../__generated__/resolvers-types.js";
import * as payments from "../payments.js";

export const Query: QueryResolvers = {
  payment: (_, { id }, ctx) => payments.findPayment(ctx, id),
};

import type { QueryResolvers } from "../__generated__/resolvers-types.js";
import * as carts from "../carts.js";

export const Query: QueryResolvers = {
  myCart: (_, __, ctx) => carts.myCart(ctx),
};

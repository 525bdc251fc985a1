// The result unions of the carts subgraph's mutations: the error members carry `__typename`.
import { resolveResultType } from "../../../../lib/errors.js";
import type { Resolvers } from "../__generated__/resolvers-types.js";

export const results: Resolvers = {
  AddToCartResult: { __resolveType: resolveResultType("Cart") },
  UpdateCartItemResult: { __resolveType: resolveResultType("Cart") },
};

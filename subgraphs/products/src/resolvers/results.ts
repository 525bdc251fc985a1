// The result unions of the products subgraph's mutations: the error members carry `__typename`.
import { resolveResultType } from "../../../../lib/errors.js";
import type { Resolvers } from "../__generated__/resolvers-types.js";

export const results: Resolvers = {
  DeleteProductResult: { __resolveType: resolveResultType("ProductDeleted") },
  DeleteCategoryResult: { __resolveType: resolveResultType("CategoryDeleted") },
};

import { resolveResultType } from "../../../../lib/errors.js";
import type { UpdateOrderStatusResultResolvers } from "../__generated__/resolvers-types.js";

export const UpdateOrderStatusResult: UpdateOrderStatusResultResolvers = {
  __resolveType: resolveResultType("Order"),
};

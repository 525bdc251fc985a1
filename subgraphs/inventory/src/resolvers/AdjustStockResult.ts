import { resolveResultType } from "../../../../lib/errors.js";
import type { AdjustStockResultResolvers } from "../__generated__/resolvers-types.js";

export const AdjustStockResult: AdjustStockResultResolvers = {
  __resolveType: resolveResultType("Inventory"),
};

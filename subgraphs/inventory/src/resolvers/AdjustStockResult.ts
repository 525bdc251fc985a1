import type { AdjustStockResultResolvers } from "../__generated__/resolvers-types.js";
import { isInsufficientStock } from "../inventory.js";

export const AdjustStockResult: AdjustStockResultResolvers = {
  __resolveType: (result) => (isInsufficientStock(result) ? "InsufficientStockError" : "Inventory"),
};

import type { InventoryResolvers } from "../__generated__/resolvers-types.js";
import * as inventory from "../inventory.js";

export const Inventory: InventoryResolvers = {
  onHand: (level, _, ctx) => {
    inventory.assertCanSeeStockDetails(ctx);
    return level.onHand;
  },
  reserved: (level, _, ctx) => {
    inventory.assertCanSeeStockDetails(ctx);
    return level.reserved;
  },
  lowStockThreshold: (level, _, ctx) => {
    inventory.assertCanSeeStockDetails(ctx);
    return level.lowStockThreshold;
  },
  available: (level) => inventory.availableUnits(level),
  inStock: (level) => inventory.availableUnits(level) > 0,
};

import type { ProductResolvers } from "../__generated__/resolvers-types.js";
import { isUuid } from "../../../../lib/loaders.js";
import * as inventory from "../inventory.js";

export const Product: ProductResolvers = {
  // Inventory keeps no product rows: any well-formed id is a product (with nothing in stock until
  // stocked), and the stock of a page of products loads in one query when `inventory` is asked for.
  __resolveReference: (reference) => (isUuid(reference.id) ? { id: reference.id } : null),
  inventory: (product, _, ctx) => inventory.inventoryOf(ctx, product),
  stockMovements: (product, { first }, ctx) => inventory.stockMovements(ctx, product, first),
};

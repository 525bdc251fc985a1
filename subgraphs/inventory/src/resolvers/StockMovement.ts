import type { StockMovementResolvers } from "../__generated__/resolvers-types.js";

export const StockMovement: StockMovementResolvers = {
  // A bigint in the database; GraphQL IDs are strings.
  id: (movement) => movement.id.toString(),
};

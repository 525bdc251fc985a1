import { DateTime } from "../../../../lib/scalars.js";
import type { Resolvers } from "../__generated__/resolvers-types.js";
import { AdjustStockResult } from "./AdjustStockResult.js";
import { Inventory } from "./Inventory.js";
import { Mutation } from "./Mutation.js";
import { Product } from "./Product.js";
import { Query } from "./Query.js";
import { StockMovement } from "./StockMovement.js";

export const resolvers: Resolvers = { DateTime, Query, Mutation, Product, Inventory, StockMovement, AdjustStockResult };

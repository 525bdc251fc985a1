import DataLoader from "dataloader";
import type { BaseContext } from "../../../lib/subgraph.js";
import { isUuid } from "../../../lib/loaders.js";
import { parseRows } from "../../../lib/database.js";
import type { PrismaClient, StockLevel, StockMovement } from "../../../prisma/inventory/__generated__/client.js";
import type { ServiceClient } from "../../../lib/serviceClient.js";
import { stockLevelRow, stockMovementRow } from "./ledger.js";

export interface InventoryContext extends BaseContext {
  prisma: PrismaClient;
  loaders: InventoryLoaders;
  /** Signed calls to other subgraphs (asks products whether a product exists). */
  services: ServiceClient;
}

/** What the stock-changing functions need; the worker and the seed build it without a request. */
export type StockDeps = Pick<InventoryContext, "prisma" | "log">;

export interface InventoryLoaders {
  /** A product's stock level, or null when inventory has never stocked it. */
  stockLevel: DataLoader<string, StockLevel | null>;
  /** The latest `first` movements of each product, newest first. */
  movements(first: number): DataLoader<string, StockMovement[]>;
}

export function createLoaders(prisma: PrismaClient): InventoryLoaders {
  const stockLevel = new DataLoader<string, StockLevel | null>(async (productIds) => {
    const valid = [...new Set(productIds.filter(isUuid))];
    // Plain SQL on this hot path: Prisma 6 compiles each model query on every call (no plan cache).
    const rows =
      valid.length > 0
        ? parseRows(
            stockLevelRow,
            await prisma.$queryRaw`
            SELECT "productId", "onHand", reserved, "lowStockThreshold", version, "updatedAt"
            FROM "StockLevel" WHERE "productId" = ANY(${valid}::uuid[])`,
          )
        : [];
    const found = new Map(rows.map((row) => [row.productId, row]));
    return productIds.map((id) => found.get(id) ?? null);
  });

  const movementLoaders = new Map<number, DataLoader<string, StockMovement[]>>();
  const movements = (first: number) => {
    let loader = movementLoaders.get(first);
    if (!loader) {
      loader = new DataLoader<string, StockMovement[]>(async (productIds) => {
        const valid = [...new Set(productIds.filter(isUuid))];
        // One query for the whole page: the latest `first` movements per product, read from the (productId, id) index.
        const rows =
          valid.length === 0
            ? []
            : parseRows(
                stockMovementRow,
                await prisma.$queryRaw`
                SELECT m.* FROM unnest(${valid}::uuid[]) AS product(id)
                CROSS JOIN LATERAL (
                  SELECT * FROM "StockMovement" WHERE "productId" = product.id ORDER BY "id" DESC LIMIT ${first}
                ) m`,
              );
        const byProduct = new Map<string, StockMovement[]>();
        for (const row of rows) byProduct.set(row.productId, [...(byProduct.get(row.productId) ?? []), row]);
        return productIds.map((id) => byProduct.get(id) ?? []);
      });
      movementLoaders.set(first, loader);
    }
    return loader;
  };

  return { stockLevel, movements };
}

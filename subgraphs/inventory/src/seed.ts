// Demo stock for `npm start`: each product of the demo catalog (kept with the products seed, in
// products/src/demoCatalog.ts) restocked to its initialStock through the same domain function as
// any delivery, so the ledger explains every unit. Runs only while inventory is empty; the
// idempotency keys make even a half-finished earlier run safe to repeat.
import type { Logger } from "../../../lib/logger.js";
import type { PrismaClient } from "../../../prisma/inventory/__generated__/client.js";
import { DEMO_PRODUCTS } from "../../products/src/demoCatalog.js";
import { changeStock } from "./inventory.js";

export async function seed(prisma: PrismaClient, log: Logger): Promise<void> {
  if ((await prisma.stockLevel.count()) > 0) {
    log.info("inventory: stock is not empty, demo data skipped");
    return;
  }
  const deps = { prisma, log };
  for (const product of DEMO_PRODUCTS) {
    if (product.initialStock > 0) {
      await changeStock(deps, {
        productId: product.id,
        delta: product.initialStock,
        reason: "RESTOCK",
        note: "demo catalog",
        idempotencyKey: `seed:${product.id}`,
      });
    } else {
      // Sold out from the start: a level with nothing on hand, so it is listed as low on stock.
      await prisma.stockLevel.upsert({ where: { productId: product.id }, create: { productId: product.id }, update: {} });
    }
  }
  log.info({ products: DEMO_PRODUCTS.length }, "inventory: demo stock recorded");
}

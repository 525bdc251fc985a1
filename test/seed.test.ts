// The demo data `npm start` seeds, on databases of its own (the run's are not empty): at least 50
// products across a category tree, each with locally drawn pictures, stock with some low and some
// zero, and demo accounts; seeding twice changes nothing.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { SUBGRAPH_NAMES, type Config } from "../lib/config.js";
import { prismaAdapter } from "../lib/database.js";
import { createLogger } from "../lib/logger.js";
import { dropDatabases, ensureDatabases, migrateAll, seedAll } from "../scripts/lib/stack.js";
import { PrismaClient as ProductsPrisma } from "../prisma/products/__generated__/client.js";
import { PrismaClient as InventoryPrisma } from "../prisma/inventory/__generated__/client.js";
import { PrismaClient as UsersPrisma } from "../prisma/users/__generated__/client.js";
import { verifyPassword } from "../subgraphs/users/src/passwords.js";
import { readDemoAccounts } from "../subgraphs/users/src/seed.js";
import { config as runConfig } from "./support/client.js";

const workDir = mkdtempSync(path.join(tmpdir(), "shopgraph-seed-"));
const config: Config = {
  ...runConfig,
  subgraphs: Object.fromEntries(
    SUBGRAPH_NAMES.map((name) => {
      const url = new URL(runConfig.subgraphs[name].databaseUrl);
      url.pathname = `${url.pathname}_seed`;
      return [name, { ...runConfig.subgraphs[name], databaseUrl: url.toString() }];
    }),
  ) as Config["subgraphs"],
  // Its own Redis keys (under the run's prefix, so the runner removes them), consumed by nobody.
  redis: { ...runConfig.redis, prefix: `${runConfig.redis.prefix}-seed` },
  jwt: { ...runConfig.jwt, keyFile: path.join(workDir, "keys.json") },
  uploads: { ...runConfig.uploads, storageDir: path.join(workDir, "storage") },
};
const log = createLogger("seed-test", "silent");
let products: ProductsPrisma;
let inventory: InventoryPrisma;
let users: UsersPrisma;

before(async () => {
  await ensureDatabases(config);
  await migrateAll(config);
  await seedAll(config, log);
  products = new ProductsPrisma({ adapter: prismaAdapter(config.subgraphs.products.databaseUrl, 1) });
  inventory = new InventoryPrisma({ adapter: prismaAdapter(config.subgraphs.inventory.databaseUrl, 1) });
  users = new UsersPrisma({ adapter: prismaAdapter(config.subgraphs.users.databaseUrl, 1) });
});

after(async () => {
  await Promise.all([products?.$disconnect(), inventory?.$disconnect(), users?.$disconnect()]);
  await dropDatabases(config);
  rmSync(workDir, { recursive: true, force: true });
});

describe("demo seed", () => {
  it("has at least 50 active products in a category tree", async () => {
    assert.ok((await products.product.count({ where: { status: "ACTIVE" } })) >= 50);
    const categories = await products.category.findMany();
    assert.ok(categories.some((c) => c.parentId === null) && categories.some((c) => c.parentId !== null), "roots and children");
    assert.equal(await products.product.count({ where: { categoryId: null } }), 0);
    // Published demo products may be carted and sold, so they can only be archived, never deleted.
    assert.equal(await products.product.count({ where: { status: { not: "DRAFT" }, publishedAt: null } }), 0);
  });

  it("gives every product a picture drawn by sharp, stored as WebP renditions", async () => {
    const images = await products.productImage.findMany();
    assert.equal(images.length, await products.product.count());
    for (const image of images.slice(0, 5)) {
      for (const width of [200, 800, 1600]) {
        assert.ok(existsSync(path.join(config.uploads.storageDir, image.storageKey, `${width}.webp`)), `${image.storageKey}/${width}.webp`);
      }
    }
  });

  it("records stock through the ledger, some of it low and some zero", async () => {
    const levels = await inventory.stockLevel.findMany();
    assert.equal(levels.length, await products.product.count());
    assert.ok(
      levels.some((l) => l.onHand === 0),
      "some sold out",
    );
    assert.ok(
      levels.some((l) => l.onHand > 0 && l.onHand <= l.lowStockThreshold),
      "some low",
    );
    for (const level of levels) {
      const sum = await inventory.stockMovement.aggregate({ where: { productId: level.productId }, _sum: { delta: true } });
      assert.equal(sum._sum.delta ?? 0, level.onHand);
    }
  });

  it("creates an admin and a customer whose printed passwords work", async () => {
    const accounts = readDemoAccounts(config);
    assert.deepEqual(accounts.map((a) => a.role).sort(), ["ADMIN", "CUSTOMER"]);
    for (const account of accounts) {
      const user = await users.user.findUniqueOrThrow({ where: { email: account.email } });
      assert.equal(user.role, account.role);
      assert.ok(await verifyPassword(user.passwordHash, account.password));
    }
  });

  it("changes nothing when run again", async () => {
    const counts = async () => [
      await products.product.count(),
      await products.productImage.count(),
      await inventory.stockMovement.count(),
      await users.user.count(),
    ];
    const before = await counts();
    await seedAll(config, log);
    assert.deepEqual(await counts(), before);
  });
});

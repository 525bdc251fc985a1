// The `inStock` filter lives in products while stock lives in inventory: a stock change is published
// on the stock-availability queue and the products worker updates its read model. End to end here.
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { AdjustStockDocument, CreateProductDocument, SetStockDocument, StorefrontListingDocument } from "../sdk/__generated__/graphql.js";
import { config, createAdmin, eventually, requestOk, type Account } from "./support/client.js";
import { prismaAdapter } from "../lib/database.js";
import { PrismaClient as ProductsPrisma } from "../prisma/products/__generated__/client.js";
import { PrismaClient as InventoryPrisma } from "../prisma/inventory/__generated__/client.js";
import { availabilityEvents } from "../subgraphs/inventory/src/availability.js";
import { writeOutbox } from "../lib/outbox.js";

let admin: Account;
before(async () => {
  admin = await createAdmin();
});

async function idsWhere(search: string, inStock: boolean): Promise<string[]> {
  const data = await requestOk(StorefrontListingDocument, { first: 10, filter: { search, inStock } });
  return data.products.edges.map((edge) => edge.node.id);
}

async function createActiveProduct(name: string, priceAmount: number): Promise<string> {
  const created = await requestOk(CreateProductDocument, { input: { name, priceAmount, status: "ACTIVE" } }, { token: admin.token });
  return created.createProduct.id;
}

async function restock(productId: string, units: number): Promise<void> {
  const data = await requestOk(AdjustStockDocument, { productId, delta: units, reason: "RESTOCK" }, { token: admin.token });
  assert.equal(data.adjustStock.__typename, "Inventory");
}

describe("inStock filter across subgraphs", () => {
  it("follows restocks and sell-outs in inventory", async () => {
    const name = `Lantern ${Date.now().toString(36)}`;
    const id = await createActiveProduct(name, 2500);
    assert.deepEqual(await idsWhere(name, true), [], "no stock yet");
    assert.deepEqual(await idsWhere(name, false), [id]);

    await restock(id, 3);
    await eventually(async () => (await idsWhere(name, true)).includes(id), "the restock reaching the products read model");
    assert.deepEqual(await idsWhere(name, false), []);

    await requestOk(SetStockDocument, { productId: id, onHand: 0 }, { token: admin.token });
    await eventually(async () => (await idsWhere(name, true)).length === 0, "the sell-out reaching the products read model");
    assert.deepEqual(await idsWhere(name, false), [id]);
  });

  it("applies a republished event after the read model was rebuilt, even with a version seen before", async () => {
    const name = `Kettle ${Date.now().toString(36)}`;
    const id = await createActiveProduct(name, 3900);
    await restock(id, 2);
    await eventually(async () => (await idsWhere(name, true)).includes(id), "the restock reaching the read model");

    const products = new ProductsPrisma({ adapter: prismaAdapter(config.subgraphs.products.databaseUrl, 1) });
    const inventory = new InventoryPrisma({ adapter: prismaAdapter(config.subgraphs.inventory.databaseUrl, 1) });
    try {
      await products.productAvailability.deleteMany({ where: { productId: id } }); // the read model rebuilt empty
      assert.deepEqual(await idsWhere(name, true), []);
      const level = await inventory.stockLevel.findUniqueOrThrow({ where: { productId: id } });
      await writeOutbox(inventory, availabilityEvents([level])); // the same product and version as the event already processed
      await eventually(async () => (await idsWhere(name, true)).includes(id), "the republished event reaching the read model");
    } finally {
      await Promise.all([products.$disconnect(), inventory.$disconnect()]);
    }
  });
});

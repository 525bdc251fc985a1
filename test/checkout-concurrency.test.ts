// Many customers at once: 20 checkouts for the last 5 units of a product. Inventory's all-or-nothing
// reservation under its row lock is the only thing that decides; the ledger must agree with the level.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { prismaAdapter } from "../lib/database.js";
import { PrismaClient as InventoryPrisma } from "../prisma/inventory/__generated__/client.js";
import { PrismaClient as OrdersPrisma } from "../prisma/orders/__generated__/client.js";
import { findLedgerMismatches } from "../subgraphs/inventory/src/inventory.js";
import { addToCart, checkoutAs, stockOf, stockedProduct } from "./support/checkout.js";
import { config, registerCustomer } from "./support/client.js";

const inventory = new InventoryPrisma({ adapter: prismaAdapter(config.subgraphs.inventory.databaseUrl, 2) });
const orders = new OrdersPrisma({ adapter: prismaAdapter(config.subgraphs.orders.databaseUrl, 2) });
after(async () => {
  await inventory.$disconnect();
  await orders.$disconnect();
});

describe("20 customers check out the last 5 units at the same moment", () => {
  test("exactly 5 orders, 15 CheckoutStockError; onHand and reserved match the ledger; available never below zero", async () => {
    const product = await stockedProduct(5);
    const customers = await Promise.all(Array.from({ length: 20 }, () => registerCustomer()));
    await Promise.all(customers.map((customer) => addToCart(customer, product, 1)));

    // Watch availability while the checkouts run.
    let running = true;
    const seen: number[] = [];
    const watcher = (async () => {
      while (running) seen.push((await stockOf(product)).available);
    })();
    const results = await Promise.all(customers.map((customer) => checkoutAs(customer)));
    running = false;
    await watcher;

    for (const result of results) assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    const outcomes = results.map((result) => result.data.checkout);
    const placed = outcomes.filter((outcome) => outcome.__typename === "CheckoutSuccess");
    const refused = outcomes.filter((outcome) => outcome.__typename === "CheckoutStockError");
    assert.equal(placed.length, 5);
    assert.equal(refused.length, 15);
    for (const outcome of refused) {
      assert.ok(outcome.__typename === "CheckoutStockError");
      assert.equal(outcome.lines.length, 1);
      assert.equal(outcome.lines[0]?.productId, product);
      assert.equal(outcome.lines[0]?.requested, 1);
    }
    assert.equal(new Set(placed.map((outcome) => outcome.__typename === "CheckoutSuccess" && outcome.order.id)).size, 5);

    assert.deepEqual(await stockOf(product), { onHand: 5, reserved: 5, available: 0 });
    assert.deepEqual(await findLedgerMismatches(inventory, [product]), []);
    assert.ok(seen.length > 0);
    assert.ok(
      seen.every((available) => available >= 0),
      `available went below zero: ${seen.join(",")}`,
    );
    // Orders: 5 PENDING_PAYMENT orders of the product, no stray ones for the refused customers.
    assert.equal(await orders.order.count({ where: { customerId: { in: customers.map((c) => c.id) } } }), 5);
    assert.equal(await orders.checkoutRequest.count({ where: { customerId: { in: customers.map((c) => c.id) } } }), 5);
  });
});

// Inventory through the router: stock levels, the admin mutations and who may see what.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { prismaAdapter } from "../lib/database.js";
import { createLogger } from "../lib/logger.js";
import { PrismaClient } from "../prisma/inventory/__generated__/client.js";
import { findLedgerMismatches, reserveStock } from "../subgraphs/inventory/src/inventory.js";
import {
  AdjustStockDocument,
  AdminLowStockDocument,
  AdminProductStockDocument,
  AdminStockMovementsDocument,
  CreateProductDocument,
  ProductAvailabilityDocument,
  SetLowStockThresholdDocument,
  SetStockDocument,
  type AdjustStockMutation,
  type AdminStockMovementsQuery,
  type SetStockMutation,
  type StockMovementReason,
} from "../sdk/__generated__/graphql.js";
import { config, createAdmin, expectError, registerCustomer, request, requestOk, type Account } from "./support/client.js";

type Movement = NonNullable<AdminStockMovementsQuery["product"]>["stockMovements"][number];
type StockOutcome = AdjustStockMutation["adjustStock"] | SetStockMutation["setStock"];

/** The outcome as the expected member of AdjustStockResult; fails on the other one. */
function expectOutcome<T extends StockOutcome["__typename"]>(outcome: StockOutcome, typename: T): Extract<StockOutcome, { __typename: T }> {
  assert.equal(outcome.__typename, typename, JSON.stringify(outcome));
  return outcome as Extract<StockOutcome, { __typename: T }>;
}

let admin: Account;
let customer: Account;
const prisma = new PrismaClient({ adapter: prismaAdapter(config.subgraphs.inventory.databaseUrl, 2) });
// Availability events (the outbox) are covered by inventory-jobs.test.ts.
const deps = { prisma, log: createLogger("inventory-test", "warn") };

/** A real product (the router resolves Product.inventory through the products subgraph). */
async function createProduct(name = "Stocked thing"): Promise<string> {
  const data = await requestOk(
    CreateProductDocument,
    { input: { name: `${name} ${randomUUID().slice(0, 8)}`, priceAmount: 1999, currency: "EUR", status: "ACTIVE" } },
    { token: admin.token },
  );
  return data.createProduct.id;
}

const adjust = (productId: string, delta: number, reason: StockMovementReason = "ADJUSTMENT", token = admin.token) =>
  request(AdjustStockDocument, { productId, delta, reason }, { token });

async function movementsOf(productId: string): Promise<{ onHand: number; reserved: number; movements: Movement[] }> {
  const { product } = await requestOk(AdminStockMovementsDocument, { id: productId, first: 100 }, { token: admin.token });
  assert.ok(product?.inventory?.onHand != null && product.inventory.reserved != null, "an administrator sees the levels");
  return { onHand: product.inventory.onHand, reserved: product.inventory.reserved, movements: product.stockMovements };
}

before(async () => {
  [admin, customer] = await Promise.all([createAdmin(), registerCustomer("Stock Watcher")]);
});
after(() => prisma.$disconnect());

describe("inventory", () => {
  it("shows nothing in stock for a product inventory has never stocked", async () => {
    const productId = await createProduct();
    const data = await requestOk(AdminProductStockDocument, { id: productId }, { token: admin.token });
    assert.deepEqual(data.product?.inventory, { onHand: 0, reserved: 0, available: 0, inStock: false, lowStockThreshold: 5 });
  });

  it("lets an administrator restock and adjust, recording each change in the ledger", async () => {
    const productId = await createProduct();
    const restocked = await requestOk(
      AdjustStockDocument,
      { productId, delta: 10, reason: "RESTOCK", note: "delivery 42" },
      { token: admin.token },
    );
    assert.deepEqual(restocked.adjustStock, {
      __typename: "Inventory",
      onHand: 10,
      reserved: 0,
      available: 10,
      inStock: true,
      lowStockThreshold: 5,
    });

    const adjusted = await requestOk(
      AdjustStockDocument,
      { productId, delta: -3, reason: "ADJUSTMENT", note: "broken in transit" },
      { token: admin.token },
    );
    assert.equal(expectOutcome(adjusted.adjustStock, "Inventory").onHand, 7);
    const returned = await requestOk(AdjustStockDocument, { productId, delta: 1, reason: "RETURN" }, { token: admin.token });
    assert.equal(expectOutcome(returned.adjustStock, "Inventory").available, 8);

    const data = await requestOk(AdminProductStockDocument, { id: productId }, { token: admin.token });
    assert.deepEqual(data.product?.inventory, { onHand: 8, reserved: 0, available: 8, inStock: true, lowStockThreshold: 5 });

    const { movements } = await movementsOf(productId);
    assert.deepEqual(
      movements.map((m) => [m.delta, m.reservedDelta, m.reason, m.note, m.actorId]),
      [
        [1, 0, "RETURN", null, admin.id],
        [-3, 0, "ADJUSTMENT", "broken in transit", admin.id],
        [10, 0, "RESTOCK", "delivery 42", admin.id],
      ],
    );
    assert.ok(BigInt(movements[0]!.id) > BigInt(movements[1]!.id), "newest first, ids increase");
  });

  it("sets the count on hand as an ADJUSTMENT of the difference", async () => {
    const productId = await createProduct();
    await requestOk(AdjustStockDocument, { productId, delta: 20, reason: "RESTOCK" }, { token: admin.token });
    const set = await requestOk(SetStockDocument, { productId, onHand: 12, note: "stocktake" }, { token: admin.token });
    assert.deepEqual(set.setStock, {
      __typename: "Inventory",
      onHand: 12,
      reserved: 0,
      available: 12,
      inStock: true,
      lowStockThreshold: 5,
    });
    const up = await requestOk(SetStockDocument, { productId, onHand: 15 }, { token: admin.token });
    assert.equal(expectOutcome(up.setStock, "Inventory").onHand, 15);
    const same = await requestOk(SetStockDocument, { productId, onHand: 15 }, { token: admin.token });
    assert.equal(expectOutcome(same.setStock, "Inventory").onHand, 15);

    const { movements } = await movementsOf(productId);
    assert.deepEqual(
      movements.map((m) => [m.delta, m.reason, m.note]),
      [
        [3, "ADJUSTMENT", null],
        [-8, "ADJUSTMENT", "stocktake"],
        [20, "RESTOCK", null],
      ],
      "setting the same count again records nothing",
    );
  });

  it("refuses to go below zero with InsufficientStockError and changes nothing", async () => {
    const productId = await createProduct();
    await requestOk(AdjustStockDocument, { productId, delta: 4, reason: "RESTOCK" }, { token: admin.token });
    const before = await movementsOf(productId);

    const result = await requestOk(AdjustStockDocument, { productId, delta: -5, reason: "ADJUSTMENT" }, { token: admin.token });
    const shortage = expectOutcome(result.adjustStock, "InsufficientStockError");
    assert.equal(shortage.code, "INSUFFICIENT_STOCK");
    assert.equal(shortage.productId, productId);
    assert.equal(shortage.available, 4);
    assert.equal(shortage.requested, 5);
    assert.match(shortage.message, /only 4/);

    expectError(await request(SetStockDocument, { productId, onHand: -1 }, { token: admin.token }), "BAD_USER_INPUT", "onHand");

    assert.deepEqual(await movementsOf(productId), before);
  });

  it("refuses to take away reserved units, by adjustment or by count", async () => {
    const productId = await createProduct();
    await requestOk(AdjustStockDocument, { productId, delta: 10, reason: "RESTOCK" }, { token: admin.token });
    const reservation = await reserveStock(deps, { orderId: randomUUID(), lines: [{ productId, quantity: 7 }] });
    assert.equal(reservation.status, "RESERVED");
    const before = await movementsOf(productId);
    assert.deepEqual([before.onHand, before.reserved], [10, 7]);

    const adjusted = await requestOk(AdjustStockDocument, { productId, delta: -4, reason: "ADJUSTMENT" }, { token: admin.token });
    const byAdjustment = expectOutcome(adjusted.adjustStock, "InsufficientStockError");
    assert.deepEqual([byAdjustment.available, byAdjustment.requested], [3, 4]);
    const set = await requestOk(SetStockDocument, { productId, onHand: 6 }, { token: admin.token });
    const byCount = expectOutcome(set.setStock, "InsufficientStockError");
    assert.deepEqual([byCount.available, byCount.requested], [3, 4]);
    assert.deepEqual(await movementsOf(productId), before);

    const allowed = await requestOk(SetStockDocument, { productId, onHand: 7 }, { token: admin.token });
    const level = expectOutcome(allowed.setStock, "Inventory");
    assert.deepEqual([level.onHand, level.reserved, level.available, level.inStock], [7, 7, 0, false]);
  });

  it("rejects reasons that belong to orders, zero and wrong-signed deltas, and malformed ids", async () => {
    const productId = randomUUID();
    for (const reason of ["RESERVATION", "RELEASE", "SALE"] as const) {
      expectError(await adjust(productId, 1, reason), "BAD_USER_INPUT", "reason");
    }
    expectError(await adjust(productId, 0, "ADJUSTMENT"), "BAD_USER_INPUT", "delta");
    expectError(await adjust(productId, -1, "RESTOCK"), "BAD_USER_INPUT", "delta");
    expectError(await adjust(productId, -1, "RETURN"), "BAD_USER_INPUT", "delta");
    expectError(await adjust("not-a-uuid", 1, "RESTOCK"), "BAD_USER_INPUT", "productId");
    expectError(
      await request(SetLowStockThresholdDocument, { productId, threshold: -1 }, { token: admin.token }),
      "BAD_USER_INPUT",
      "threshold",
    );
    const [level] = await prisma.stockLevel.findMany({ where: { productId } });
    assert.equal(level, undefined, "nothing was stocked");
  });

  it("refuses stock changes to customers (FORBIDDEN) and anonymous callers (UNAUTHENTICATED)", async () => {
    const productId = await createProduct();
    await requestOk(AdjustStockDocument, { productId, delta: 5, reason: "RESTOCK" }, { token: admin.token });
    const before = await movementsOf(productId);
    for (const token of [customer.token, undefined]) {
      const code = token ? "FORBIDDEN" : "UNAUTHENTICATED";
      expectError(await request(AdjustStockDocument, { productId, delta: 5, reason: "RESTOCK" }, { token }), code);
      expectError(await request(SetStockDocument, { productId, onHand: 100 }, { token }), code);
      expectError(await request(SetLowStockThresholdDocument, { productId, threshold: 50 }, { token }), code);
      expectError(await request(AdminLowStockDocument, {}, { token }), code);
      expectError(await request(AdminStockMovementsDocument, { id: productId, first: 100 }, { token }), code);
    }
    assert.deepEqual(await movementsOf(productId), before);
  });

  it("shows customers and anonymous callers only available and inStock", async () => {
    const productId = await createProduct();
    await requestOk(AdjustStockDocument, { productId, delta: 9, reason: "RESTOCK" }, { token: admin.token });
    for (const token of [customer.token, undefined]) {
      const open = await requestOk(ProductAvailabilityDocument, { id: productId }, { token });
      assert.deepEqual(open.product?.inventory, { available: 9, inStock: true });

      const detailed = await request(AdminProductStockDocument, { id: productId }, { token });
      const errors = detailed.errors ?? [];
      assert.deepEqual(
        errors.map((e) => e.extensions?.code),
        ["FORBIDDEN", "FORBIDDEN", "FORBIDDEN"],
      );
      assert.deepEqual(errors.map((e) => e.path?.at(-1)).sort(), ["lowStockThreshold", "onHand", "reserved"]);
      assert.deepEqual(detailed.data.product?.inventory, {
        onHand: null,
        reserved: null,
        available: 9,
        inStock: true,
        lowStockThreshold: null,
      });
    }
  });

  it("keeps every level equal to the sum of its ledger", async () => {
    const productId = await createProduct();
    await requestOk(AdjustStockDocument, { productId, delta: 30, reason: "RESTOCK" }, { token: admin.token });
    await requestOk(AdjustStockDocument, { productId, delta: -7, reason: "ADJUSTMENT" }, { token: admin.token });
    await requestOk(AdjustStockDocument, { productId, delta: -100, reason: "ADJUSTMENT" }, { token: admin.token }); // refused
    await requestOk(SetStockDocument, { productId, onHand: 21 }, { token: admin.token });
    await reserveStock(deps, { orderId: randomUUID(), lines: [{ productId, quantity: 6 }] });

    const { onHand, reserved, movements } = await movementsOf(productId);
    assert.deepEqual([onHand, reserved], [21, 6]);
    assert.equal(
      movements.reduce((sum, m) => sum + m.delta, 0),
      onHand,
    );
    assert.equal(
      movements.reduce((sum, m) => sum + m.reservedDelta, 0),
      reserved,
    );
    assert.deepEqual(await findLedgerMismatches(prisma, [productId]), []);
  });

  it("finds a level that disagrees with its ledger", async () => {
    const productId = await createProduct();
    await requestOk(AdjustStockDocument, { productId, delta: 3, reason: "RESTOCK" }, { token: admin.token });
    // Tamper behind the ledger's back, as a bug or a hand-written UPDATE would.
    await prisma.$executeRaw`UPDATE "StockLevel" SET "onHand" = "onHand" + 2 WHERE "productId" = ${productId}::uuid`;
    assert.deepEqual(await findLedgerMismatches(prisma, [productId]), [
      { productId, onHand: 5, reserved: 0, ledgerOnHand: 3, ledgerReserved: 0 },
    ]);
    await prisma.$executeRaw`UPDATE "StockLevel" SET "onHand" = "onHand" - 2 WHERE "productId" = ${productId}::uuid`;
    assert.deepEqual(await findLedgerMismatches(prisma, [productId]), []);
  });

  it("lists products at or below their threshold, lowest availability first", async () => {
    const [low, lower, plenty] = await Promise.all([createProduct(), createProduct(), createProduct()]);
    await requestOk(AdjustStockDocument, { productId: low, delta: 3, reason: "RESTOCK" }, { token: admin.token });
    await requestOk(AdjustStockDocument, { productId: lower, delta: 1, reason: "RESTOCK" }, { token: admin.token });
    await requestOk(AdjustStockDocument, { productId: plenty, delta: 40, reason: "RESTOCK" }, { token: admin.token });
    const threshold = await requestOk(SetLowStockThresholdDocument, { productId: plenty, threshold: 39 }, { token: admin.token });
    assert.equal(threshold.setLowStockThreshold.lowStockThreshold, 39);

    const first = await requestOk(AdminLowStockDocument, { first: 100 }, { token: admin.token });
    const ids = first.lowStockProducts.map((p) => p?.id);
    assert.ok(ids.includes(low) && ids.includes(lower), "both low products are listed");
    assert.ok(!ids.includes(plenty), "40 available is above a threshold of 39");
    assert.ok(ids.indexOf(lower) < ids.indexOf(low), "lowest availability first");
    const available = first.lowStockProducts.map((p) => p?.inventory?.available ?? Number.NaN);
    assert.deepEqual(
      available,
      [...available].sort((a, b) => a - b),
    );
    for (const product of first.lowStockProducts) {
      assert.ok(product?.inventory?.lowStockThreshold != null, "an administrator sees every threshold");
      assert.ok(product.inventory.available <= product.inventory.lowStockThreshold);
    }

    await requestOk(SetLowStockThresholdDocument, { productId: plenty, threshold: 40 }, { token: admin.token });
    const second = await requestOk(AdminLowStockDocument, { first: 100 }, { token: admin.token });
    assert.ok(
      second.lowStockProducts.some((p) => p?.id === plenty),
      "at the threshold counts as low",
    );
    const limited = await requestOk(AdminLowStockDocument, { first: 1 }, { token: admin.token });
    assert.equal(limited.lowStockProducts.length, 1);
    expectError(await request(AdminLowStockDocument, { first: 101 }, { token: admin.token }), "BAD_USER_INPUT", "first");
  });
});

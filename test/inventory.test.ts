// Inventory through the router: stock levels, the admin mutations and who may see what.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { prismaAdapter } from "../lib/database.js";
import { createLogger } from "../lib/logger.js";
import { PrismaClient } from "../prisma/inventory/__generated__/client.js";
import { silentAvailabilityPublisher } from "../subgraphs/inventory/src/availability.js";
import { findLedgerMismatches, reserveStock } from "../subgraphs/inventory/src/inventory.js";
import { config, createAdmin, expectError, gql, gqlOk, registerCustomer, type Account } from "./support/client.js";

const INVENTORY_FIELDS = `onHand reserved available inStock lowStockThreshold`;
const RESULT_FIELDS = `
  __typename
  ... on Inventory { ${INVENTORY_FIELDS} }
  ... on ErrorResult { message code }
  ... on InsufficientStockError { productId available requested }`;

const ADJUST_STOCK = `
  mutation AdjustStock($productId: ID!, $delta: Int!, $reason: StockMovementReason!, $note: String) {
    adjustStock(productId: $productId, delta: $delta, reason: $reason, note: $note) { ${RESULT_FIELDS} }
  }`;
const SET_STOCK = `
  mutation SetStock($productId: ID!, $onHand: Int!, $note: String) {
    setStock(productId: $productId, onHand: $onHand, note: $note) { ${RESULT_FIELDS} }
  }`;
const SET_THRESHOLD = `
  mutation SetThreshold($productId: ID!, $threshold: Int!) {
    setLowStockThreshold(productId: $productId, threshold: $threshold) { ${INVENTORY_FIELDS} }
  }`;
const PRODUCT_STOCK = `
  query ProductStock($id: ID!) { product(id: $id) { id name inventory { ${INVENTORY_FIELDS} } } }`;
const PRODUCT_AVAILABILITY = `
  query ProductAvailability($id: ID!) { product(id: $id) { id inventory { available inStock } } }`;
const PRODUCT_MOVEMENTS = `
  query ProductMovements($id: ID!) {
    product(id: $id) {
      inventory { onHand reserved }
      stockMovements(first: 100) { id delta reservedDelta reason reference note actorId createdAt }
    }
  }`;
const LOW_STOCK = `query LowStock($first: Int) { lowStockProducts(first: $first) { id inventory { available lowStockThreshold } } }`;

interface Movement {
  id: string;
  delta: number;
  reservedDelta: number;
  reason: string;
  reference: string | null;
  note: string | null;
  actorId: string | null;
  createdAt: string;
}

let admin: Account;
let customer: Account;
const prisma = new PrismaClient({ adapter: prismaAdapter(config.subgraphs.inventory.databaseUrl, 2) });
// Publishing availability is covered by inventory-jobs.test.ts.
const deps = { prisma, availability: silentAvailabilityPublisher, log: createLogger("inventory-test", "warn") };

/** A real product (the router resolves Product.inventory through the products subgraph). */
async function createProduct(name = "Stocked thing"): Promise<string> {
  const data = await gqlOk(
    `mutation CreateProduct($input: CreateProductInput!) { createProduct(input: $input) { id } }`,
    { input: { name: `${name} ${randomUUID().slice(0, 8)}`, priceAmount: 1999, currency: "EUR", status: "ACTIVE" } },
    { token: admin.token },
  );
  return data.createProduct.id as string;
}

const adjust = (productId: string, delta: number, reason = "ADJUSTMENT", token = admin.token) =>
  gql(ADJUST_STOCK, { productId, delta, reason }, { token });

async function movementsOf(productId: string): Promise<{ onHand: number; reserved: number; movements: Movement[] }> {
  const data = await gqlOk(PRODUCT_MOVEMENTS, { id: productId }, { token: admin.token });
  return { ...data.product.inventory, movements: data.product.stockMovements };
}

before(async () => {
  [admin, customer] = await Promise.all([createAdmin(), registerCustomer("Stock Watcher")]);
});
after(() => prisma.$disconnect());

describe("inventory", () => {
  it("shows nothing in stock for a product inventory has never stocked", async () => {
    const productId = await createProduct();
    const data = await gqlOk(PRODUCT_STOCK, { id: productId }, { token: admin.token });
    assert.deepEqual(data.product.inventory, { onHand: 0, reserved: 0, available: 0, inStock: false, lowStockThreshold: 5 });
  });

  it("lets an administrator restock and adjust, recording each change in the ledger", async () => {
    const productId = await createProduct();
    const restocked = await gqlOk(ADJUST_STOCK, { productId, delta: 10, reason: "RESTOCK", note: "delivery 42" }, { token: admin.token });
    assert.deepEqual(restocked.adjustStock, {
      __typename: "Inventory",
      onHand: 10,
      reserved: 0,
      available: 10,
      inStock: true,
      lowStockThreshold: 5,
    });

    const adjusted = await gqlOk(
      ADJUST_STOCK,
      { productId, delta: -3, reason: "ADJUSTMENT", note: "broken in transit" },
      { token: admin.token },
    );
    assert.equal(adjusted.adjustStock.onHand, 7);
    const returned = await gqlOk(ADJUST_STOCK, { productId, delta: 1, reason: "RETURN" }, { token: admin.token });
    assert.equal(returned.adjustStock.available, 8);

    const data = await gqlOk(PRODUCT_STOCK, { id: productId }, { token: admin.token });
    assert.deepEqual(data.product.inventory, { onHand: 8, reserved: 0, available: 8, inStock: true, lowStockThreshold: 5 });

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
    await gqlOk(ADJUST_STOCK, { productId, delta: 20, reason: "RESTOCK" }, { token: admin.token });
    const set = await gqlOk(SET_STOCK, { productId, onHand: 12, note: "stocktake" }, { token: admin.token });
    assert.deepEqual(set.setStock, {
      __typename: "Inventory",
      onHand: 12,
      reserved: 0,
      available: 12,
      inStock: true,
      lowStockThreshold: 5,
    });
    const up = await gqlOk(SET_STOCK, { productId, onHand: 15 }, { token: admin.token });
    assert.equal(up.setStock.onHand, 15);
    const same = await gqlOk(SET_STOCK, { productId, onHand: 15 }, { token: admin.token });
    assert.equal(same.setStock.onHand, 15);

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
    await gqlOk(ADJUST_STOCK, { productId, delta: 4, reason: "RESTOCK" }, { token: admin.token });
    const before = await movementsOf(productId);

    const result = await gqlOk(ADJUST_STOCK, { productId, delta: -5, reason: "ADJUSTMENT" }, { token: admin.token });
    assert.equal(result.adjustStock.__typename, "InsufficientStockError");
    assert.equal(result.adjustStock.code, "INSUFFICIENT_STOCK");
    assert.equal(result.adjustStock.productId, productId);
    assert.equal(result.adjustStock.available, 4);
    assert.equal(result.adjustStock.requested, 5);
    assert.match(result.adjustStock.message, /only 4/);

    expectError(await gql(SET_STOCK, { productId, onHand: -1 }, { token: admin.token }), "BAD_USER_INPUT", "onHand");

    assert.deepEqual(await movementsOf(productId), before);
  });

  it("refuses to take away reserved units, by adjustment or by count", async () => {
    const productId = await createProduct();
    await gqlOk(ADJUST_STOCK, { productId, delta: 10, reason: "RESTOCK" }, { token: admin.token });
    const reservation = await reserveStock(deps, { orderId: randomUUID(), lines: [{ productId, quantity: 7 }] });
    assert.equal(reservation.status, "RESERVED");
    const before = await movementsOf(productId);
    assert.deepEqual([before.onHand, before.reserved], [10, 7]);

    const adjusted = await gqlOk(ADJUST_STOCK, { productId, delta: -4, reason: "ADJUSTMENT" }, { token: admin.token });
    assert.deepEqual(
      [adjusted.adjustStock.__typename, adjusted.adjustStock.available, adjusted.adjustStock.requested],
      ["InsufficientStockError", 3, 4],
    );
    const set = await gqlOk(SET_STOCK, { productId, onHand: 6 }, { token: admin.token });
    assert.deepEqual([set.setStock.__typename, set.setStock.available, set.setStock.requested], ["InsufficientStockError", 3, 4]);
    assert.deepEqual(await movementsOf(productId), before);

    const allowed = await gqlOk(SET_STOCK, { productId, onHand: 7 }, { token: admin.token });
    assert.deepEqual(
      [allowed.setStock.onHand, allowed.setStock.reserved, allowed.setStock.available, allowed.setStock.inStock],
      [7, 7, 0, false],
    );
  });

  it("rejects reasons that belong to orders, zero and wrong-signed deltas, and malformed ids", async () => {
    const productId = randomUUID();
    for (const reason of ["RESERVATION", "RELEASE", "SALE"]) {
      expectError(await adjust(productId, 1, reason), "BAD_USER_INPUT", "reason");
    }
    expectError(await adjust(productId, 0, "ADJUSTMENT"), "BAD_USER_INPUT", "delta");
    expectError(await adjust(productId, -1, "RESTOCK"), "BAD_USER_INPUT", "delta");
    expectError(await adjust(productId, -1, "RETURN"), "BAD_USER_INPUT", "delta");
    expectError(await adjust("not-a-uuid", 1, "RESTOCK"), "BAD_USER_INPUT", "productId");
    expectError(await gql(SET_THRESHOLD, { productId, threshold: -1 }, { token: admin.token }), "BAD_USER_INPUT", "threshold");
    const [level] = await prisma.stockLevel.findMany({ where: { productId } });
    assert.equal(level, undefined, "nothing was stocked");
  });

  it("refuses stock changes to customers (FORBIDDEN) and anonymous callers (UNAUTHENTICATED)", async () => {
    const productId = await createProduct();
    await gqlOk(ADJUST_STOCK, { productId, delta: 5, reason: "RESTOCK" }, { token: admin.token });
    const before = await movementsOf(productId);
    for (const token of [customer.token, undefined]) {
      const code = token ? "FORBIDDEN" : "UNAUTHENTICATED";
      expectError(await gql(ADJUST_STOCK, { productId, delta: 5, reason: "RESTOCK" }, { token }), code);
      expectError(await gql(SET_STOCK, { productId, onHand: 100 }, { token }), code);
      expectError(await gql(SET_THRESHOLD, { productId, threshold: 50 }, { token }), code);
      expectError(await gql(LOW_STOCK, {}, { token }), code);
      expectError(await gql(PRODUCT_MOVEMENTS, { id: productId }, { token }), code);
    }
    assert.deepEqual(await movementsOf(productId), before);
  });

  it("shows customers and anonymous callers only available and inStock", async () => {
    const productId = await createProduct();
    await gqlOk(ADJUST_STOCK, { productId, delta: 9, reason: "RESTOCK" }, { token: admin.token });
    for (const token of [customer.token, undefined]) {
      const open = await gqlOk(PRODUCT_AVAILABILITY, { id: productId }, { token });
      assert.deepEqual(open.product.inventory, { available: 9, inStock: true });

      const detailed = await gql(PRODUCT_STOCK, { id: productId }, { token });
      const errors = detailed.errors ?? [];
      assert.deepEqual(
        errors.map((e) => e.extensions?.code),
        ["FORBIDDEN", "FORBIDDEN", "FORBIDDEN"],
      );
      assert.deepEqual(errors.map((e) => e.path?.at(-1)).sort(), ["lowStockThreshold", "onHand", "reserved"]);
      assert.deepEqual(detailed.data.product.inventory, {
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
    await gqlOk(ADJUST_STOCK, { productId, delta: 30, reason: "RESTOCK" }, { token: admin.token });
    await gqlOk(ADJUST_STOCK, { productId, delta: -7, reason: "ADJUSTMENT" }, { token: admin.token });
    await gqlOk(ADJUST_STOCK, { productId, delta: -100, reason: "ADJUSTMENT" }, { token: admin.token }); // refused
    await gqlOk(SET_STOCK, { productId, onHand: 21 }, { token: admin.token });
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
    await gqlOk(ADJUST_STOCK, { productId, delta: 3, reason: "RESTOCK" }, { token: admin.token });
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
    await gqlOk(ADJUST_STOCK, { productId: low, delta: 3, reason: "RESTOCK" }, { token: admin.token });
    await gqlOk(ADJUST_STOCK, { productId: lower, delta: 1, reason: "RESTOCK" }, { token: admin.token });
    await gqlOk(ADJUST_STOCK, { productId: plenty, delta: 40, reason: "RESTOCK" }, { token: admin.token });
    const threshold = await gqlOk(SET_THRESHOLD, { productId: plenty, threshold: 39 }, { token: admin.token });
    assert.equal(threshold.setLowStockThreshold.lowStockThreshold, 39);

    const first = await gqlOk(LOW_STOCK, { first: 100 }, { token: admin.token });
    const ids = first.lowStockProducts.map((p: { id: string }) => p.id);
    assert.ok(ids.includes(low) && ids.includes(lower), "both low products are listed");
    assert.ok(!ids.includes(plenty), "40 available is above a threshold of 39");
    assert.ok(ids.indexOf(lower) < ids.indexOf(low), "lowest availability first");
    const available = first.lowStockProducts.map((p: { inventory: { available: number } }) => p.inventory.available);
    assert.deepEqual(
      available,
      [...available].sort((a, b) => a - b),
    );
    for (const product of first.lowStockProducts) assert.ok(product.inventory.available <= product.inventory.lowStockThreshold);

    await gqlOk(SET_THRESHOLD, { productId: plenty, threshold: 40 }, { token: admin.token });
    const second = await gqlOk(LOW_STOCK, { first: 100 }, { token: admin.token });
    assert.ok(
      second.lowStockProducts.some((p: { id: string }) => p.id === plenty),
      "at the threshold counts as low",
    );
    const limited = await gqlOk(LOW_STOCK, { first: 1 }, { token: admin.token });
    assert.equal(limited.lowStockProducts.length, 1);
    expectError(await gql(LOW_STOCK, { first: 101 }, { token: admin.token }), "BAD_USER_INPUT", "first");
  });
});

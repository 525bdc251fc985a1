// Stock under concurrency: many changes at once, through the domain functions (as the stock worker
// calls them) and through the router (as administrators do), never oversell and keep the ledger right.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { prismaAdapter } from "../lib/database.js";
import { createLogger } from "../lib/logger.js";
import type { StockJobResult } from "../lib/queues.js";
import { PrismaClient } from "../prisma/inventory/__generated__/client.js";
import {
  changeStock,
  commitReservation,
  findLedgerMismatches,
  isInsufficientStock,
  releaseReservation,
  reserveStock,
} from "../subgraphs/inventory/src/inventory.js";
import { AdjustStockDocument } from "../sdk/__generated__/graphql.js";
import { config, createAdmin, requestOk, type Account } from "./support/client.js";
import { activeProduct } from "./support/catalog.js";

// A pool as large as the burst is wide would hide waiting; 20 connections make operations queue.
const prisma = new PrismaClient({ adapter: prismaAdapter(config.subgraphs.inventory.databaseUrl, 20) });
// Availability publishing is covered by inventory-jobs.test.ts.
const deps = { prisma, log: createLogger("inventory-concurrency-test", "warn") };
let admin: Account;

before(async () => {
  admin = await createAdmin();
});
after(() => prisma.$disconnect());

async function level(productId: string) {
  const row = await prisma.stockLevel.findUniqueOrThrow({ where: { productId } });
  return { onHand: row.onHand, reserved: row.reserved };
}

function assertSound(levels: { onHand: number; reserved: number }[]) {
  for (const { onHand, reserved } of levels) {
    assert.ok(onHand >= 0, `onHand ${onHand} >= 0`);
    assert.ok(reserved >= 0 && reserved <= onHand, `0 <= reserved ${reserved} <= onHand ${onHand}`);
  }
}

const count = <T>(items: T[], predicate: (item: T) => boolean) => items.filter(predicate).length;

describe("inventory under concurrency", () => {
  it("never oversells across 200 mixed concurrent operations, and the final levels are exactly what succeeded", async () => {
    // Real products: the router path (adjustStock) stocks only products the catalog confirms.
    const [a, b] = await Promise.all([activeProduct(), activeProduct()]);
    await changeStock(deps, { productId: a, delta: 100, reason: "RESTOCK" });
    await changeStock(deps, { productId: b, delta: 50, reason: "RESTOCK" });

    // Demand on A far exceeds its supply (100 + 80 restocked), so many operations must be refused.
    type Outcome =
      | { kind: "adjust"; applied: boolean }
      | { kind: "restock" }
      | { kind: "sale"; reserve: StockJobResult; settle?: StockJobResult }
      | { kind: "released"; reserve: StockJobResult; settle?: StockJobResult }
      | { kind: "kept"; reserve: StockJobResult };
    const operations: (() => Promise<Outcome>)[] = Array.from({ length: 200 }, (_, i) => {
      const orderId = randomUUID();
      switch (i % 5) {
        case 0: // an administrator writes off 3 units of A, through the router
          return async () => {
            const data = await requestOk(AdjustStockDocument, { productId: a, delta: -3, reason: "ADJUSTMENT" }, { token: admin.token });
            return { kind: "adjust", applied: data.adjustStock.__typename === "Inventory" };
          };
        case 1: // a delivery of 2 units of A
          return async () => {
            const result = await changeStock(deps, { productId: a, delta: 2, reason: "RESTOCK" });
            assert.ok(!isInsufficientStock(result));
            return { kind: "restock" };
          };
        case 2: // an order of 4 A that is paid
          return async () => {
            const reserve = await reserveStock(deps, { orderId, lines: [{ productId: a, quantity: 4 }] });
            const settle = reserve.status === "RESERVED" ? await commitReservation(deps, { orderId }) : undefined;
            return { kind: "sale", reserve, settle };
          };
        case 3: // an order of 1 B and 2 A (lines in the opposite order to case 4) that is cancelled
          return async () => {
            const reserve = await reserveStock(deps, {
              orderId,
              lines: [
                { productId: b, quantity: 1 },
                { productId: a, quantity: 2 },
              ],
            });
            const settle = reserve.status === "RESERVED" ? await releaseReservation(deps, { orderId }) : undefined;
            return { kind: "released", reserve, settle };
          };
        default: // an order of 3 A and 2 B that stays reserved
          return async () => ({
            kind: "kept",
            reserve: await reserveStock(deps, {
              orderId,
              lines: [
                { productId: a, quantity: 3 },
                { productId: b, quantity: 2 },
              ],
            }),
          });
      }
    });

    const settled = await Promise.allSettled(operations.map((operation) => operation()));
    const failures = settled.filter((s) => s.status === "rejected");
    assert.deepEqual(failures, [], "no operation errored (a deadlock, a timeout or a CHECK violation would)");
    const outcomes = settled.map((s) => (s as PromiseFulfilledResult<Outcome>).value);

    const adjusted = count(outcomes, (o) => o.kind === "adjust" && o.applied);
    const restocked = count(outcomes, (o) => o.kind === "restock");
    const sold = outcomes.filter((o) => o.kind === "sale" && o.reserve.status === "RESERVED");
    const released = outcomes.filter((o) => o.kind === "released" && o.reserve.status === "RESERVED");
    const kept = count(outcomes, (o) => o.kind === "kept" && o.reserve.status === "RESERVED");
    const refused = count(
      outcomes,
      (o) => (o.kind === "adjust" && !o.applied) || ("reserve" in o && o.reserve.status === "INSUFFICIENT_STOCK"),
    );
    for (const o of sold) assert.equal((o as { settle?: StockJobResult }).settle?.status, "COMMITTED");
    for (const o of released) assert.equal((o as { settle?: StockJobResult }).settle?.status, "RELEASED");
    assert.equal(restocked, 40);
    assert.ok(refused > 0, "the burst ran into the stock limit");
    assert.ok(adjusted + sold.length + kept > 0, "some operations went through");

    const [levelA, levelB] = [await level(a), await level(b)];
    assertSound([levelA, levelB]);
    assert.deepEqual(levelA, { onHand: 100 + 2 * restocked - 3 * adjusted - 4 * sold.length, reserved: 3 * kept });
    assert.deepEqual(levelB, { onHand: 50, reserved: 2 * kept });
    assert.deepEqual(await findLedgerMismatches(prisma, [a, b]), []);
  });

  it("applies one reservation when the same order is reserved 20 times at once", async () => {
    const productId = randomUUID();
    await changeStock(deps, { productId, delta: 10, reason: "RESTOCK" });
    const orderId = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => reserveStock(deps, { orderId, lines: [{ productId, quantity: 6 }] })),
    );
    assert.equal(
      count(results, (r) => r.status === "RESERVED"),
      1,
    );
    assert.equal(
      count(results, (r) => r.status === "ALREADY_APPLIED"),
      19,
    );
    assert.deepEqual(await level(productId), { onHand: 10, reserved: 6 });
  });

  it("settles a reservation once when commits and releases of it race", async () => {
    const productId = randomUUID();
    await changeStock(deps, { productId, delta: 10, reason: "RESTOCK" });
    const orderId = randomUUID();
    await reserveStock(deps, { orderId, lines: [{ productId, quantity: 4 }] });

    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? commitReservation(deps, { orderId }) : releaseReservation(deps, { orderId }))),
    );
    const winners = results.filter((r) => r.status === "COMMITTED" || r.status === "RELEASED");
    assert.equal(winners.length, 1, JSON.stringify(results.map((r) => r.status)));
    const committed = winners[0]!.status === "COMMITTED";
    assert.deepEqual(await level(productId), { onHand: committed ? 6 : 10, reserved: 0 });
    assert.deepEqual(await findLedgerMismatches(prisma, [productId]), []);
  });

  it("applies a keyed change once however many times it is sent at once", async () => {
    const productId = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        changeStock(deps, { productId, delta: 7, reason: "RESTOCK", idempotencyKey: `delivery:${productId}` }),
      ),
    );
    for (const result of results) assert.ok(!isInsufficientStock(result) && result.onHand === 7);
    assert.deepEqual(await level(productId), { onHand: 7, reserved: 0 });
    assert.equal(await prisma.stockMovement.count({ where: { productId } }), 1);
  });
});

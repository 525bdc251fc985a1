// The order state machine (subgraphs/orders/src/orderStatus.ts): every (from, to, actor) triple.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ORDER_ACTOR_KINDS,
  ORDER_STATUSES,
  canTransition,
  isFinalStatus,
  moveKind,
  nextStatuses,
  statusUpdateTargets,
  type OrderActorKind,
  type OrderMoveKind,
  type OrderStatus,
} from "../../subgraphs/orders/src/orderStatus.js";

/** The expected machine, written out independently of the table: "FROM>TO" -> who, by which kind of move. */
const EXPECTED: Record<string, Partial<Record<OrderActorKind, OrderMoveKind>>> = {
  "PENDING_PAYMENT>PAID": { SYSTEM: "payment" },
  "PENDING_PAYMENT>CANCELLED": { CUSTOMER: "cancellation", ADMIN: "cancellation", SYSTEM: "expiry" },
  "PAID>SHIPPED": { ADMIN: "status-update" },
  "PAID>CANCELLED": { CUSTOMER: "cancellation", ADMIN: "cancellation" },
  "PAID>REFUNDED": { SYSTEM: "payment" },
  "SHIPPED>DELIVERED": { ADMIN: "status-update" },
  "CANCELLED>REFUNDED": { SYSTEM: "payment" },
  "DELIVERED>REFUNDED": { SYSTEM: "payment" },
};

describe("order state machine", () => {
  it("allows exactly the expected moves, for exactly the expected actors (all 6 x 6 x 3 triples)", () => {
    let checked = 0;
    for (const from of ORDER_STATUSES) {
      for (const to of ORDER_STATUSES) {
        for (const actor of ORDER_ACTOR_KINDS) {
          const expected = EXPECTED[`${from}>${to}`]?.[actor] ?? null;
          assert.equal(moveKind(from, to, actor), expected, `${from} -> ${to} by ${actor}`);
          assert.equal(canTransition(from, to, actor), expected !== null, `${from} -> ${to} by ${actor}`);
          checked++;
        }
      }
    }
    assert.equal(checked, 108);
  });

  it("never allows staying in the same status", () => {
    for (const status of ORDER_STATUSES) for (const actor of ORDER_ACTOR_KINDS) assert.equal(canTransition(status, status, actor), false);
  });

  it("customers can only cancel, and only before shipping", () => {
    for (const from of ORDER_STATUSES) {
      const expected: OrderStatus[] = from === "PENDING_PAYMENT" || from === "PAID" ? ["CANCELLED"] : [];
      assert.deepEqual(nextStatuses(from, "CUSTOMER"), expected, from);
    }
  });

  it("nextStatuses lists what each actor may do, in status order", () => {
    assert.deepEqual(nextStatuses("PENDING_PAYMENT", "ADMIN"), ["CANCELLED"]);
    assert.deepEqual(nextStatuses("PENDING_PAYMENT", "SYSTEM"), ["PAID", "CANCELLED"]);
    assert.deepEqual(nextStatuses("PAID", "ADMIN"), ["SHIPPED", "CANCELLED"]);
    assert.deepEqual(nextStatuses("PAID", "SYSTEM"), ["REFUNDED"]);
    assert.deepEqual(nextStatuses("SHIPPED", "ADMIN"), ["DELIVERED"]);
    assert.deepEqual(nextStatuses("DELIVERED", "ADMIN"), []);
    assert.deepEqual(nextStatuses("REFUNDED", "SYSTEM"), []);
  });

  it("updateOrderStatus makes only plain moves: shipping and delivery, never cancellation or payment", () => {
    const targets = Object.fromEntries(ORDER_STATUSES.map((from) => [from, statusUpdateTargets(from)]));
    assert.deepEqual(targets, {
      PENDING_PAYMENT: [],
      PAID: ["SHIPPED"],
      SHIPPED: ["DELIVERED"],
      DELIVERED: [],
      CANCELLED: [],
      REFUNDED: [],
    });
  });

  it("REFUNDED is the only final status; every status is reachable from PENDING_PAYMENT", () => {
    assert.deepEqual(ORDER_STATUSES.filter(isFinalStatus), ["REFUNDED"]);
    const reached = new Set<OrderStatus>(["PENDING_PAYMENT"]);
    // A Set iterates over members added while iterating, so one pass reaches everything.
    for (const from of reached) for (const actor of ORDER_ACTOR_KINDS) for (const to of nextStatuses(from, actor)) reached.add(to);
    assert.deepEqual([...reached].sort(), [...ORDER_STATUSES].sort());
  });
});

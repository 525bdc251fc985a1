// The order lifecycle through the router: administrators' status moves (state machine, history,
// concurrency), what each viewer may do next, the stored totals and address, and the administrators'
// list of every order. Orders are inserted with Prisma, as checkout will place them.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { prismaAdapter } from "../lib/database.js";
import { PrismaClient, type Order, type OrderStatus } from "../prisma/orders/__generated__/client.js";
import {
  AdminOrdersDocument,
  MyOrdersDocument,
  OrderDetailsDocument,
  UpdateOrderStatusDocument,
  type UpdateOrderStatusMutation,
} from "../sdk/__generated__/graphql.js";
import {
  config,
  createAdmin,
  expectError,
  expectErrorResult,
  registerCustomer,
  request,
  requestOk,
  type Account,
} from "./support/client.js";

const prisma = new PrismaClient({ adapter: prismaAdapter(config.subgraphs.orders.databaseUrl, 2) });
after(() => prisma.$disconnect());

const ADDRESS = { line1: "Hauptstraße 5", line2: null, city: "Berlin", region: null, postalCode: "10115", country: "DE" };

/** An order of 2 × 12.50 EUR with 4.90 shipping and 4.75 tax, in `status`, placed `minutesAgo` minutes ago. */
function insertOrder(customerId: string, status: OrderStatus = "PAID", minutesAgo = 0, createdAt?: Date): Promise<Order> {
  return prisma.order.create({
    data: {
      customerId,
      status,
      currency: "EUR",
      subtotalAmount: 2500,
      shippingAmount: 490,
      taxAmount: 475,
      totalAmount: 3465,
      shippingAddress: ADDRESS,
      createdAt: createdAt ?? new Date(Date.now() - minutesAgo * 60_000),
      items: { create: [{ productId: randomUUID(), productName: "Walnut Desk Lamp", unitAmount: 1250, quantity: 2 }] },
    },
  });
}

type Moved = Extract<UpdateOrderStatusMutation["updateOrderStatus"], { __typename: "Order" }>;

async function move(admin: Account, id: string, status: OrderStatus, note?: string): Promise<Moved> {
  const data = await requestOk(UpdateOrderStatusDocument, { id, status, note }, { token: admin.token });
  assert.equal(data.updateOrderStatus.__typename, "Order", JSON.stringify(data.updateOrderStatus));
  return data.updateOrderStatus as Moved;
}

let admin: Account;
let customer: Account;
let stranger: Account;

before(async () => {
  [admin, customer, stranger] = await Promise.all([createAdmin(), registerCustomer("Lifecycle Buyer"), registerCustomer("Someone Else")]);
});

describe("updateOrderStatus", () => {
  test("an administrator ships and delivers a paid order; each move is in its history with actor and note", async () => {
    const order = await insertOrder(customer.id, "PAID");
    const shipped = await move(admin, order.id, "SHIPPED", "DHL 00340434161094042557");
    assert.equal(shipped.status, "SHIPPED");
    assert.deepEqual(shipped.nextStatuses, ["DELIVERED"]);
    const delivered = await move(admin, order.id, "DELIVERED");
    assert.equal(delivered.status, "DELIVERED");
    assert.deepEqual(
      delivered.statusHistory.map((c) => [c.status, c.actor.kind, c.actor.user?.id ?? null, c.note ?? null]),
      [
        ["SHIPPED", "ADMIN", admin.id, "DHL 00340434161094042557"],
        ["DELIVERED", "ADMIN", admin.id, null],
      ],
    );
    const rows = await prisma.orderStatusChange.findMany({ where: { orderId: order.id }, orderBy: { at: "asc" } });
    assert.deepEqual(
      rows.map((r) => [r.status, r.actorKind, r.actorId]),
      [
        ["SHIPPED", "ADMIN", admin.id],
        ["DELIVERED", "ADMIN", admin.id],
      ],
    );
    assert.equal((await prisma.order.findUniqueOrThrow({ where: { id: order.id } })).status, "DELIVERED");
  });

  test("the owner sees the history, but not which administrator acted", async () => {
    const order = await insertOrder(customer.id, "PAID");
    await move(admin, order.id, "SHIPPED", "on its way");
    const seen = (await requestOk(OrderDetailsDocument, { id: order.id }, { token: customer.token })).order!;
    assert.deepEqual(
      seen.statusHistory.map((c) => [c.status, c.actor.kind, c.actor.user, c.note]),
      [["SHIPPED", "ADMIN", null, "on its way"]],
    );
  });

  for (const [from, to] of [
    ["PENDING_PAYMENT", "SHIPPED"],
    ["DELIVERED", "PAID"],
    ["PAID", "PAID"],
    ["PAID", "CANCELLED"],
    ["REFUNDED", "DELIVERED"],
  ] as const) {
    test(`refuses ${from} -> ${to} with InvalidStatusTransitionError and what is allowed, changing nothing`, async () => {
      const order = await insertOrder(customer.id, from);
      const result = await request(UpdateOrderStatusDocument, { id: order.id, status: to, note: "try" }, { token: admin.token });
      const refusal = expectErrorResult(result, "updateOrderStatus", "InvalidStatusTransitionError", "INVALID_STATUS_TRANSITION");
      const expectedAllowed = { PENDING_PAYMENT: [], PAID: ["SHIPPED"], DELIVERED: [], REFUNDED: [] }[from];
      assert.deepEqual({ from: refusal.from, to: refusal.to, allowed: refusal.allowed }, { from, to, allowed: expectedAllowed });
      const stored = await prisma.order.findUniqueOrThrow({ where: { id: order.id } });
      assert.equal(stored.status, from);
      assert.equal(stored.updatedAt.getTime(), order.updatedAt.getTime());
      assert.equal(await prisma.orderStatusChange.count({ where: { orderId: order.id } }), 0);
    });
  }

  test("customers (even the owner) get FORBIDDEN, anonymous callers UNAUTHENTICATED; nothing changes", async () => {
    const order = await insertOrder(customer.id, "PAID");
    for (const who of [customer, stranger]) {
      expectError(await request(UpdateOrderStatusDocument, { id: order.id, status: "SHIPPED" }, { token: who.token }), "FORBIDDEN");
    }
    expectError(await request(UpdateOrderStatusDocument, { id: order.id, status: "SHIPPED" }), "UNAUTHENTICATED");
    assert.equal((await prisma.order.findUniqueOrThrow({ where: { id: order.id } })).status, "PAID");
  });

  test("unknown and malformed ids are NOT_FOUND", async () => {
    for (const id of [randomUUID(), "42", '\'; DROP TABLE "Order"; --']) {
      expectError(await request(UpdateOrderStatusDocument, { id, status: "SHIPPED" }, { token: admin.token }), "NOT_FOUND");
    }
  });

  test("notes: control characters and more than 500 characters are refused, blank notes are stored as none", async () => {
    const order = await insertOrder(customer.id, "PAID");
    expectError(
      await request(UpdateOrderStatusDocument, { id: order.id, status: "SHIPPED", note: "ok\u0000bad" }, { token: admin.token }),
      "BAD_USER_INPUT",
      "note",
    );
    expectError(
      await request(UpdateOrderStatusDocument, { id: order.id, status: "SHIPPED", note: "x".repeat(501) }, { token: admin.token }),
      "BAD_USER_INPUT",
      "note",
    );
    assert.equal((await prisma.order.findUniqueOrThrow({ where: { id: order.id } })).status, "PAID");
    const shipped = await move(admin, order.id, "SHIPPED", "   ");
    assert.equal(shipped.statusHistory[0]!.note, null);
    const multiLine = await insertOrder(customer.id, "PAID");
    const moved = await move(admin, multiLine.id, "SHIPPED", "line one\nline two");
    assert.equal(moved.statusHistory[0]!.note, "line one\nline two");
  });

  test("concurrent moves from the same status: exactly one wins, one history row", async () => {
    const order = await insertOrder(customer.id, "PAID");
    const admins = [admin, await createAdmin()];
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        requestOk(UpdateOrderStatusDocument, { id: order.id, status: "SHIPPED", note: `attempt ${i}` }, { token: admins[i % 2]!.token }),
      ),
    );
    const outcomes = results.map((r) => r.updateOrderStatus.__typename);
    assert.equal(outcomes.filter((t) => t === "Order").length, 1, JSON.stringify(outcomes));
    assert.equal(outcomes.filter((t) => t === "InvalidStatusTransitionError").length, 5);
    assert.equal(await prisma.orderStatusChange.count({ where: { orderId: order.id } }), 1);
  });
});

describe("Order fields", () => {
  test("stored totals, shipping address and nextStatuses per viewer", async () => {
    const order = await insertOrder(customer.id, "PAID");
    const asOwner = (await requestOk(OrderDetailsDocument, { id: order.id }, { token: customer.token })).order!;
    assert.deepEqual(
      [asOwner.subtotal, asOwner.shippingTotal, asOwner.taxTotal, asOwner.total].map((m) => m.amount),
      [2500, 490, 475, 3465],
    );
    assert.deepEqual(asOwner.shippingAddress, ADDRESS);
    assert.deepEqual(asOwner.nextStatuses, ["CANCELLED"]);
    const asAdmin = (await requestOk(OrderDetailsDocument, { id: order.id }, { token: admin.token })).order!;
    assert.deepEqual(asAdmin.nextStatuses, ["SHIPPED", "CANCELLED"]);

    const shipped = await insertOrder(customer.id, "SHIPPED");
    assert.deepEqual((await requestOk(OrderDetailsDocument, { id: shipped.id }, { token: customer.token })).order!.nextStatuses, []);
    assert.deepEqual((await requestOk(OrderDetailsDocument, { id: shipped.id }, { token: admin.token })).order!.nextStatuses, [
      "DELIVERED",
    ]);
  });

  test("the database refuses totals that do not add up and a non-object address", async () => {
    await assert.rejects(
      prisma.order.create({
        data: { customerId: customer.id, currency: "EUR", subtotalAmount: 100, shippingAmount: 10, totalAmount: 100 },
      }),
    );
    await assert.rejects(
      prisma.order.create({
        data: { customerId: customer.id, currency: "EUR", subtotalAmount: 100, totalAmount: 100, shippingAddress: "Berlin" },
      }),
    );
  });

  test("a malformed stored address reads as none instead of failing the order", async () => {
    const order = await insertOrder(customer.id, "PAID");
    await prisma.order.update({ where: { id: order.id }, data: { shippingAddress: { line1: 42 } } });
    const result = await request(OrderDetailsDocument, { id: order.id }, { token: customer.token });
    assert.equal(result.errors, undefined);
    assert.equal(result.data.order!.shippingAddress, null);
  });
});

describe("orders (administrators)", () => {
  let buyer: Account;
  let other: Account;
  const base = new Date("2031-03-01T12:00:00.000Z");
  const at = (hours: number) => new Date(base.getTime() + hours * 3_600_000);
  let placed: Order[];

  before(async () => {
    [buyer, other] = await Promise.all([registerCustomer("Admin List Buyer"), registerCustomer("Admin List Other")]);
    placed = [
      await insertOrder(buyer.id, "PAID", 0, at(0)),
      await insertOrder(buyer.id, "SHIPPED", 0, at(1)),
      await insertOrder(other.id, "PAID", 0, at(2)),
      await insertOrder(buyer.id, "PAID", 0, at(3)),
    ];
  });

  const ids = (data: { orders: { edges: { node: { id: string } }[] } }) => data.orders.edges.map((e) => e.node.id);
  const inWindow = { createdAfter: at(0).toISOString(), createdBefore: at(4).toISOString() };

  test("filters by date range, customer and status, newest first, with totalCount", async () => {
    const all = await requestOk(AdminOrdersDocument, { filter: inWindow }, { token: admin.token });
    assert.deepEqual(ids(all), [placed[3]!.id, placed[2]!.id, placed[1]!.id, placed[0]!.id]);
    assert.equal(all.orders.totalCount, 4);

    const buyers = await requestOk(AdminOrdersDocument, { filter: { ...inWindow, customerId: buyer.id } }, { token: admin.token });
    assert.deepEqual(ids(buyers), [placed[3]!.id, placed[1]!.id, placed[0]!.id]);

    const paid = await requestOk(AdminOrdersDocument, { filter: { customerId: buyer.id, status: "PAID" } }, { token: admin.token });
    assert.deepEqual(ids(paid), [placed[3]!.id, placed[0]!.id]);
    assert.equal(paid.orders.totalCount, 2);

    // createdAfter is inclusive, createdBefore exclusive.
    const window = await requestOk(
      AdminOrdersDocument,
      { filter: { createdAfter: at(1).toISOString(), createdBefore: at(3).toISOString() } },
      { token: admin.token },
    );
    assert.deepEqual(ids(window), [placed[2]!.id, placed[1]!.id]);
  });

  test("pages with cursors, keeping the filter", async () => {
    const first = await requestOk(AdminOrdersDocument, { filter: inWindow, first: 3 }, { token: admin.token });
    assert.equal(first.orders.pageInfo.hasNextPage, true);
    const second = await requestOk(
      AdminOrdersDocument,
      { filter: inWindow, first: 3, after: first.orders.pageInfo.endCursor },
      { token: admin.token },
    );
    assert.deepEqual(ids(second), [placed[0]!.id]);
    assert.equal(second.orders.pageInfo.hasNextPage, false);
    assert.equal(second.orders.totalCount, 4);
  });

  test("refuses a backwards date range, a bad customer id and a bad cursor with BAD_USER_INPUT", async () => {
    const backwards = { createdAfter: at(3).toISOString(), createdBefore: at(1).toISOString() };
    expectError(await request(AdminOrdersDocument, { filter: backwards }, { token: admin.token }), "BAD_USER_INPUT", "filter.createdAfter");
    expectError(
      await request(AdminOrdersDocument, { filter: { customerId: "nope" } }, { token: admin.token }),
      "BAD_USER_INPUT",
      "filter.customerId",
    );
    for (const cursor of [
      "not-a-cursor",
      Buffer.from(JSON.stringify(["orders", "2031-02-30T00:00:00.000Z", randomUUID()])).toString("base64url"),
    ]) {
      expectError(await request(AdminOrdersDocument, { after: cursor }, { token: admin.token }), "BAD_USER_INPUT", "after");
    }
  });

  test("customers get FORBIDDEN, anonymous callers UNAUTHENTICATED", async () => {
    expectError(await request(AdminOrdersDocument, { filter: { customerId: buyer.id } }, { token: buyer.token }), "FORBIDDEN");
    expectError(await request(AdminOrdersDocument, {}), "UNAUTHENTICATED");
  });

  test("myOrders still lists only the customer's own orders, newest first", async () => {
    const mine = await requestOk(MyOrdersDocument, {}, { token: buyer.token });
    assert.deepEqual(
      mine.myOrders.edges.map((e) => e.node.id),
      [placed[3]!.id, placed[1]!.id, placed[0]!.id],
    );
    assert.equal(mine.myOrders.totalCount, 3);
  });
});

// Orders subgraph: the Order entity contract (`_entities` straight to the subgraph), the orders it
// adds to User, and the order queries through the router.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { prismaAdapter } from "../lib/database.js";
import { PrismaClient, type Order } from "../prisma/orders/__generated__/client.js";
import {
  config,
  createAdmin,
  expectError,
  gql,
  gqlOk,
  registerCustomer,
  request,
  requestOk,
  sqlStatements,
  subgraphUrl,
  type Account,
} from "./support/client.js";
import { checkOwnerOnlyAccess } from "./support/entityAccess.js";
import { MyOrdersDocument, OrderDetailsDocument, type MyOrdersQuery } from "../sdk/__generated__/graphql.js";

const prisma = new PrismaClient({ adapter: prismaAdapter(config.subgraphs.orders.databaseUrl, 2) });
after(() => prisma.$disconnect());

const ORDERS = subgraphUrl("orders");
const ORDER_FIELDS = `id status customer { id } total { amount currency } createdAt
  items { productName quantity product { id } unitPrice { amount currency } lineTotal { amount currency } }`;
const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { ${ORDER_FIELDS} } } }`;
const USER_ORDERS = `query($r: [_Any!]!, $first: Int, $after: String) { _entities(representations: $r) {
  ... on User { id orders(first: $first, after: $after) { totalCount edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } } }`;
const orderRef = (id: string) => ({ __typename: "Order", id });
const userRef = (id: string) => ({ __typename: "User", id });

/** An order of two products (2 × 12.50 EUR + 1 × 9.99 EUR) placed `minutesAgo` minutes ago. */
function insertOrder(customerId: string, minutesAgo = 0): Promise<Order> {
  return prisma.order.create({
    data: {
      customerId,
      currency: "EUR",
      subtotalAmount: 2 * 1250 + 999,
      totalAmount: 2 * 1250 + 999,
      createdAt: new Date(Date.now() - minutesAgo * 60_000),
      items: {
        create: [
          { productId: randomUUID(), productName: "Walnut Desk Lamp", unitAmount: 1250, quantity: 2 },
          { productId: randomUUID(), productName: "Linen Notebook", unitAmount: 999, quantity: 1 },
        ],
      },
    },
  });
}

describe("Order entity (_entities on the orders subgraph)", () => {
  let owner: Account;
  let stranger: Account;
  let order: Order;

  before(async () => {
    [owner, stranger] = await Promise.all([registerCustomer("Order Owner"), registerCustomer("Someone Else")]);
    order = await insertOrder(owner.id);
  });

  checkOwnerOnlyAccess({
    subgraph: "orders",
    query: ENTITIES,
    typename: "Order",
    subject: () => ({ id: order.id, owner, otherCustomer: stranger }),
    malformedId: "42",
  });

  test("resolves for its owner with snapshot prices and totals", async () => {
    const data = await gqlOk(ENTITIES, { r: [orderRef(order.id)] }, { url: ORDERS, token: owner.token });
    const resolved = data._entities[0];
    assert.equal(resolved.id, order.id);
    assert.equal(resolved.status, "PENDING_PAYMENT");
    assert.deepEqual(resolved.customer, { id: owner.id });
    assert.deepEqual(resolved.total, { amount: 3499, currency: "EUR" });
    assert.equal(resolved.createdAt, order.createdAt.toISOString());
    const lamp = resolved.items.find((i: { productName: string }) => i.productName === "Walnut Desk Lamp");
    assert.deepEqual(lamp.unitPrice, { amount: 1250, currency: "EUR" });
    assert.deepEqual(lamp.lineTotal, { amount: 2500, currency: "EUR" });
    assert.equal(lamp.quantity, 2);
    assert.equal(resolved.items.length, 2);
  });

  test("many references cost one query for the orders and one for their items (DataLoader)", async () => {
    const orders = await Promise.all(Array.from({ length: 5 }, () => insertOrder(randomUUID())));
    const admin = await createAdmin();
    const before = await sqlStatements("orders");
    const data = await gqlOk(ENTITIES, { r: orders.map((o) => orderRef(o.id)) }, { url: ORDERS, token: admin.token });
    assert.equal(await sqlStatements("orders"), before + 2);
    assert.deepEqual(
      data._entities.map((o: { id: string; items: unknown[] }) => [o.id, o.items.length]),
      orders.map((o) => [o.id, 2]),
    );
  });
});

describe("User.orders (_entities on the orders subgraph)", () => {
  let owner: Account;
  let stranger: Account;
  let orders: Order[];

  before(async () => {
    [owner, stranger] = await Promise.all([registerCustomer("Frequent Buyer"), registerCustomer("Someone Else")]);
    orders = [await insertOrder(owner.id, 3), await insertOrder(owner.id, 2), await insertOrder(owner.id, 1)];
    await insertOrder(stranger.id);
  });

  test("pages through the user's own orders, newest first", async () => {
    const first = (await gqlOk(USER_ORDERS, { r: [userRef(owner.id)], first: 2 }, { url: ORDERS, token: owner.token }))._entities[0].orders;
    assert.equal(first.totalCount, 3);
    assert.deepEqual(
      first.edges.map((e: { node: { id: string } }) => e.node.id),
      [orders[2]!.id, orders[1]!.id],
    );
    assert.equal(first.pageInfo.hasNextPage, true);
    assert.equal(first.pageInfo.hasPreviousPage, false);
    const second = (
      await gqlOk(USER_ORDERS, { r: [userRef(owner.id)], first: 2, after: first.pageInfo.endCursor }, { url: ORDERS, token: owner.token })
    )._entities[0].orders;
    assert.deepEqual(
      second.edges.map((e: { node: { id: string } }) => e.node.id),
      [orders[0]!.id],
    );
    assert.equal(second.pageInfo.hasNextPage, false);
    assert.equal(second.pageInfo.hasPreviousPage, true);
  });

  test("administrators see any user's orders; other customers get FORBIDDEN", async () => {
    const admin = await createAdmin();
    const data = await gqlOk(USER_ORDERS, { r: [userRef(owner.id)] }, { url: ORDERS, token: admin.token });
    assert.equal(data._entities[0].orders.totalCount, 3);
    expectError(await gql(USER_ORDERS, { r: [userRef(owner.id)] }, { url: ORDERS, token: stranger.token }), "FORBIDDEN");
  });
});

describe("order queries (through the router)", () => {
  test("order(id): the owner sees it, another customer gets FORBIDDEN, an unknown id gives null", async () => {
    const [owner, stranger] = await Promise.all([registerCustomer(), registerCustomer()]);
    const order = await insertOrder(owner.id);
    const mine = await requestOk(OrderDetailsDocument, { id: order.id }, { token: owner.token });
    assert.equal(mine.order?.id, order.id);
    assert.deepEqual(mine.order.total, { amount: 3499, currency: "EUR" });
    assert.deepEqual(mine.order.customer, { id: owner.id });
    assert.equal(mine.order.items.length, 2);
    expectError(await request(OrderDetailsDocument, { id: order.id }, { token: stranger.token }), "FORBIDDEN");
    assert.equal((await requestOk(OrderDetailsDocument, { id: randomUUID() }, { token: owner.token })).order, null);
    expectError(await request(OrderDetailsDocument, { id: order.id }), "UNAUTHENTICATED");
  });

  test("myOrders pages newest first and counts every order", async () => {
    const customer = await registerCustomer();
    const placed = [await insertOrder(customer.id, 2), await insertOrder(customer.id, 1), await insertOrder(customer.id, 0)];
    const page1 = (await requestOk(MyOrdersDocument, { first: 2 }, { token: customer.token })).myOrders;
    assert.equal(page1.totalCount, 3);
    assert.deepEqual(
      page1.edges.map((e) => e.node.id),
      [placed[2]!.id, placed[1]!.id],
    );
    assert.equal(page1.pageInfo.startCursor, page1.edges[0]?.cursor);
    assert.equal(page1.pageInfo.endCursor, page1.edges[1]?.cursor);
    const page2 = (await requestOk(MyOrdersDocument, { first: 2, after: page1.pageInfo.endCursor }, { token: customer.token })).myOrders;
    assert.deepEqual(
      page2.edges.map((e) => e.node.id),
      [placed[0]!.id],
    );
    assert.equal(page2.pageInfo.hasNextPage, false);
  });

  test("myOrders: orders placed in the same millisecond page without repeats or gaps", async () => {
    const customer = await registerCustomer();
    const placedAt = new Date();
    const placed = await Promise.all(
      Array.from({ length: 3 }, () =>
        prisma.order.create({
          data: { customerId: customer.id, currency: "EUR", subtotalAmount: 100, totalAmount: 100, createdAt: placedAt },
        }),
      ),
    );
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 3; page++) {
      const { myOrders }: MyOrdersQuery = await requestOk(MyOrdersDocument, { first: 1, after }, { token: customer.token });
      seen.push(...myOrders.edges.map((e) => e.node.id));
      after = myOrders.pageInfo.endCursor;
      assert.equal(myOrders.pageInfo.hasNextPage, page < 2);
    }
    assert.deepEqual(
      seen,
      placed
        .map((o) => o.id)
        .sort()
        .reverse(),
      "newest first, then by id descending",
    );
  });

  test("myOrders: a customer without orders gets an empty connection, anonymous callers UNAUTHENTICATED", async () => {
    const customer = await registerCustomer();
    const empty = (await requestOk(MyOrdersDocument, {}, { token: customer.token })).myOrders;
    assert.deepEqual(empty, {
      totalCount: 0,
      edges: [],
      pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
    });
    expectError(await request(MyOrdersDocument), "UNAUTHENTICATED");
  });

  test("myOrders rejects a bad cursor or page size with BAD_USER_INPUT", async () => {
    const customer = await registerCustomer();
    expectError(await request(MyOrdersDocument, { after: "garbage" }, { token: customer.token }), "BAD_USER_INPUT", "after");
    const notAnId = Buffer.from(JSON.stringify([new Date().toISOString(), "x"])).toString("base64url");
    expectError(await request(MyOrdersDocument, { after: notAnId }, { token: customer.token }), "BAD_USER_INPUT", "after");
    expectError(await request(MyOrdersDocument, { first: 1000 }, { token: customer.token }), "BAD_USER_INPUT", "first");
  });

  test("me { orders } joins the users and orders subgraphs", async () => {
    const customer = await registerCustomer();
    await insertOrder(customer.id);
    const data = await gqlOk(`{ me { id orders { totalCount edges { node { customer { id } } } } } }`, {}, { token: customer.token });
    assert.equal(data.me.orders.totalCount, 1);
    assert.equal(data.me.orders.edges[0].node.customer.id, customer.id);
  });
});

// Payments subgraph: the Payment entity contract (`_entities` straight to the subgraph), the
// payments it adds to Order, and the payment query through the router.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { prismaAdapter } from "../lib/database.js";
import { PrismaClient, type Payment } from "../prisma/payments/__generated__/client.js";
import { PrismaClient as OrdersPrisma } from "../prisma/orders/__generated__/client.js";
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
import { OrderDetailsDocument, PaymentDetailsDocument } from "../sdk/__generated__/graphql.js";

const prisma = new PrismaClient({ adapter: prismaAdapter(config.subgraphs.payments.databaseUrl, 2) });
const ordersPrisma = new OrdersPrisma({ adapter: prismaAdapter(config.subgraphs.orders.databaseUrl, 1) });
after(() => Promise.all([prisma.$disconnect(), ordersPrisma.$disconnect()]));

const PAYMENTS = subgraphUrl("payments");
const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) {
  ... on Payment { id status amount { amount currency } order { id } createdAt updatedAt } } }`;
const ORDER_PAYMENTS = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { id payments { id status } } } }`;
const paymentRef = (id: string) => ({ __typename: "Payment", id });
const orderRef = (id: string) => ({ __typename: "Order", id });

function insertPayment(customerId: string, orderId: string, status: Payment["status"] = "REQUIRES_PAYMENT"): Promise<Payment> {
  return prisma.payment.create({ data: { customerId, orderId, amount: 3499, currency: "EUR", status } });
}

describe("Payment entity (_entities on the payments subgraph)", () => {
  let owner: Account;
  let stranger: Account;
  let payment: Payment;

  before(async () => {
    [owner, stranger] = await Promise.all([registerCustomer("Payer"), registerCustomer("Someone Else")]);
    payment = await insertPayment(owner.id, randomUUID());
  });

  checkOwnerOnlyAccess({
    subgraph: "payments",
    query: ENTITIES,
    typename: "Payment",
    subject: () => ({ id: payment.id, owner, otherCustomer: stranger }),
    malformedId: "pi_123",
  });

  test("resolves for its owner with amount, order and dates", async () => {
    const data = await gqlOk(ENTITIES, { r: [paymentRef(payment.id)] }, { url: PAYMENTS, token: owner.token });
    assert.deepEqual(data._entities[0], {
      id: payment.id,
      status: "REQUIRES_PAYMENT",
      amount: { amount: 3499, currency: "EUR" },
      order: { id: payment.orderId },
      createdAt: payment.createdAt.toISOString(),
      updatedAt: payment.updatedAt.toISOString(),
    });
  });
});

describe("Order.payments (_entities on the payments subgraph)", () => {
  let owner: Account;
  let stranger: Account;
  const orderId = randomUUID();
  const otherOrderId = randomUUID();
  let attempts: Payment[];

  before(async () => {
    [owner, stranger] = await Promise.all([registerCustomer("Payer"), registerCustomer("Someone Else")]);
    // One payment per order (Payment.orderId is unique): a failed attempt stays payable on the same PaymentIntent.
    attempts = [await insertPayment(owner.id, orderId, "FAILED")];
    await insertPayment(owner.id, otherOrderId);
  });

  test("lists each order's payment, for several orders at once", async () => {
    const data = await gqlOk(
      ORDER_PAYMENTS,
      { r: [orderRef(orderId), orderRef(randomUUID()), orderRef(otherOrderId)] },
      { url: PAYMENTS, token: owner.token },
    );
    assert.deepEqual(data._entities[0], {
      id: orderId,
      payments: attempts.map((p) => ({ id: p.id, status: p.status })),
    });
    assert.deepEqual(data._entities[1].payments, []);
    assert.equal(data._entities[2].payments.length, 1);
  });

  test("payments of many orders cost one query (DataLoader)", async () => {
    const orderIds = Array.from({ length: 5 }, () => randomUUID());
    await Promise.all(orderIds.map((id) => insertPayment(owner.id, id)));
    const before = await sqlStatements("payments");
    const data = await gqlOk(ORDER_PAYMENTS, { r: orderIds.map(orderRef) }, { url: PAYMENTS, token: owner.token });
    assert.equal(await sqlStatements("payments"), before + 1);
    assert.deepEqual(
      data._entities.map((o: { payments: unknown[] }) => o.payments.length),
      [1, 1, 1, 1, 1],
    );
  });

  test("administrators see them; other customers get FORBIDDEN", async () => {
    const admin = await createAdmin();
    assert.equal(
      (await gqlOk(ORDER_PAYMENTS, { r: [orderRef(orderId)] }, { url: PAYMENTS, token: admin.token }))._entities[0].payments.length,
      1,
    );
    expectError(await gql(ORDER_PAYMENTS, { r: [orderRef(orderId)] }, { url: PAYMENTS, token: stranger.token }), "FORBIDDEN");
  });
});

describe("payments through the router", () => {
  test("payment(id) joins its order, and order { payments } lists it", async () => {
    const [owner, stranger] = await Promise.all([registerCustomer(), registerCustomer()]);
    const order = await ordersPrisma.order.create({
      data: {
        customerId: owner.id,
        currency: "EUR",
        subtotalAmount: 3499,
        totalAmount: 3499,
        items: { create: [{ productId: randomUUID(), productName: "Walnut Desk Lamp", unitAmount: 3499, quantity: 1 }] },
      },
    });
    const payment = await insertPayment(owner.id, order.id, "SUCCEEDED");

    const byPayment = await requestOk(PaymentDetailsDocument, { id: payment.id }, { token: owner.token });
    assert.deepEqual(byPayment.payment, {
      id: payment.id,
      status: "SUCCEEDED",
      amount: { amount: 3499, currency: "EUR" },
      order: { id: order.id, status: "PENDING_PAYMENT", total: { amount: 3499, currency: "EUR" } },
    });

    const byOrder = await requestOk(OrderDetailsDocument, { id: order.id }, { token: owner.token });
    assert.deepEqual(byOrder.order?.payments, [{ id: payment.id, status: "SUCCEEDED", amount: { amount: 3499, currency: "EUR" } }]);

    expectError(await request(PaymentDetailsDocument, { id: payment.id }, { token: stranger.token }), "FORBIDDEN");
    assert.equal((await requestOk(PaymentDetailsDocument, { id: randomUUID() }, { token: owner.token })).payment, null);
    expectError(await request(PaymentDetailsDocument, { id: payment.id }), "UNAUTHENTICATED");
  });
});

// Carts: live prices from products and stock from inventory on every cart line, the subtotal of what
// can be bought, price-change and availability warnings, removeFromCart, and a constant call budget.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { prismaAdapter } from "../lib/database.js";
import { PrismaClient } from "../prisma/carts/__generated__/client.js";
import { MyCartDocument, RemoveFromCartDocument, SetStockDocument, type CartViewFragment } from "../sdk/__generated__/graphql.js";
import { catalogAdmin, createProduct } from "./support/catalog.js";
import { config, expectError, gqlOk, registerCustomer, request, requestOk, sqlStatements, type Account } from "./support/client.js";

const prisma = new PrismaClient({ adapter: prismaAdapter(config.subgraphs.carts.databaseUrl, 2) });
after(() => prisma.$disconnect());

const ADD = `mutation($p: ID!, $q: Int!) { addToCart(productId: $p, quantity: $q) { __typename ... on ErrorResult { code } } }`;
const UPDATE_PRICE = `mutation($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { id } }`;
const ARCHIVE = `mutation($id: ID!) { archiveProduct(id: $id) { id status } }`;

const adminToken = async () => ({ token: (await catalogAdmin()).token });

async function addToCart(customer: Account, productId: string, quantity: number): Promise<void> {
  const data = await gqlOk(ADD, { p: productId, q: quantity }, { token: customer.token });
  assert.equal(data.addToCart.__typename, "Cart", JSON.stringify(data));
}

async function setStock(productId: string, onHand: number): Promise<void> {
  const data = await requestOk(SetStockDocument, { productId, onHand }, await adminToken());
  assert.equal(data.setStock.__typename, "Inventory");
}

/** A new ACTIVE product at `priceAmount` EUR cents with `stock` units on hand. */
async function stockedProduct(priceAmount: number, stock: number): Promise<string> {
  const { id } = await createProduct({ priceAmount });
  await setStock(id, stock);
  return id;
}

async function cartOf(customer: Account): Promise<CartViewFragment> {
  const data = await requestOk(MyCartDocument, {}, { token: customer.token });
  assert.ok(data.myCart, "the customer has a cart");
  return data.myCart;
}

const lineOf = (cart: CartViewFragment, productId: string) => {
  const line = cart.items.find((item) => item.productId === productId);
  assert.ok(line, `product ${productId} is in the cart`);
  return line;
};

const eur = (amount: number) => ({ amount, currency: "EUR" });

describe("live cart pricing", () => {
  let customer: Account;
  let lamp: string;
  let chair: string;

  before(async () => {
    customer = await registerCustomer("Pricing Customer");
    [lamp, chair] = await Promise.all([stockedProduct(1234, 10), stockedProduct(999, 10)]);
    await addToCart(customer, lamp, 3);
    await addToCart(customer, chair, 2);
  });

  test("each line shows its live unit price and exact line total; the subtotal sums them", async () => {
    const cart = await cartOf(customer);
    const lampLine = lineOf(cart, lamp);
    assert.deepEqual(lampLine.unitPrice, eur(1234));
    assert.deepEqual(lampLine.lineTotal, eur(3702));
    assert.deepEqual(lampLine.addedUnitPrice, eur(1234));
    assert.equal(lampLine.priceChanged, false);
    assert.equal(lampLine.availability, "AVAILABLE");
    assert.equal(lampLine.available, 10);
    assert.deepEqual(lineOf(cart, chair).lineTotal, eur(1998));
    assert.deepEqual(cart.subtotal, eur(3702 + 1998));
    assert.equal(cart.readyForCheckout, true);
  });

  test("a price change shows the new price and priceChanged; adding units accepts the new price", async () => {
    await gqlOk(UPDATE_PRICE, { id: lamp, input: { priceAmount: 1500 } }, await adminToken());
    let cart = await cartOf(customer);
    let line = lineOf(cart, lamp);
    assert.deepEqual(line.unitPrice, eur(1500));
    assert.deepEqual(line.lineTotal, eur(4500));
    assert.deepEqual(line.addedUnitPrice, eur(1234), "the price it was added at is kept");
    assert.equal(line.priceChanged, true);
    assert.equal(lineOf(cart, chair).priceChanged, false);
    assert.deepEqual(cart.subtotal, eur(4500 + 1998));

    await addToCart(customer, lamp, 1);
    cart = await cartOf(customer);
    line = lineOf(cart, lamp);
    assert.deepEqual(line.addedUnitPrice, eur(1500));
    assert.equal(line.priceChanged, false);
    assert.deepEqual(cart.subtotal, eur(6000 + 1998));
  });

  test("fewer units available than wanted: INSUFFICIENT_STOCK with the units available, still in the subtotal", async () => {
    await setStock(chair, 1);
    const cart = await cartOf(customer);
    const line = lineOf(cart, chair);
    assert.equal(line.availability, "INSUFFICIENT_STOCK");
    assert.equal(line.available, 1);
    assert.equal(cart.readyForCheckout, false);
    assert.deepEqual(cart.subtotal, eur(6000 + 1998));
    await setStock(chair, 2);
    const restocked = await cartOf(customer);
    assert.equal(lineOf(restocked, chair).availability, "AVAILABLE", "exactly the wanted quantity is enough");
    assert.equal(restocked.readyForCheckout, true);
  });

  test("an archived product is flagged NOT_ON_SALE and left out of the subtotal; the cart still shows", async () => {
    const vase = await stockedProduct(700, 5);
    await addToCart(customer, vase, 1);
    await gqlOk(ARCHIVE, { id: vase }, await adminToken());
    const cart = await cartOf(customer);
    const line = lineOf(cart, vase);
    assert.equal(line.availability, "NOT_ON_SALE");
    assert.deepEqual(line.unitPrice, eur(700));
    assert.deepEqual(cart.subtotal, eur(6000 + 1998), "the archived line is not counted");
    assert.equal(cart.readyForCheckout, false);
    await requestOk(RemoveFromCartDocument, { productId: vase }, { token: customer.token });
    assert.equal((await cartOf(customer)).readyForCheckout, true);
  });
});

describe("the price a line was added at, with updateCartItem", () => {
  const SET = `mutation($p: ID!, $q: Int!) { updateCartItem(productId: $p, quantity: $q) { __typename } }`;

  test("lowering the quantity keeps the recorded price; raising it records the live one", async () => {
    const customer = await registerCustomer("Quantity Customer");
    const clock = await stockedProduct(3000, 10);
    await addToCart(customer, clock, 4);
    await gqlOk(UPDATE_PRICE, { id: clock, input: { priceAmount: 3300 } }, await adminToken());
    await gqlOk(SET, { p: clock, q: 2 }, { token: customer.token });
    let line = lineOf(await cartOf(customer), clock);
    assert.deepEqual(line.addedUnitPrice, eur(3000));
    assert.equal(line.priceChanged, true);
    await gqlOk(SET, { p: clock, q: 3 }, { token: customer.token });
    line = lineOf(await cartOf(customer), clock);
    assert.deepEqual(line.addedUnitPrice, eur(3300));
    assert.equal(line.priceChanged, false);
    assert.deepEqual(line.lineTotal, eur(9900));
  });
});

describe("a cart with two currencies", () => {
  test("a line priced in another currency than the cart's oldest line is OTHER_CURRENCY and not counted", async () => {
    const customer = await registerCustomer("Currency Customer");
    const [euroLine, dollarLine] = await Promise.all([stockedProduct(1000, 5), stockedProduct(2000, 5)]);
    await addToCart(customer, euroLine, 1);
    await addToCart(customer, dollarLine, 2);
    await gqlOk(UPDATE_PRICE, { id: dollarLine, input: { currency: "USD" } }, await adminToken());
    const cart = await cartOf(customer);
    const line = lineOf(cart, dollarLine);
    assert.equal(line.availability, "OTHER_CURRENCY");
    assert.deepEqual(line.unitPrice, { amount: 2000, currency: "USD" });
    assert.deepEqual(line.lineTotal, { amount: 4000, currency: "USD" });
    assert.equal(line.priceChanged, true, "the currency changed since it was added");
    assert.deepEqual(cart.subtotal, eur(1000), "only the lines in the cart's currency are summed");
    assert.equal(cart.readyForCheckout, false);
  });
});

describe("a line whose product is no longer known", () => {
  test("is NOT_ON_SALE, priced at its added price, not counted, and the cart still shows", async () => {
    const customer = await registerCustomer("Ghost Line Customer");
    const mug = await stockedProduct(450, 5);
    await addToCart(customer, mug, 2);
    const ghost = randomUUID();
    const cart = await prisma.cart.findUniqueOrThrow({ where: { customerId: customer.id } });
    await prisma.cartItem.create({ data: { cartId: cart.id, productId: ghost, quantity: 3, addedUnitAmount: 800, addedCurrency: "EUR" } });
    // A line from before prices were recorded, for a product no longer known: priced at zero.
    const legacy = randomUUID();
    await prisma.cartItem.create({ data: { cartId: cart.id, productId: legacy, quantity: 1 } });

    const shown = await cartOf(customer);
    const line = lineOf(shown, ghost);
    assert.equal(line.product, null);
    assert.equal(line.availability, "NOT_ON_SALE");
    assert.deepEqual(line.unitPrice, eur(800));
    assert.deepEqual(line.lineTotal, eur(2400));
    assert.equal(line.priceChanged, false);
    assert.equal(line.available, 0);
    const legacyLine = lineOf(shown, legacy);
    assert.deepEqual(legacyLine.unitPrice, eur(0));
    assert.equal(legacyLine.addedUnitPrice, null);
    assert.equal(legacyLine.priceChanged, false);
    assert.deepEqual(shown.subtotal, eur(900));
    assert.equal(shown.readyForCheckout, false);
  });
});

describe("removeFromCart", () => {
  let customer: Account;
  let other: Account;
  let kettle: string;
  let toaster: string;

  before(async () => {
    [customer, other] = await Promise.all([registerCustomer("Remover"), registerCustomer("Bystander")]);
    [kettle, toaster] = await Promise.all([stockedProduct(2500, 5), stockedProduct(3100, 5)]);
    await addToCart(customer, kettle, 1);
    await addToCart(customer, toaster, 2);
    await addToCart(other, kettle, 4);
  });

  test("removes the line and returns the repriced cart", async () => {
    const { removeFromCart: cart } = await requestOk(RemoveFromCartDocument, { productId: kettle }, { token: customer.token });
    assert.deepEqual(
      cart.items.map((item) => item.productId),
      [toaster],
    );
    assert.deepEqual(cart.subtotal, eur(6200));
    assert.equal(cart.totalQuantity, 2);
  });

  test("is idempotent: a product not in the cart leaves it exactly as it is", async () => {
    const before = await cartOf(customer);
    const { removeFromCart: again } = await requestOk(RemoveFromCartDocument, { productId: kettle }, { token: customer.token });
    assert.deepEqual(again, before);
    const { removeFromCart: unknown } = await requestOk(RemoveFromCartDocument, { productId: randomUUID() }, { token: customer.token });
    assert.deepEqual(unknown, before);
  });

  test("only ever touches the caller's own cart", async () => {
    const { removeFromCart: own } = await requestOk(RemoveFromCartDocument, { productId: toaster }, { token: other.token });
    assert.notEqual(own.id, (await cartOf(customer)).id);
    assert.deepEqual(
      (await cartOf(customer)).items.map((item) => item.productId),
      [toaster],
      "the other customer's removal did not reach this cart",
    );
    const { removeFromCart: otherCart } = await requestOk(RemoveFromCartDocument, { productId: kettle }, { token: other.token });
    assert.equal(otherCart.items.length, 0);
    assert.equal(lineOf(await cartOf(customer), toaster).quantity, 2);
  });

  test("refuses malformed ids and anonymous callers", async () => {
    for (const productId of ["not-a-uuid", `${toaster}\u0000`, "", '\'; DROP TABLE "CartItem"; --']) {
      const result = await request(RemoveFromCartDocument, { productId }, { token: customer.token });
      expectError(result, "BAD_USER_INPUT", "productId");
    }
    expectError(await request(RemoveFromCartDocument, { productId: toaster }), "UNAUTHENTICATED");
    assert.equal(lineOf(await cartOf(customer), toaster).quantity, 2, "nothing was removed");
  });
});

describe("calls per cart", () => {
  const SUBGRAPHS = ["carts", "products", "inventory"] as const;

  async function statementsFor(customer: Account): Promise<Record<string, number>> {
    const before = await Promise.all(SUBGRAPHS.map((name) => sqlStatements(name)));
    const cart = await cartOf(customer);
    assert.ok(cart.items.every((item) => item.availability === "AVAILABLE"));
    const after = await Promise.all(SUBGRAPHS.map((name) => sqlStatements(name)));
    return Object.fromEntries(SUBGRAPHS.map((name, index) => [name, after[index]! - before[index]!]));
  }

  test("SQL statements in carts, products and inventory are the same for 2 and 20 lines", async () => {
    const [small, large] = await Promise.all([registerCustomer("Small Cart"), registerCustomer("Large Cart")]);
    const products: string[] = [];
    for (let i = 0; i < 20; i++) products.push(await stockedProduct(100 + i, 3));
    for (const productId of products.slice(0, 2)) await addToCart(small, productId, 1);
    for (const productId of products) await addToCart(large, productId, 1);

    await statementsFor(small); // warm-up
    const two = await statementsFor(small);
    const twenty = await statementsFor(large);
    assert.deepEqual(twenty, two, "pricing 20 lines costs what pricing 2 does");
    // One batched products call and one inventory call: a handful of statements each, not one per line.
    assert.ok(twenty.products! <= 3, `products ran ${twenty.products} statements`);
    assert.ok(twenty.inventory! <= 3, `inventory ran ${twenty.inventory} statements`);
  });
});

// Carts subgraph: the Cart entity contract (`_entities` straight to the subgraph) and the cart
// mutations through the router.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { prismaAdapter } from "../lib/database.js";
import { PrismaClient } from "../prisma/carts/__generated__/client.js";
import {
  AddToCartDocument,
  ClearCartDocument,
  MyCartDocument,
  UpdateCartItemDocument,
  type AddToCartMutation,
  type CartContentsFragment,
  type UpdateCartItemMutation,
} from "../sdk/__generated__/graphql.js";
import {
  config,
  createAdmin,
  expectError,
  expectErrorResult,
  gqlOk,
  registerCustomer,
  request,
  requestOk,
  sqlStatements,
  subgraphUrl,
  type Account,
} from "./support/client.js";
import { checkOwnerOnlyAccess } from "./support/entityAccess.js";
import { activeProduct } from "./support/catalog.js";

const prisma = new PrismaClient({ adapter: prismaAdapter(config.subgraphs.carts.databaseUrl, 2) });
after(() => prisma.$disconnect());

const CARTS = subgraphUrl("carts");
// `_entities` is not in the API schema: sent as a string straight to the subgraph.
const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Cart { id totalQuantity customer { id } items { quantity product { id } } } } }`;
const cartRef = (id: string) => ({ __typename: "Cart", id });

describe("Cart entity (_entities on the carts subgraph)", () => {
  let owner: Account;
  let stranger: Account;
  let cartId: string;
  const productA = randomUUID();
  const productB = randomUUID();

  before(async () => {
    [owner, stranger] = await Promise.all([registerCustomer("Cart Owner"), registerCustomer("Someone Else")]);
    const cart = await prisma.cart.create({
      data: {
        customerId: owner.id,
        items: {
          create: [
            { productId: productA, quantity: 2 },
            { productId: productB, quantity: 3 },
          ],
        },
      },
    });
    cartId = cart.id;
  });

  checkOwnerOnlyAccess({
    subgraph: "carts",
    query: ENTITIES,
    typename: "Cart",
    subject: () => ({ id: cartId, owner, otherCustomer: stranger }),
    malformedId: "not-a-uuid",
  });

  test("resolves for its owner, with items and total quantity", async () => {
    const data = await gqlOk(ENTITIES, { r: [cartRef(cartId)] }, { url: CARTS, token: owner.token });
    const cart = data._entities[0];
    assert.equal(cart.id, cartId);
    assert.equal(cart.totalQuantity, 5);
    assert.deepEqual(cart.customer, { id: owner.id });
    assert.deepEqual(
      cart.items.map((i: { quantity: number; product: { id: string } }) => [i.product.id, i.quantity]).sort(),
      [
        [productA, 2],
        [productB, 3],
      ].sort(),
    );
  });

  test("several references resolve in one request, each in its place", async () => {
    const other = await prisma.cart.create({ data: { customerId: randomUUID() } });
    const admin = await createAdmin();
    const data = await gqlOk(
      ENTITIES,
      { r: [cartRef(other.id), cartRef(randomUUID()), cartRef(cartId)] },
      { url: CARTS, token: admin.token },
    );
    assert.deepEqual(
      data._entities.map((c: { id: string; totalQuantity: number } | null) => c && [c.id, c.totalQuantity]),
      [[other.id, 0], null, [cartId, 5]],
    );
  });

  test("many references cost one query for the carts and one for their items (DataLoader)", async () => {
    const carts = await Promise.all(
      Array.from({ length: 5 }, () =>
        prisma.cart.create({ data: { customerId: randomUUID(), items: { create: [{ productId: randomUUID(), quantity: 1 }] } } }),
      ),
    );
    const admin = await createAdmin();
    const before = await sqlStatements("carts");
    const data = await gqlOk(
      ENTITIES,
      { r: [...carts.map((c) => cartRef(c.id)), cartRef(randomUUID())] },
      { url: CARTS, token: admin.token },
    );
    assert.equal(await sqlStatements("carts"), before + 2);
    assert.deepEqual(
      data._entities.map((c: { totalQuantity: number } | null) => c?.totalQuantity ?? null),
      [1, 1, 1, 1, 1, null],
    );
  });
});

describe("cart mutations (through the router)", () => {
  type CartChange = AddToCartMutation["addToCart"] | UpdateCartItemMutation["updateCartItem"];

  /** The changed cart; fails on a refusal. */
  function changedCart(result: CartChange): Extract<CartChange, { __typename: "Cart" }> {
    assert.equal(result.__typename, "Cart", `expected the cart, got ${JSON.stringify(result)}`);
    return result;
  }
  const quantityOf = (cart: CartContentsFragment, productId: string) => cart.items.find((i) => i.product?.id === productId)?.quantity;
  const add = async (token: string, productId: string, quantity?: number) =>
    changedCart(
      (await requestOk(AddToCartDocument, quantity === undefined ? { productId } : { productId, quantity }, { token })).addToCart,
    );
  const update = async (token: string, productId: string, quantity: number) =>
    changedCart((await requestOk(UpdateCartItemDocument, { productId, quantity }, { token })).updateCartItem);
  const myCart = async (token: string) => {
    const { myCart } = await requestOk(MyCartDocument, {}, { token });
    assert.ok(myCart, "the customer has a cart");
    return myCart;
  };

  test("a new customer has no cart, and anonymous callers get null", async () => {
    const customer = await registerCustomer();
    assert.equal((await requestOk(MyCartDocument, {}, { token: customer.token })).myCart, null);
    assert.equal((await requestOk(MyCartDocument)).myCart, null);
  });

  test("addToCart creates the cart and adds up repeated additions", async () => {
    const customer = await registerCustomer();
    const product = await activeProduct();
    const first = await add(customer.token, product);
    assert.equal(first.customer.id, customer.id);
    assert.equal(quantityOf(first, product), 1);
    const second = await add(customer.token, product, 4);
    assert.equal(second.id, first.id, "one cart per customer");
    assert.equal(quantityOf(second, product), 5);
    assert.equal(second.totalQuantity, 5);
    const mine = await myCart(customer.token);
    assert.deepEqual({ __typename: "Cart", ...mine }, second);
  });

  test("concurrent additions to one cart are all counted", async () => {
    const customer = await registerCustomer();
    const product = await activeProduct();
    await Promise.all(Array.from({ length: 8 }, () => add(customer.token, product, 2)));
    const mine = await myCart(customer.token);
    assert.equal(quantityOf(mine, product), 16);
    assert.equal(await prisma.cart.count({ where: { customerId: customer.id } }), 1);
  });

  test("updateCartItem sets the quantity, adds a missing product, and removes at 0", async () => {
    const customer = await registerCustomer();
    const kept = await activeProduct();
    const removed = await activeProduct();
    await add(customer.token, kept, 2);
    let cart = await update(customer.token, kept, 7);
    assert.equal(quantityOf(cart, kept), 7);
    cart = await update(customer.token, removed, 1);
    assert.equal(cart.totalQuantity, 8);
    cart = await update(customer.token, removed, 0);
    assert.equal(quantityOf(cart, removed), undefined);
    assert.equal(cart.items.length, 1);
    assert.equal(cart.totalQuantity, 7);
  });

  test("clearCart empties the cart but keeps it", async () => {
    const customer = await registerCustomer();
    const added = await add(customer.token, await activeProduct(), 3);
    const cleared = (await requestOk(ClearCartDocument, {}, { token: customer.token })).clearCart;
    assert.equal(cleared.id, added.id);
    assert.deepEqual(cleared.items, []);
    assert.equal(cleared.totalQuantity, 0);
    assert.equal(await prisma.cartItem.count({ where: { cartId: added.id } }), 0);
  });

  test("two mutations in one operation each return the cart as it is after them", async () => {
    const customer = await registerCustomer();
    const product = await activeProduct();
    // Two aliased fields in one operation, which no SDK operation sends: kept as a string.
    const data = await gqlOk(
      `mutation($p: ID!) { a: addToCart(productId: $p, quantity: 2) { __typename ... on Cart { totalQuantity } ... on ErrorResult { message code } ... on CartLimitError { limit max inCart } ... on ProductUnavailableError { productId } } b: addToCart(productId: $p, quantity: 3) { __typename ... on Cart { totalQuantity } ... on ErrorResult { message code } ... on CartLimitError { limit max inCart } ... on ProductUnavailableError { productId } } }`,
      { p: product },
      { token: customer.token },
    );
    assert.deepEqual([data.a.totalQuantity, data.b.totalQuantity], [2, 5]);
  });

  test("quantities outside 1..99 are BAD_USER_INPUT naming the field, more than 99 in the cart a CartLimitError; neither changes anything", async () => {
    const customer = await registerCustomer();
    const product = await activeProduct();
    await add(customer.token, product, 90);
    for (const quantity of [0, -1, 100]) {
      expectError(
        await request(AddToCartDocument, { productId: product, quantity }, { token: customer.token }),
        "BAD_USER_INPUT",
        "quantity",
      );
    }
    for (const quantity of [-1, 100]) {
      expectError(
        await request(UpdateCartItemDocument, { productId: product, quantity }, { token: customer.token }),
        "BAD_USER_INPUT",
        "quantity",
      );
    }
    // 90 + 10 would pass the per-call rule but break the per-product limit: an expected refusal.
    const overLimit = expectErrorResult(
      await request(AddToCartDocument, { productId: product, quantity: 10 }, { token: customer.token }),
      "addToCart",
      "CartLimitError",
      "CART_LIMIT",
    );
    assert.deepEqual([overLimit.limit, overLimit.max, overLimit.inCart], ["UNITS_PER_PRODUCT", 99, 90]);
    const mine = await myCart(customer.token);
    assert.equal(quantityOf(mine, product), 90);
    assert.equal(mine.items.length, 1);
  });

  test("a product id that is not a uuid is BAD_USER_INPUT on productId", async () => {
    const customer = await registerCustomer();
    expectError(
      await request(AddToCartDocument, { productId: "not-a-uuid", quantity: 1 }, { token: customer.token }),
      "BAD_USER_INPUT",
      "productId",
    );
    expectError(
      await request(UpdateCartItemDocument, { productId: "42", quantity: 1 }, { token: customer.token }),
      "BAD_USER_INPUT",
      "productId",
    );
  });

  test("anonymous callers get UNAUTHENTICATED from every cart mutation", async () => {
    expectError(await request(AddToCartDocument, { productId: randomUUID(), quantity: 1 }), "UNAUTHENTICATED");
    expectError(await request(AddToCartDocument, { productId: "not-a-uuid", quantity: 0 }), "UNAUTHENTICATED");
    expectError(await request(UpdateCartItemDocument, { productId: randomUUID(), quantity: 1 }), "UNAUTHENTICATED");
    expectError(await request(ClearCartDocument), "UNAUTHENTICATED");
  });
});

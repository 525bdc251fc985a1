// References that cannot dangle: carts take products on sale only, published products are archived
// rather than deleted (inventory follows through lifecycle events), inventory stocks only products the
// catalog confirms, and lists of references degrade per line instead of failing whole.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { prismaAdapter } from "../lib/database.js";
import { PrismaClient as CartsPrisma } from "../prisma/carts/__generated__/client.js";
import { PrismaClient as InventoryPrisma } from "../prisma/inventory/__generated__/client.js";
import { PrismaClient as OrdersPrisma } from "../prisma/orders/__generated__/client.js";
import { PrismaClient as ProductsPrisma } from "../prisma/products/__generated__/client.js";
import { createLogger } from "../lib/logger.js";
import { reserveStock } from "../subgraphs/inventory/src/inventory.js";
import {
  AddToCartDocument,
  AdjustStockDocument,
  AdminLowStockDocument,
  AdminProductDetailsDocument,
  ArchiveProductDocument,
  DeleteProductDocument,
  MyCartDocument,
  SetLowStockThresholdDocument,
  SetStockDocument,
  UpdateCartItemDocument,
  UpdateProductDocument,
  type AddToCartMutation,
  type AdjustStockMutation,
  type UpdateCartItemMutation,
} from "../sdk/__generated__/graphql.js";
import {
  config,
  eventually,
  expectError,
  expectErrorResult,
  gql,
  registerCustomer,
  request,
  requestOk,
  type Account,
} from "./support/client.js";
import { activeProduct, catalogAdmin, createProduct } from "./support/catalog.js";

const carts = new CartsPrisma({ adapter: prismaAdapter(config.subgraphs.carts.databaseUrl, 2) });
const inventory = new InventoryPrisma({ adapter: prismaAdapter(config.subgraphs.inventory.databaseUrl, 2) });
const orders = new OrdersPrisma({ adapter: prismaAdapter(config.subgraphs.orders.databaseUrl, 2) });
const products = new ProductsPrisma({ adapter: prismaAdapter(config.subgraphs.products.databaseUrl, 2) });
after(() => Promise.all([carts.$disconnect(), inventory.$disconnect(), orders.$disconnect(), products.$disconnect()]));

const NIL_UUID = "00000000-0000-0000-0000-000000000000";
const knownStatus = async (productId: string) => (await inventory.knownProduct.findUnique({ where: { productId } }))?.status;

type CartChange = AddToCartMutation["addToCart"] | UpdateCartItemMutation["updateCartItem"];

/** The changed cart; fails on a refusal. */
function changedCart(result: CartChange): Extract<CartChange, { __typename: "Cart" }> {
  assert.equal(result.__typename, "Cart", `expected the cart, got ${JSON.stringify(result)}`);
  return result;
}

/** Units on hand after a stock change; fails unless it answered with the Inventory. */
function onHandAfter(result: AdjustStockMutation["adjustStock"]): number {
  assert.equal(result.__typename, "Inventory", JSON.stringify(result));
  return result.onHand!;
}

const adjust = (productId: string, delta: number, token: string) =>
  request(AdjustStockDocument, { productId, delta, reason: "RESTOCK" }, { token });
const archive = (id: string) => requestOk(ArchiveProductDocument, { id }, { token: admin.token });

let admin: Account;
before(async () => {
  admin = await catalogAdmin();
});

describe("only products on sale go into a cart", () => {
  test("DRAFT, ARCHIVED, unknown and nil-UUID products are a ProductUnavailableError, revealing nothing", async () => {
    const customer = await registerCustomer();
    const secretName = `Unreleased ${randomUUID().slice(0, 8)}`;
    const draft = await createProduct({ status: "DRAFT", name: secretName, priceAmount: 4242 });
    const archived = await createProduct({ status: "ACTIVE" });
    await archive(archived.id);
    for (const productId of [draft.id, archived.id, randomUUID(), NIL_UUID]) {
      for (const [field, send] of [
        ["addToCart", () => request(AddToCartDocument, { productId, quantity: 1 }, { token: customer.token })],
        ["updateCartItem", () => request(UpdateCartItemDocument, { productId, quantity: 2 }, { token: customer.token })],
      ] as const) {
        const result = await send();
        const refusal = expectErrorResult(result, field, "ProductUnavailableError", "PRODUCT_UNAVAILABLE");
        assert.deepEqual(
          refusal,
          { __typename: "ProductUnavailableError", message: "No product on sale has this id.", code: "PRODUCT_UNAVAILABLE", productId },
          "the same answer whatever the reason",
        );
        assert.doesNotMatch(JSON.stringify(result), new RegExp(`${secretName}|4242`));
      }
    }
    assert.equal(await carts.cartItem.count({ where: { cart: { customerId: customer.id } } }), 0);
  });

  test("an ACTIVE product goes in; once archived, its line can shrink or go but not grow", async () => {
    const customer = await registerCustomer();
    const product = await activeProduct();
    changedCart((await requestOk(AddToCartDocument, { productId: product, quantity: 3 }, { token: customer.token })).addToCart);
    await archive(product);
    expectErrorResult(
      await request(AddToCartDocument, { productId: product, quantity: 1 }, { token: customer.token }),
      "addToCart",
      "ProductUnavailableError",
      "PRODUCT_UNAVAILABLE",
    );
    expectErrorResult(
      await request(UpdateCartItemDocument, { productId: product, quantity: 4 }, { token: customer.token }),
      "updateCartItem",
      "ProductUnavailableError",
      "PRODUCT_UNAVAILABLE",
    );
    const shrunk = changedCart(
      (await requestOk(UpdateCartItemDocument, { productId: product, quantity: 1 }, { token: customer.token })).updateCartItem,
    );
    assert.deepEqual(
      shrunk.items.map((i) => [i.quantity, i.product?.status]),
      [[1, "ARCHIVED"]],
      "an archived product still shows in the cart",
    );
    const removed = changedCart(
      (await requestOk(UpdateCartItemDocument, { productId: product, quantity: 0 }, { token: customer.token })).updateCartItem,
    );
    assert.deepEqual(removed.items, []);
  });
});

describe("lists of references degrade per line", () => {
  test("a cart line whose product the catalog does not have leaves the rest of the cart intact", async () => {
    const customer = await registerCustomer();
    const product = await activeProduct();
    const added = changedCart(
      (await requestOk(AddToCartDocument, { productId: product, quantity: 2 }, { token: customer.token })).addToCart,
    );
    // A line from before carts checked (or a product removed since): the catalog has no such product.
    const missing = randomUUID();
    await carts.cartItem.create({ data: { cartId: added.id, productId: missing, quantity: 1 } });
    const result = await request(MyCartDocument, {}, { token: customer.token });
    assert.ok(result.data?.myCart, `the cart still shows: ${JSON.stringify(result.errors)}`);
    assert.equal(result.data.myCart.totalQuantity, 3);
    assert.deepEqual(
      result.data.myCart.items.map((i) => [i.productId, i.product?.id ?? null]),
      [
        [product, product],
        [missing, null],
      ],
    );
  });

  test("an order item whose product cannot be shown keeps the order and its snapshot", async () => {
    const customer = await registerCustomer();
    const kept = await activeProduct();
    const order = await orders.order.create({
      data: {
        customerId: customer.id,
        currency: "EUR",
        subtotalAmount: 300,
        totalAmount: 300,
        items: {
          create: [
            { productId: kept, productName: "Kept", unitAmount: 100, quantity: 1 },
            { productId: randomUUID(), productName: "Gone", unitAmount: 200, quantity: 1 },
          ],
        },
      },
    });
    // A string: the product must be asked for a field the catalog resolves (`name`); OrderDetails selects
    // only `product { id }`, which the orders subgraph answers alone, so it would not reach the catalog.
    const result = await gql(
      `query OrderProducts($id: ID!) { order(id: $id) { id items { productName product { id name } } } }`,
      { id: order.id },
      { token: customer.token },
    );
    assert.equal(result.data.order.id, order.id, JSON.stringify(result.errors));
    assert.deepEqual(
      result.data.order.items.map((i: { productName: string; product: { id: string } | null }) => [i.productName, i.product?.id ?? null]),
      [
        ["Kept", kept],
        ["Gone", null],
      ],
    );
  });

  test("lowStockProducts stays healthy next to stock rows of products the catalog does not have", async () => {
    const low = await activeProduct();
    assert.equal(
      onHandAfter(
        (await requestOk(AdjustStockDocument, { productId: low, delta: 1, reason: "RESTOCK" }, { token: admin.token })).adjustStock,
      ),
      1,
    );
    // Rows from before inventory checked: the nil UUID, and a product inventory believes in that the
    // catalog no longer has (a deletion whose event is still in flight).
    const ghost = randomUUID();
    await inventory.stockLevel.createMany({ data: [{ productId: NIL_UUID }, { productId: ghost }], skipDuplicates: true });
    await inventory.knownProduct.create({ data: { productId: ghost, status: "ACTIVE", version: 1 } });
    const result = await request(AdminLowStockDocument, { first: 100 }, { token: admin.token });
    assert.ok(result.data, `data must not be null: ${JSON.stringify(result.errors)}`);
    // Typed non-null, but the point is that a bad line cannot null the list: read it as it could come.
    const listed: ({ id: string } | null)[] = result.data.lowStockProducts;
    assert.ok(
      listed.some((p) => p?.id === low),
      "the real low-stock product is listed with its name",
    );
    assert.ok(!listed.some((p) => p?.id === NIL_UUID), "ids the catalog never had are left out");
    await inventory.knownProduct.delete({ where: { productId: ghost } });
    await inventory.stockLevel.deleteMany({ where: { productId: { in: [ghost, NIL_UUID] } } });
  });
});

describe("inventory stocks only products the catalog confirms", () => {
  test("adjustStock, setStock and setLowStockThreshold refuse unknown and nil-UUID products and create nothing", async () => {
    for (const productId of [randomUUID(), NIL_UUID]) {
      const before = await inventory.stockMovement.count({ where: { productId } });
      expectError(await adjust(productId, 5, admin.token), "NOT_FOUND", "productId");
      expectError(await request(SetStockDocument, { productId, onHand: 5 }, { token: admin.token }), "NOT_FOUND", "productId");
      expectError(
        await request(SetLowStockThresholdDocument, { productId, threshold: 3 }, { token: admin.token }),
        "NOT_FOUND",
        "productId",
      );
      assert.equal(await inventory.stockMovement.count({ where: { productId } }), before);
      assert.equal(await knownStatus(productId), undefined);
    }
  });

  test("a reservation for a product inventory never stocked reserves nothing and creates no row", async () => {
    const deps = { prisma: inventory, log: createLogger("references-test", "warn") };
    for (const productId of [randomUUID(), NIL_UUID]) {
      const result = await reserveStock(deps, { orderId: randomUUID(), lines: [{ productId, quantity: 1 }] });
      assert.deepEqual(result, { status: "INSUFFICIENT_STOCK", shortages: [{ productId, requested: 1, available: 0 }] });
      assert.equal(await inventory.stockLevel.count({ where: { productId } }), 0);
    }
  });

  test("a product the lifecycle events have not announced yet is confirmed by asking products, and recorded", async () => {
    // Written straight into the products database: no lifecycle event will ever announce it.
    const product = await products.product.create({
      data: { name: "Unannounced", slug: `unannounced-${randomUUID()}`, priceAmount: 100, status: "ACTIVE", publishedAt: new Date() },
    });
    const data = await requestOk(AdjustStockDocument, { productId: product.id, delta: 7, reason: "RESTOCK" }, { token: admin.token });
    assert.equal(onHandAfter(data.adjustStock), 7);
    const known = await inventory.knownProduct.findUnique({ where: { productId: product.id } });
    assert.deepEqual([known?.status, known?.version], ["ACTIVE", 0]);
  });

  test("a product created and stocked at once works, drafts included (administrators see them)", async () => {
    const [active, draft] = await Promise.all([createProduct({ status: "ACTIVE" }), createProduct({ status: "DRAFT" })]);
    for (const product of [active, draft]) {
      const data = await requestOk(AdjustStockDocument, { productId: product.id, delta: 3, reason: "RESTOCK" }, { token: admin.token });
      assert.equal(onHandAfter(data.adjustStock), 3);
    }
  });
});

describe("published products are archived, never deleted, and inventory follows", () => {
  test("lifecycle events tell inventory about creation and status changes", async () => {
    const product = await createProduct({ status: "DRAFT" });
    await eventually(async () => (await knownStatus(product.id)) === "DRAFT", "the created event reaching inventory");
    await requestOk(UpdateProductDocument, { id: product.id, input: { status: "ACTIVE" } }, { token: admin.token });
    await eventually(async () => (await knownStatus(product.id)) === "ACTIVE", "the published event reaching inventory");
  });

  test("deleting a published product is a ProductPublishedError; archiving it takes it off the low-stock list", async () => {
    const product = await activeProduct();
    assert.equal(
      onHandAfter(
        (await requestOk(AdjustStockDocument, { productId: product, delta: 1, reason: "RESTOCK" }, { token: admin.token })).adjustStock,
      ),
      1,
    );
    const refused = await request(DeleteProductDocument, { id: product }, { token: admin.token });
    const refusal = expectErrorResult(refused, "deleteProduct", "ProductPublishedError", "PRODUCT_PUBLISHED");
    assert.equal(refusal.productId, product);
    assert.match(refusal.message, /archive/);
    const still = await requestOk(AdminProductDetailsDocument, { id: product }, { token: admin.token });
    assert.equal(still.product?.status, "ACTIVE");
    assert.ok(still.product.publishedAt);
    // Once published, never a draft again (a draft is hidden from the customers whose orders show it).
    expectError(
      await request(UpdateProductDocument, { id: product, input: { status: "DRAFT" } }, { token: admin.token }),
      "BAD_USER_INPUT",
      "input.status",
    );

    const lowStockIds = async () =>
      (await requestOk(AdminLowStockDocument, { first: 100 }, { token: admin.token })).lowStockProducts.map((p) => p?.id);
    await eventually(async () => (await lowStockIds()).includes(product), "the product on the low-stock list");
    await archive(product);
    await eventually(async () => (await knownStatus(product)) === "ARCHIVED", "the archived event reaching inventory");
    assert.ok(!(await lowStockIds()).includes(product));
    // Stock of an archived product can still be corrected (returns, counts).
    assert.equal(
      onHandAfter(
        (await requestOk(AdjustStockDocument, { productId: product, delta: 1, reason: "RESTOCK" }, { token: admin.token })).adjustStock,
      ),
      2,
    );
  });

  test("a never-published draft can be deleted; inventory keeps its ledger but takes no more changes", async () => {
    const draft = await createProduct({ status: "DRAFT" });
    assert.equal(
      onHandAfter(
        (await requestOk(AdjustStockDocument, { productId: draft.id, delta: 4, reason: "RESTOCK" }, { token: admin.token })).adjustStock,
      ),
      4,
    );
    assert.deepEqual((await requestOk(DeleteProductDocument, { id: draft.id }, { token: admin.token })).deleteProduct, {
      __typename: "ProductDeleted",
      id: draft.id,
    });
    await eventually(async () => (await knownStatus(draft.id)) === "DELETED", "the deleted event reaching inventory");
    expectError(await adjust(draft.id, 1, admin.token), "NOT_FOUND", "productId");
    assert.equal(await inventory.stockMovement.count({ where: { productId: draft.id } }), 1, "the ledger keeps its history");
    assert.equal((await inventory.stockLevel.findUnique({ where: { productId: draft.id } }))?.onHand, 4);
  });
});

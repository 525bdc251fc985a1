// Managing the catalog through the router: who may, what is validated, slugs, the category tree,
// images and deletion.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { prismaAdapter } from "../lib/database.js";
import { PrismaClient } from "../prisma/products/__generated__/client.js";
import {
  AdminProductDetailsDocument,
  ArchiveProductDocument,
  CategoryTreeDocument,
  CreateCategoryDocument,
  CreateProductDocument,
  DeleteCategoryDocument,
  DeleteProductDocument,
  UpdateCategoryDocument,
  UpdateProductDocument,
  type CreateProductInput,
} from "../sdk/__generated__/graphql.js";
import {
  config,
  createAdmin,
  expectError,
  expectErrorResult,
  gql,
  gqlOk,
  registerCustomer,
  request,
  requestOk,
  type Account,
  type GraphQLResult,
  type RequestOptions,
} from "./support/client.js";

// Kept as strings: the images query (several renditions through aliases, and a hostile width) and the
// category lookups, whose selections are this file's own.
const PRODUCT_IMAGES = `
  query($id: ID!) {
    product(id: $id) { images { id alt width height small: url(width: 150) medium: url(width: 300) exact: url(width: 800) huge: url(width: 5000) largest: url } }
  }`;

const tag = randomUUID().slice(0, 8);
let admin: Account;
let customer: Account;
const prisma = new PrismaClient({ adapter: prismaAdapter(config.subgraphs.products.databaseUrl, 2) });

const asAdmin = () => ({ token: admin.token });

async function createCategory(name: string, parentId?: string | null) {
  return (await requestOk(CreateCategoryDocument, { input: { name: `${name} ${tag}`, parentId } }, asAdmin())).createCategory;
}

async function createProduct(input: Omit<CreateProductInput, "priceAmount"> & { priceAmount?: number }) {
  return (await requestOk(CreateProductDocument, { input: { priceAmount: 1000, ...input } }, asAdmin())).createProduct;
}

const productAs = async (variables: { id?: string; slug?: string }, options?: RequestOptions) =>
  (await requestOk(AdminProductDetailsDocument, variables, options)).product;

before(async () => {
  admin = await createAdmin();
  customer = await registerCustomer("Catalog Shopper");
});
after(() => prisma.$disconnect());

describe("catalog administration", () => {
  it("is refused to customers (FORBIDDEN) and anonymous callers (UNAUTHENTICATED)", async () => {
    const category = await createCategory("Guarded");
    const product = await createProduct({ name: `Guarded ${tag}`, categoryId: category.id });
    const attempts: ((options: RequestOptions) => Promise<GraphQLResult<unknown>>)[] = [
      (options) => request(CreateProductDocument, { input: { name: `Sneaky ${tag}`, priceAmount: 1 } }, options),
      (options) => request(UpdateProductDocument, { id: product.id, input: { name: "Renamed" } }, options),
      (options) => request(ArchiveProductDocument, { id: product.id }, options),
      (options) => request(DeleteProductDocument, { id: product.id }, options),
      (options) => request(CreateCategoryDocument, { input: { name: `Sneaky ${tag}` } }, options),
      (options) => request(UpdateCategoryDocument, { id: category.id, input: { name: "Renamed" } }, options),
      (options) => request(DeleteCategoryDocument, { id: category.id }, options),
    ];
    for (const attempt of attempts) {
      expectError(await attempt({ token: customer.token }), "FORBIDDEN");
      expectError(await attempt({}), "UNAUTHENTICATED");
    }
    const unchanged = await productAs({ id: product.id }, asAdmin());
    assert.deepEqual(unchanged, product);
    assert.equal(
      (await prisma.product.count({ where: { name: `Sneaky ${tag}` } })) +
        (await prisma.category.count({ where: { name: `Sneaky ${tag}` } })),
      0,
    );
  });

  it("creates a product with defaults and money in minor units", async () => {
    const product = await createProduct({ name: `  Plain Mug ${tag}  `, priceAmount: 1299 });
    assert.equal(product.name, `Plain Mug ${tag}`);
    assert.equal(product.slug, `plain-mug-${tag}`);
    assert.equal(product.description, "");
    assert.equal(product.status, "DRAFT");
    assert.deepEqual(product.price, { amount: 1299, currency: "EUR" });
    assert.equal(product.category, null);
  });

  it("makes slugs from names, unique with a suffix, and keeps them across renames", async () => {
    const first = await createProduct({ name: `Crème Brûlée Set ${tag}`, status: "ACTIVE" });
    const second = await createProduct({ name: `Crème brûlée set ${tag}`, status: "ACTIVE" });
    const third = await createProduct({ name: `CREME BRULEE SET ${tag}!`, status: "ACTIVE" });
    assert.equal(first.slug, `creme-brulee-set-${tag}`);
    assert.equal(second.slug, `creme-brulee-set-${tag}-2`);
    assert.equal(third.slug, `creme-brulee-set-${tag}-3`);

    const renamed = (await requestOk(UpdateProductDocument, { id: first.id, input: { name: `Dessert Torch ${tag}` } }, asAdmin()))
      .updateProduct;
    assert.equal(renamed.name, `Dessert Torch ${tag}`);
    assert.equal(renamed.slug, first.slug);
    assert.ok(Date.parse(renamed.updatedAt) >= Date.parse(first.updatedAt));
    assert.equal((await productAs({ slug: first.slug }))?.id, first.id);
    expectError(await request(AdminProductDetailsDocument, { id: first.id, slug: first.slug }), "BAD_USER_INPUT");
    expectError(await request(AdminProductDetailsDocument, {}), "BAD_USER_INPUT");
    assert.equal(await productAs({ slug: `no-such-slug-${tag}` }), null);
    assert.equal(await productAs({ id: "not-a-uuid" }), null);
  });

  it("updates only the fields given", async () => {
    const category = await createCategory("Updates");
    const product = await createProduct({
      name: `Teapot ${tag}`,
      description: "Cast iron.",
      priceAmount: 4500,
      currency: "GBP",
      categoryId: category.id,
    });
    const updated = (await requestOk(UpdateProductDocument, { id: product.id, input: { priceAmount: 3900, status: "ACTIVE" } }, asAdmin()))
      .updateProduct;
    assert.deepEqual(updated.price, { amount: 3900, currency: "GBP" });
    assert.equal(updated.status, "ACTIVE");
    assert.equal(updated.description, "Cast iron.");
    assert.equal(updated.category?.id, category.id);
    const uncategorised = (await requestOk(UpdateProductDocument, { id: product.id, input: { categoryId: null } }, asAdmin()))
      .updateProduct;
    assert.equal(uncategorised.category, null);
    assert.equal(uncategorised.name, product.name);
  });

  it("rejects invalid input naming the field, and changes nothing", async () => {
    const category = await createCategory("Validation");
    const cases: [Partial<CreateProductInput>, string][] = [
      [{ name: "   " }, "input.name"],
      [{ name: "x".repeat(201) }, "input.name"],
      [{ priceAmount: -1 }, "input.priceAmount"],
      [{ priceAmount: 100_000_001 }, "input.priceAmount"],
      [{ currency: "eur" }, "input.currency"],
      [{ currency: "EURO" }, "input.currency"],
      [{ categoryId: randomUUID() }, "input.categoryId"],
      [{ categoryId: "not-an-id" }, "input.categoryId"],
    ];
    for (const [change, field] of cases) {
      const input = { name: `Invalid ${tag}`, priceAmount: 100, categoryId: category.id, ...change };
      expectError(await request(CreateProductDocument, { input }, asAdmin()), "BAD_USER_INPUT", field);
    }
    assert.equal(await prisma.product.count({ where: { name: { startsWith: `Invalid ${tag}` } } }), 0);
    // The largest price is accepted.
    assert.equal((await createProduct({ name: `Yacht ${tag}`, priceAmount: 100_000_000 })).price.amount, 100_000_000);

    const product = await createProduct({ name: `Valid ${tag}`, priceAmount: 100 });
    expectError(await request(UpdateProductDocument, { id: product.id, input: { priceAmount: 1.5 } }, asAdmin()), "BAD_USER_INPUT");
    expectError(await request(UpdateProductDocument, { id: product.id, input: { name: "" } }, asAdmin()), "BAD_USER_INPUT", "input.name");
    expectError(
      await request(UpdateProductDocument, { id: product.id, input: { categoryId: randomUUID() } }, asAdmin()),
      "BAD_USER_INPUT",
      "input.categoryId",
    );
    assert.deepEqual(await productAs({ id: product.id }, asAdmin()), product);

    for (const id of [randomUUID(), "nope"]) {
      expectError(await request(ArchiveProductDocument, { id }, asAdmin()), "NOT_FOUND");
      expectError(await request(DeleteProductDocument, { id }, asAdmin()), "NOT_FOUND");
    }
    expectError(await request(UpdateProductDocument, { id: randomUUID(), input: { name: "Ghost" } }, asAdmin()), "NOT_FOUND");
  });

  it("archives a product: hidden from customers, kept for administrators", async () => {
    const product = await createProduct({ name: `Retired Kettle ${tag}`, status: "ACTIVE" });
    assert.equal((await productAs({ id: product.id }, { token: customer.token }))?.id, product.id);
    assert.equal((await requestOk(ArchiveProductDocument, { id: product.id }, asAdmin())).archiveProduct.status, "ARCHIVED");
    assert.equal(await productAs({ id: product.id }, { token: customer.token }), null);
    assert.equal(await productAs({ slug: product.slug }), null);
    assert.equal((await productAs({ id: product.id }, asAdmin()))?.status, "ARCHIVED");
  });
});

describe("images", () => {
  it("lists a product's images in position order with rendition URLs, and deleting the product removes them", async () => {
    // Never published, so it can be deleted (a published product is archived instead).
    const product = await createProduct({ name: `Photographed Vase ${tag}`, status: "DRAFT" });
    // Uploads arrive with the image module; here the rows are written as it will write them.
    const images = [
      { position: 1, alt: "Side", width: 1200, height: 900 },
      { position: 0, alt: "Front", width: 2400, height: 1600 },
    ].map((image) => ({ ...image, id: randomUUID(), productId: product.id, storageKey: `products/${product.id}/${randomUUID()}` }));
    await prisma.productImage.createMany({ data: images });

    const listed = (await gqlOk(PRODUCT_IMAGES, { id: product.id }, asAdmin())).product.images;
    assert.deepEqual(
      listed.map((image: { alt: string }) => image.alt),
      ["Front", "Side"],
    );
    const front = listed[0];
    const key = images[1]!.storageKey;
    assert.equal(front.width, 2400);
    assert.equal(front.height, 1600);
    assert.match(front.small, new RegExp(`/${key}/200\\.webp$`));
    assert.match(front.medium, new RegExp(`/${key}/800\\.webp$`));
    assert.match(front.exact, new RegExp(`/${key}/800\\.webp$`));
    assert.match(front.huge, new RegExp(`/${key}/1600\\.webp$`));
    assert.match(front.largest, new RegExp(`^https?://.+/${key}/1600\\.webp$`));
    expectError(
      await gql(`query($id: ID!) { product(id: $id) { images { url(width: 0) } } }`, { id: product.id }, asAdmin()),
      "BAD_USER_INPUT",
      "width",
    );

    assert.deepEqual((await requestOk(DeleteProductDocument, { id: product.id }, asAdmin())).deleteProduct, {
      __typename: "ProductDeleted",
      id: product.id,
    });
    assert.equal(await productAs({ id: product.id }, asAdmin()), null);
    assert.equal(await prisma.productImage.count({ where: { productId: product.id } }), 0);
    expectError(await request(DeleteProductDocument, { id: product.id }, asAdmin()), "NOT_FOUND");
  });
});

describe("category tree", () => {
  it("nests categories under their parents and finds them by id or slug", async () => {
    const root = await createCategory("Tree Root");
    const left = await createCategory("Tree Left", root.id);
    const right = await createCategory("Tree Right", root.id);
    const leaf = await createCategory("Tree Leaf", left.id);
    assert.equal(root.slug, `tree-root-${tag}`);
    assert.equal(leaf.parent?.id, left.id);

    // Two levels from the roots; a third nested list of children would be refused by cost (50 x 25 x 25).
    const tree = await requestOk(CategoryTreeDocument);
    const listed = tree.categories.find((c) => c.id === root.id);
    assert.deepEqual(
      listed?.children.map((c) => c.id),
      [left.id, right.id],
    );
    const below = await gqlOk(`query($id: ID) { category(id: $id) { children { id parent { id } } } }`, { id: left.id });
    assert.deepEqual(below.category.children, [{ id: leaf.id, parent: { id: left.id } }]);
    assert.ok(!tree.categories.some((c) => c.id === leaf.id), "only roots at the top");

    const bySlug = await gqlOk(`query($slug: String) { category(slug: $slug) { id parent { slug } } }`, { slug: leaf.slug });
    assert.deepEqual(bySlug.category, { id: leaf.id, parent: { slug: left.slug } });
    expectError(
      await gql(`query($id: ID, $slug: String) { category(id: $id, slug: $slug) { id } }`, { id: leaf.id, slug: leaf.slug }),
      "BAD_USER_INPUT",
    );
    assert.equal((await gqlOk(`query($id: ID) { category(id: $id) { id } }`, { id: randomUUID() })).category, null);
  });

  it("lists a category's products with its subcategories' in pages", async () => {
    const root = await createCategory("Shelf");
    const child = await createCategory("Shelf Child", root.id);
    const products = [];
    for (const [name, categoryId] of [
      ["One", root.id],
      ["Two", child.id],
      ["Three", child.id],
    ] as const) {
      products.push(await createProduct({ name: `Shelf ${name} ${tag}`, categoryId, status: "ACTIVE" }));
    }
    await createProduct({ name: `Shelf Draft ${tag}`, categoryId: child.id, status: "DRAFT" });
    const CATEGORY_PRODUCTS = `query($id: ID, $after: String) {
      category(id: $id) { products(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { name } } }
        children { products(first: 2) { totalCount edges { node { name } } } } }
    }`;
    const firstPage = (await gqlOk(CATEGORY_PRODUCTS, { id: root.id })).category;
    assert.equal(firstPage.products.totalCount, 3);
    assert.deepEqual(
      firstPage.products.edges.map((e: { node: { name: string } }) => e.node.name),
      [products[2]!.name, products[1]!.name],
    );
    assert.equal(firstPage.children[0].products.totalCount, 2);
    const secondPage = (await gqlOk(CATEGORY_PRODUCTS, { id: root.id, after: firstPage.products.pageInfo.endCursor })).category;
    assert.deepEqual(
      secondPage.products.edges.map((e: { node: { name: string } }) => e.node.name),
      [products[0]!.name],
    );
    assert.equal(secondPage.products.pageInfo.hasNextPage, false);
    const asAdminView = (await gqlOk(CATEGORY_PRODUCTS, { id: root.id }, asAdmin())).category;
    assert.equal(asAdminView.products.totalCount, 4, "administrators also see drafts");
  });

  it("moves categories but never below themselves", async () => {
    const top = await createCategory("Move Top");
    const middle = await createCategory("Move Middle", top.id);
    const bottom = await createCategory("Move Bottom", middle.id);
    expectError(
      await request(UpdateCategoryDocument, { id: top.id, input: { parentId: bottom.id } }, asAdmin()),
      "BAD_USER_INPUT",
      "input.parentId",
    );
    expectError(
      await request(UpdateCategoryDocument, { id: middle.id, input: { parentId: middle.id } }, asAdmin()),
      "BAD_USER_INPUT",
      "input.parentId",
    );
    expectError(
      await request(UpdateCategoryDocument, { id: middle.id, input: { parentId: randomUUID() } }, asAdmin()),
      "BAD_USER_INPUT",
      "input.parentId",
    );
    expectError(await request(UpdateCategoryDocument, { id: randomUUID(), input: { name: "Ghost" } }, asAdmin()), "NOT_FOUND");

    const moved = (await requestOk(UpdateCategoryDocument, { id: bottom.id, input: { parentId: top.id, name: `Moved ${tag}` } }, asAdmin()))
      .updateCategory;
    assert.deepEqual(moved, { id: bottom.id, name: `Moved ${tag}`, slug: bottom.slug, parent: { id: top.id } });
    const root = (await requestOk(UpdateCategoryDocument, { id: middle.id, input: { parentId: null } }, asAdmin())).updateCategory;
    assert.equal(root.parent, null);
    // Now that middle is a root, top can go below it.
    assert.equal(
      (await requestOk(UpdateCategoryDocument, { id: top.id, input: { parentId: middle.id } }, asAdmin())).updateCategory.parent?.id,
      middle.id,
    );
  });

  it("refuses to delete a category that still has products or subcategories", async () => {
    const parent = await createCategory("Doomed");
    const child = await createCategory("Doomed Child", parent.id);
    const product = await createProduct({ name: `Doomed Product ${tag}`, categoryId: child.id });
    const childRefusal = expectErrorResult(
      await request(DeleteCategoryDocument, { id: child.id }, asAdmin()),
      "deleteCategory",
      "CategoryNotEmptyError",
      "CATEGORY_NOT_EMPTY",
    );
    assert.deepEqual([childRefusal.products, childRefusal.subcategories], [1, 0]);
    const parentRefusal = expectErrorResult(
      await request(DeleteCategoryDocument, { id: parent.id }, asAdmin()),
      "deleteCategory",
      "CategoryNotEmptyError",
      "CATEGORY_NOT_EMPTY",
    );
    assert.deepEqual([parentRefusal.products, parentRefusal.subcategories], [0, 1]);

    await requestOk(UpdateProductDocument, { id: product.id, input: { categoryId: null } }, asAdmin());
    assert.deepEqual((await requestOk(DeleteCategoryDocument, { id: child.id }, asAdmin())).deleteCategory, {
      __typename: "CategoryDeleted",
      id: child.id,
    });
    assert.deepEqual((await requestOk(DeleteCategoryDocument, { id: parent.id }, asAdmin())).deleteCategory, {
      __typename: "CategoryDeleted",
      id: parent.id,
    });
    expectError(await request(DeleteCategoryDocument, { id: parent.id }, asAdmin()), "NOT_FOUND");
    expectError(
      await request(CreateCategoryDocument, { input: { name: `Orphan ${tag}`, parentId: parent.id } }, asAdmin()),
      "BAD_USER_INPUT",
      "input.parentId",
    );
    expectError(await request(CreateCategoryDocument, { input: { name: "" } }, asAdmin()), "BAD_USER_INPUT", "input.name");
  });
});

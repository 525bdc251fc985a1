// The catalog through the router: pagination, filters, sorting, search and who sees what.
// Every product lives in categories made for this run, so other files' products never interfere.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { prismaAdapter } from "../lib/database.js";
import { PrismaClient } from "../prisma/products/__generated__/client.js";
import { applyAvailability } from "../subgraphs/products/src/availability.js";
import {
  AdminProductDocument,
  AdminProductListDocument,
  type AdminProductListQuery,
  type AdminProductListQueryVariables,
  type ProductFilter,
  type ProductSortField,
  type SortDirection,
} from "../sdk/__generated__/graphql.js";
import { config, createAdmin, expectError, gqlOk, registerCustomer, request, requestOk, type Account } from "./support/client.js";

const CREATE_CATEGORY = `mutation CreateCategory($input: CreateCategoryInput!) { createCategory(input: $input) { id slug } }`;
const CREATE_PRODUCT = `
  mutation CreateProduct($input: CreateProductInput!) {
    createProduct(input: $input) { id name slug status price { amount currency } createdAt }
  }`;
// Creating categories and products is set-up here (catalog-admin.test.ts tests it); the listings
// under test go through the SDK's AdminProductList and AdminProduct documents.
type Page = AdminProductListQuery["products"];
type Node = Page["edges"][number]["node"];
type Variables = AdminProductListQueryVariables;

const tag = randomUUID().slice(0, 8);
let admin: Account;
let customer: Account;
const prisma = new PrismaClient({ adapter: prismaAdapter(config.subgraphs.products.databaseUrl, 2) });

async function createCategory(name: string, parentId?: string): Promise<string> {
  const data = await gqlOk(CREATE_CATEGORY, { input: { name: `${name} ${tag}`, parentId } }, { token: admin.token });
  return data.createCategory.id;
}

async function createProduct(input: Record<string, unknown>): Promise<Node> {
  const data = await gqlOk<{ createProduct: Node }>(CREATE_PRODUCT, { input: { status: "ACTIVE", ...input } }, { token: admin.token });
  return data.createProduct;
}

async function page(variables: Variables, token?: string): Promise<Page> {
  return (await requestOk(AdminProductListDocument, variables, { token })).products;
}

/** Every product matching, following the cursors page by page. */
async function allPages(variables: Variables, token?: string): Promise<Node[]> {
  const nodes: Node[] = [];
  let afterCursor: string | null = null;
  for (;;) {
    const result = await page({ ...variables, after: afterCursor }, token);
    nodes.push(...result.edges.map((edge) => edge.node));
    if (!result.pageInfo.hasNextPage) return nodes;
    afterCursor = result.pageInfo.endCursor;
  }
}

const names = (nodes: { name: string }[]) => nodes.map((node) => node.name);

before(async () => {
  admin = await createAdmin();
  customer = await registerCustomer("Catalog Customer");
});
after(() => prisma.$disconnect());

describe("catalog pagination", () => {
  let categoryId: string;
  const itemName = (n: number) => `Item ${String(n).padStart(2, "0")} ${tag}`;

  before(async () => {
    categoryId = await createCategory("Paging");
    for (let n = 1; n <= 7; n += 1) await createProduct({ name: itemName(n), priceAmount: 1000 + n, categoryId });
  });

  it("walks all pages with totalCount and pageInfo", async () => {
    const first = await page({ first: 3, filter: { categoryId }, sort: { field: "NAME" } });
    assert.equal(first.totalCount, 7);
    assert.deepEqual(names(first.edges.map((e) => e.node)), [itemName(1), itemName(2), itemName(3)]);
    assert.equal(first.pageInfo.hasNextPage, true);
    assert.equal(first.pageInfo.hasPreviousPage, false);
    assert.equal(first.pageInfo.startCursor, first.edges[0]!.cursor);
    assert.equal(first.pageInfo.endCursor, first.edges[2]!.cursor);

    const last = await page({ first: 3, after: first.pageInfo.endCursor, filter: { categoryId }, sort: { field: "NAME" } });
    const again = await page({ first: 3, after: first.pageInfo.endCursor, filter: { categoryId }, sort: { field: "NAME" } });
    assert.deepEqual(again, last, "the same cursor gives the same page");
    assert.equal(last.pageInfo.hasPreviousPage, true);

    const everything = await allPages({ first: 3, filter: { categoryId }, sort: { field: "NAME" } });
    assert.deepEqual(names(everything), [1, 2, 3, 4, 5, 6, 7].map(itemName));
  });

  it("continues exactly after the cursor while products are added", async () => {
    const pagingCategory = await createCategory("Paging Inserts");
    const created = [];
    for (let n = 1; n <= 6; n += 1)
      created.push(await createProduct({ name: itemName(n * 10), priceAmount: 500, categoryId: pagingCategory }));

    for (const sort of [
      { field: "NAME", direction: "ASC" } as const,
      { field: "CREATED_AT", direction: "DESC" } as const,
      { field: "PRICE", direction: "ASC" } as const,
    ]) {
      const variables = { first: 3, filter: { categoryId: pagingCategory }, sort };
      const page1 = await page(variables);
      // Sorts by name between pages 1 and 2 (item 35), or newest first (before page 1).
      const inserted = await createProduct({ name: itemName(35 + created.length), priceAmount: 500, categoryId: pagingCategory });
      created.push(inserted);
      const rest = [];
      let cursor = page1.pageInfo.endCursor;
      for (;;) {
        const next = await page({ ...variables, after: cursor });
        rest.push(...next.edges.map((edge) => edge.node));
        if (!next.pageInfo.hasNextPage) break;
        cursor = next.pageInfo.endCursor;
      }
      const seen = [...page1.edges.map((edge) => edge.node.id), ...rest.map((node) => node.id)];
      assert.equal(new Set(seen).size, seen.length, `no duplicates (${sort.field})`);
      const before = created.filter((product) => product.id !== inserted.id).map((product) => product.id);
      for (const id of before) assert.ok(seen.includes(id), `no product skipped (${sort.field})`);
    }
  });

  it("refuses a cursor made for another sort order, and a forged one", async () => {
    const byName = await page({ first: 2, filter: { categoryId }, sort: { field: "NAME" } });
    const cursor = byName.pageInfo.endCursor;
    expectError(
      await request(AdminProductListDocument, { first: 2, after: cursor, filter: { categoryId }, sort: { field: "PRICE" } }),
      "BAD_USER_INPUT",
      "after",
    );
    expectError(
      await request(AdminProductListDocument, {
        first: 2,
        after: cursor,
        filter: { categoryId },
        sort: { field: "NAME", direction: "DESC" },
      }),
      "BAD_USER_INPUT",
      "after",
    );
    expectError(await request(AdminProductListDocument, { first: 2, after: cursor, filter: { categoryId } }), "BAD_USER_INPUT", "after");
    expectError(await request(AdminProductListDocument, { first: 2, after: "not-a-cursor" }), "BAD_USER_INPUT", "after");
    const forged = Buffer.from(JSON.stringify(["PRICE", "ASC", "1; DROP TABLE x", randomUUID()])).toString("base64url");
    expectError(await request(AdminProductListDocument, { first: 2, after: forged, sort: { field: "PRICE" } }), "BAD_USER_INPUT", "after");
    expectError(await request(AdminProductListDocument, { first: 101 }), "BAD_USER_INPUT", "first");
  });
  // The SQL cost of a page (same for 5 and 50 products) is in query-budget.test.ts, for every subgraph.
});

describe("catalog filters and sorting", () => {
  let rootId: string;
  let childId: string;
  let grandchildId: string;
  const product: Record<string, Node> = {};

  before(async () => {
    rootId = await createCategory("Filters");
    childId = await createCategory("Filters Child", rootId);
    grandchildId = await createCategory("Filters Grandchild", childId);
    product.cheap = await createProduct({ name: `Alpha Cheap ${tag}`, priceAmount: 500, categoryId: rootId });
    product.middle = await createProduct({ name: `Bravo Middle ${tag}`, priceAmount: 2500, categoryId: childId });
    product.dear = await createProduct({ name: `Charlie Dear ${tag}`, priceAmount: 9900, categoryId: grandchildId });
    product.sameAsMiddle = await createProduct({ name: `Delta Middle Too ${tag}`, priceAmount: 2500, categoryId: grandchildId });
    product.draft = await createProduct({ name: `Echo Draft ${tag}`, priceAmount: 2500, categoryId: rootId, status: "DRAFT" });
    product.archived = await createProduct({ name: `Foxtrot Archived ${tag}`, priceAmount: 2500, categoryId: childId, status: "ARCHIVED" });
  });

  it("filters by category including every subcategory below it", async () => {
    assert.deepEqual(
      names(await allPages({ filter: { categoryId: rootId }, sort: { field: "NAME" } })),
      names([product.cheap!, product.middle!, product.dear!, product.sameAsMiddle!]),
    );
    assert.deepEqual(
      names(await allPages({ filter: { categoryId: childId }, sort: { field: "NAME" } })),
      names([product.middle!, product.dear!, product.sameAsMiddle!]),
    );
    assert.deepEqual(
      names(await allPages({ filter: { categoryId: grandchildId }, sort: { field: "NAME" } })),
      names([product.dear!, product.sameAsMiddle!]),
    );
    assert.equal((await page({ filter: { categoryId: randomUUID() } })).totalCount, 0);
    expectError(await request(AdminProductListDocument, { filter: { categoryId: "nope" } }), "BAD_USER_INPUT", "filter.categoryId");
  });

  it("filters by price, bounds included", async () => {
    const filter = (extra: ProductFilter): Variables => ({ filter: { categoryId: rootId, ...extra }, sort: { field: "NAME" } });
    assert.deepEqual(names(await allPages(filter({ minPrice: 2500 }))), names([product.middle!, product.dear!, product.sameAsMiddle!]));
    assert.deepEqual(names(await allPages(filter({ maxPrice: 2500 }))), names([product.cheap!, product.middle!, product.sameAsMiddle!]));
    assert.deepEqual(names(await allPages(filter({ minPrice: 2500, maxPrice: 2500 }))), names([product.middle!, product.sameAsMiddle!]));
    assert.deepEqual(names(await allPages(filter({ minPrice: 501, maxPrice: 2499 }))), []);
    expectError(await request(AdminProductListDocument, filter({ minPrice: 3000, maxPrice: 2000 })), "BAD_USER_INPUT", "filter.maxPrice");
    expectError(await request(AdminProductListDocument, filter({ minPrice: -1 })), "BAD_USER_INPUT", "filter.minPrice");
  });

  it("shows customers and anonymous callers ACTIVE products only; admins every status", async () => {
    const visible = names([product.cheap!, product.middle!, product.dear!, product.sameAsMiddle!]);
    assert.deepEqual(names(await allPages({ filter: { categoryId: rootId }, sort: { field: "NAME" } })), visible);
    assert.deepEqual(names(await allPages({ filter: { categoryId: rootId }, sort: { field: "NAME" } }, customer.token)), visible);
    assert.deepEqual(
      names(await allPages({ filter: { categoryId: rootId, status: "ACTIVE" }, sort: { field: "NAME" } }, customer.token)),
      visible,
    );
    expectError(
      await request(AdminProductListDocument, { filter: { categoryId: rootId, status: "DRAFT" } }, { token: customer.token }),
      "FORBIDDEN",
    );
    expectError(await request(AdminProductListDocument, { filter: { categoryId: rootId, status: "ARCHIVED" } }), "FORBIDDEN");

    const all = await allPages({ filter: { categoryId: rootId }, sort: { field: "NAME" } }, admin.token);
    assert.equal(all.length, 6);
    assert.deepEqual(names(await allPages({ filter: { categoryId: rootId, status: "DRAFT" } }, admin.token)), [product.draft!.name]);
    assert.deepEqual(names(await allPages({ filter: { categoryId: rootId, status: "ARCHIVED" } }, admin.token)), [product.archived!.name]);

    for (const hidden of [product.draft!, product.archived!]) {
      assert.equal((await requestOk(AdminProductDocument, { id: hidden.id }, { token: customer.token })).product, null);
      assert.equal((await requestOk(AdminProductDocument, { id: hidden.id })).product, null);
      assert.equal((await requestOk(AdminProductDocument, { id: hidden.id }, { token: admin.token })).product?.status, hidden.status);
    }
    assert.equal((await requestOk(AdminProductDocument, { id: product.cheap!.id })).product?.name, product.cheap!.name);
  });

  it("sorts by each field in both directions", async () => {
    const base = { first: 2, filter: { categoryId: rootId } };
    const sorted = async (field: ProductSortField, direction: SortDirection) =>
      allPages({ ...base, sort: { field, direction } }, admin.token);
    const compare: Record<"NAME" | "PRICE" | "CREATED_AT", (a: Node, b: Node) => number> = {
      NAME: (a: Node, b: Node) => a.name.localeCompare(b.name),
      PRICE: (a: Node, b: Node) => a.price.amount - b.price.amount,
      CREATED_AT: (a: Node, b: Node) => Date.parse(a.createdAt) - Date.parse(b.createdAt),
    };
    for (const field of ["NAME", "PRICE", "CREATED_AT"] as const) {
      const byKey = compare[field];
      const ascending = await sorted(field, "ASC");
      const descending = await sorted(field, "DESC");
      assert.equal(ascending.length, 6);
      for (let i = 1; i < ascending.length; i += 1) assert.ok(byKey(ascending[i - 1]!, ascending[i]!) <= 0, `${field} ASC at ${i}`);
      // Ties are broken by id in the same direction, so DESC is exactly ASC reversed.
      assert.deepEqual(
        descending.map((n) => n.id),
        ascending.map((n) => n.id).reverse(),
        `${field} DESC`,
      );
    }
    assert.deepEqual(names(await sorted("PRICE", "ASC")).slice(0, 1), [product.cheap!.name]);
    // Defaults: NAME and PRICE ascend, CREATED_AT (the default sort) descends.
    assert.deepEqual(names(await allPages({ ...base, sort: { field: "NAME" } }, admin.token)), names(await sorted("NAME", "ASC")));
    assert.deepEqual(names(await allPages(base, admin.token)), names(await sorted("CREATED_AT", "DESC")));
    expectError(await request(AdminProductListDocument, { ...base, sort: { field: "RELEVANCE" } }), "BAD_USER_INPUT", "sort.field");
  });

  it("filters by availability from the stock read model", async () => {
    // Rows as the worker writes them from inventory's events; a product without a row has no stock.
    await applyAvailability(prisma, { productId: product.cheap!.id, available: 5, version: "10" });
    await applyAvailability(prisma, { productId: product.middle!.id, available: 0, version: "11" });
    const filter = (inStock: boolean): Variables => ({ filter: { categoryId: rootId, inStock }, sort: { field: "NAME" } });
    assert.deepEqual(names(await allPages(filter(true))), [product.cheap!.name]);
    assert.deepEqual(names(await allPages(filter(false))), names([product.middle!, product.dear!, product.sameAsMiddle!]));

    // An older or repeated event never overwrites a newer level.
    assert.equal(await applyAvailability(prisma, { productId: product.cheap!.id, available: 0, version: "9" }), false);
    assert.equal(await applyAvailability(prisma, { productId: product.cheap!.id, available: 0, version: "10" }), false);
    assert.deepEqual(names(await allPages(filter(true))), [product.cheap!.name]);
    assert.equal(await applyAvailability(prisma, { productId: product.middle!.id, available: 3, version: "12" }), true);
    assert.deepEqual(names(await allPages(filter(true))), names([product.cheap!, product.middle!]));

    await prisma.productAvailability.upsert({
      where: { productId: product.dear!.id },
      create: { productId: product.dear!.id, available: 2, version: 1n },
      update: { available: 2, version: 1n },
    });
    assert.deepEqual(names(await allPages({ ...filter(true), filter: { categoryId: rootId, inStock: true, minPrice: 3000 } })), [
      product.dear!.name,
    ]);
  });
});

describe("catalog search", () => {
  let categoryId: string;
  let headphones: Node;
  let shoes: Node;
  let bottle: Node;
  let runBelt: Node;

  before(async () => {
    categoryId = await createCategory("Search");
    headphones = await createProduct({
      name: `Studio Headphones ${tag}`,
      description: "Closed-back, for mixing.",
      priceAmount: 9900,
      categoryId,
    });
    shoes = await createProduct({
      name: `Trail Running Shoes ${tag}`,
      description: "Grippy soles for rocky paths.",
      priceAmount: 12900,
      categoryId,
    });
    bottle = await createProduct({
      name: `Water Bottle ${tag}`,
      description: "Light enough to carry while running a marathon.",
      priceAmount: 1900,
      categoryId,
    });
    runBelt = await createProduct({
      name: `Morning Run Belt ${tag}`,
      description: "Holds keys and a phone.",
      priceAmount: 2900,
      categoryId,
    });
    await createProduct({ name: `Kitchen Scale ${tag}`, description: "Weighs flour to the gram.", priceAmount: 2400, categoryId });
  });

  const search = (text: string, extra: Variables = {}) => allPages({ filter: { categoryId, search: text }, ...extra });

  it("ranks a match in the name above a match in the description", async () => {
    const found = names(await search("running"));
    assert.ok(found.includes(bottle.name), "the description matches too");
    assert.ok(found.indexOf(shoes.name) < found.indexOf(bottle.name), `name match first: ${found.join(", ")}`);
    assert.ok(!found.includes(`Kitchen Scale ${tag}`));
  });

  it("matches word forms", async () => {
    assert.ok(names(await search("running")).includes(runBelt.name), `"running" finds "Run"`);
    assert.ok(names(await search("run")).includes(shoes.name), `"run" finds "Running"`);
    assert.ok(names(await search("soles")).includes(shoes.name), `"soles" finds "soles" in the description`);
  });

  it("tolerates small typos in the name", async () => {
    assert.deepEqual(names(await search("hedphones")), [headphones.name]);
    assert.ok(names(await search("trial runing shoes")).includes(shoes.name));
    assert.deepEqual(names(await search("zzzzqqqq")), []);
  });

  it("sorts by relevance by default, and by any field on request", async () => {
    const byDefault = await search("running");
    const byRelevance = await search("running", { sort: { field: "RELEVANCE", direction: "DESC" } });
    assert.deepEqual(names(byDefault), names(byRelevance));
    const ascending = await search("running", { first: 1, sort: { field: "RELEVANCE", direction: "ASC" } });
    assert.deepEqual(
      ascending.map((n) => n.id),
      byRelevance.map((n) => n.id).reverse(),
    );
    const byPrice = await search("running", { sort: { field: "PRICE" } });
    assert.deepEqual(
      byPrice.map((n) => n.price.amount),
      byPrice.map((n) => n.price.amount).sort((a, b) => a - b),
    );
  });

  it("pages through results by relevance with cursors", async () => {
    const firstPage = await page({ first: 1, filter: { categoryId, search: "running" } });
    const everything = await search("running", { first: 1 });
    assert.equal(firstPage.totalCount, everything.length);
    assert.equal(new Set(everything.map((n) => n.id)).size, everything.length);
    assert.equal(firstPage.edges[0]!.node.id, everything[0]!.id);
  });

  it("hides drafts from customers in search results too", async () => {
    const draft = await createProduct({ name: `Hidden Headphones ${tag}`, priceAmount: 100, categoryId, status: "DRAFT" });
    assert.ok(!names(await search("headphones")).includes(draft.name));
    assert.ok(names(await allPages({ filter: { categoryId, search: "headphones" } }, admin.token)).includes(draft.name));
  });
});

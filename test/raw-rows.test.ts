// Raw SQL rows are checked at the boundary (lib/database.ts `parseRows`): `$queryRaw<T>` only casts,
// so a column left out of a SELECT used to reach clients as a silent null.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { parseRows, prismaAdapter } from "../lib/database.js";
import { PrismaClient } from "../prisma/products/__generated__/client.js";
import { createProduct } from "./support/catalog.js";
import { config, gqlOk } from "./support/client.js";

describe("parseRows", () => {
  const row = z.object({ id: z.string(), createdAt: z.date() });

  it("returns rows that match", () => {
    const createdAt = new Date();
    assert.deepEqual(parseRows(row, [{ id: "a", createdAt }]), [{ id: "a", createdAt }]);
    assert.deepEqual(parseRows(row, []), []);
  });

  it("refuses a missing column, a column of another type and a result that is no list", () => {
    assert.throws(() => parseRows(row, [{ id: "a", createdAt: new Date() }, { id: "b" }]), /row 1 does not match[\s\S]*createdAt/);
    assert.throws(() => parseRows(row, [{ id: "a", createdAt: "2026-11-23T10:00:00.000Z" }]), /row 0 does not match[\s\S]*createdAt/);
    assert.throws(() => parseRows(row, 1), /no list of rows/);
    assert.throws(() => parseRows(row, { id: "a", createdAt: new Date() }), /no list of rows/);
  });

  it("names the column but never its value", () => {
    assert.throws(
      () => parseRows(z.object({ id: z.number() }), [{ id: "customer-secret\u0007" }]),
      (error: Error) => !error.message.includes("customer-secret") && /id/.test(error.message),
    );
  });
});

describe("the products listing (raw SQL) returns whole products", () => {
  const LISTING = `query($filter: ProductFilter) { products(first: 5, filter: $filter) { edges { node { id publishedAt } } } }`;
  const ONE = `query($id: ID) { product(id: $id) { id publishedAt } }`;
  let productId: string;
  let categoryId: string;
  let name: string;
  let publishedAt: string;

  const prisma = new PrismaClient({ adapter: prismaAdapter(config.subgraphs.products.databaseUrl, 1) });
  after(() => prisma.$disconnect());

  before(async () => {
    // A category of its own (made in the database: only the listing is under test here).
    const slug = `raw-rows-${randomUUID()}`;
    categoryId = (await prisma.category.create({ data: { name: slug, slug } })).id;
    name = `Quokkaberry ${randomUUID().slice(0, 8)}`;
    productId = (await createProduct({ name })).id;
    await prisma.product.update({ where: { id: productId }, data: { categoryId } });
    const one = await gqlOk<{ product: { publishedAt: string | null } }>(ONE, { id: productId });
    assert.ok(one.product.publishedAt, "an ACTIVE product has been published");
    publishedAt = one.product.publishedAt;
  });

  it("with publishedAt, filtered by category", async () => {
    const data = await gqlOk(LISTING, { filter: { categoryId } });
    assert.deepEqual(data.products.edges, [{ node: { id: productId, publishedAt } }]);
  });

  it("with publishedAt, found by search", async () => {
    const data = await gqlOk(LISTING, { filter: { search: name } });
    assert.deepEqual(data.products.edges, [{ node: { id: productId, publishedAt } }]);
  });
});

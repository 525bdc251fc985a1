// The catalog listing: filters, full-text search, sorting and keyset pagination.
//
// A page is one parameterised SQL statement whatever its size: it returns the page's rows in order,
// every column with the total count beside it, so nothing loads them a second time. Cursors carry
// the sort (field and direction), the row's sort key as PostgreSQL printed it, and the id as a
// tie-breaker, so a page continues exactly after the previous one while products are added; each sort
// key has its own cursor schema (lib/pagination.ts).
import DataLoader from "dataloader";
import { z } from "zod";
import type { Viewer } from "../../../lib/auth.js";
import { BadUserInputError, ForbiddenError } from "../../../lib/errors.js";
import { cursorCodec, cursorKeys, pageSize, toConnection, type Connection, type CursorCodec } from "../../../lib/pagination.js";
import { isUuid } from "../../../lib/loaders.js";
import { parseRows } from "../../../lib/database.js";
import { parseInput, uuid } from "../../../lib/validation.js";
import { Prisma, ProductStatus, type PrismaClient, type Product } from "../../../prisma/products/__generated__/client.js";
import type { ProductsContext } from "./context.js";

export type SortField = "NAME" | "PRICE" | "CREATED_AT" | "RELEVANCE";
export type SortDirection = "ASC" | "DESC";
export interface ProductOrder {
  field: SortField;
  direction: SortDirection;
}

const DEFAULT_DIRECTION: Record<SortField, SortDirection> = { NAME: "ASC", PRICE: "ASC", CREATED_AT: "DESC", RELEVANCE: "DESC" };
const NEWEST_FIRST: ProductOrder = { field: "CREATED_AT", direction: "DESC" };

/**
 * `<%` (word similarity) matches a query within a longer name: "hedphones" in "Wireless Headphones"
 * scores about 0.7. 0.3 tolerates a typo or two in short words without matching unrelated names.
 * The operator (rather than the word_similarity() function) lets PostgreSQL use the trigram index.
 */
const WORD_SIMILARITY_THRESHOLD = "0.3";

interface SortKey {
  /** The key of product row `p`. */
  select(search: string | null): Prisma.Sql;
  /** The key column of the matches (alias `m`) as it is compared and ordered. */
  compared: Prisma.Sql;
  /** The key of a page row (alias `page`) as text, the way its cursor carries it. */
  printed: Prisma.Sql;
  /** The key in a cursor: checked in full before it is used in SQL. */
  cursorKey: z.ZodType<string | number>;
  /** The key's printed text as the cursor carries it. */
  fromPrinted(text: string): string | number;
  /** A cursor's key back in the key's SQL type. */
  parse(key: string | number): Prisma.Sql;
}

const PRINTED_AS_TEXT = Prisma.sql`page.sort_key::text`;

const SORT_KEYS: Record<SortField, SortKey> = {
  NAME: {
    select: () => Prisma.sql`p."name"`,
    // ICU root collation: "apple" sorts beside "Apple" and "Éclair" beside "Eclair" (the database default is bytewise).
    compared: Prisma.sql`m.sort_key COLLATE "und-x-icu"`,
    printed: PRINTED_AS_TEXT,
    // Product names are at most 200 characters (products.ts).
    cursorKey: cursorKeys.text(200),
    fromPrinted: (text) => text,
    parse: (key) => Prisma.sql`${key}::text`,
  },
  PRICE: {
    select: () => Prisma.sql`p."priceAmount"`,
    compared: Prisma.sql`m.sort_key`,
    printed: PRINTED_AS_TEXT,
    cursorKey: cursorKeys.int4(0),
    fromPrinted: Number,
    parse: (key) => Prisma.sql`${key}::int`,
  },
  CREATED_AT: {
    select: () => Prisma.sql`p."createdAt"`,
    compared: Prisma.sql`m.sort_key`,
    // The timestamp(3) column holds UTC; printed as toISOString() would (whatever the server's DateStyle).
    printed: Prisma.sql`to_char(page.sort_key, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
    cursorKey: cursorKeys.timestamp(),
    fromPrinted: (text) => text,
    // A zone in the text is ignored by timestamp (without time zone) input, which is what "Z" means here.
    parse: (key) => Prisma.sql`${key}::timestamp(3)`,
  },
  RELEVANCE: {
    // Full-text rank (name counts more than description) plus how well the name matches the words as typed.
    select: (search) =>
      Prisma.sql`(ts_rank(p."searchVector", websearch_to_tsquery('english', ${search})) + word_similarity(${search}, p."name"))::float8`,
    compared: Prisma.sql`m.sort_key`,
    printed: PRINTED_AS_TEXT,
    // PostgreSQL prints float8 in the shortest form that reads back exactly, as JavaScript does.
    cursorKey: cursorKeys.float(),
    fromPrinted: Number,
    // As text: Prisma rounds a JavaScript float parameter (0.30000000000000004 arrives as 0.3), and a
    // rounded key would repeat or skip rows; String() writes every digit needed to read it back exactly.
    parse: (key) => Prisma.sql`${String(key)}::float8`,
  },
};

interface Keyset {
  key: string | number;
  id: string;
}

const PRODUCT_CURSORS = new Map<string, CursorCodec<[string | number, string]>>(
  (Object.keys(SORT_KEYS) as SortField[]).flatMap((field) =>
    (["ASC", "DESC"] as const).map((direction) => [
      `${field}:${direction}`,
      cursorCodec(`products:${field}:${direction}`, [SORT_KEYS[field].cursorKey, cursorKeys.id]),
    ]),
  ),
);
const productCursor = (order: ProductOrder) => PRODUCT_CURSORS.get(`${order.field}:${order.direction}`)!;

/** A page row's cursor, from its key as the page statement printed it. */
export function encodeProductCursor(order: ProductOrder, printedKey: string, id: string): string {
  return productCursor(order).encode([SORT_KEYS[order.field].fromPrinted(printedKey), id]);
}

/** The position a cursor points at; refused when it was made for another sort order or is not well formed. */
export function decodeProductCursor(cursor: string, order: ProductOrder, field = "after"): Keyset {
  const [key, id] = productCursor(order).decode(cursor, field);
  return { key, id };
}

const orderBy = (order: ProductOrder): Prisma.Sql => {
  const direction = order.direction === "ASC" ? Prisma.sql`ASC` : Prisma.sql`DESC`;
  return Prisma.sql`${SORT_KEYS[order.field].compared} ${direction}, m.id ${direction}`;
};

/** Rows strictly after the cursor in `order`. */
const afterCursor = (order: ProductOrder, cursor: Keyset | null): Prisma.Sql => {
  if (!cursor) return Prisma.sql`TRUE`;
  const sortKey = SORT_KEYS[order.field];
  const comparison = order.direction === "ASC" ? Prisma.sql`>` : Prisma.sql`<`;
  return Prisma.sql`(${sortKey.compared}, m.id) ${comparison} (${sortKey.parse(cursor.key)}, ${cursor.id}::uuid)`;
};

/**
 * Which status a caller may list: customers and anonymous callers see ACTIVE products only and are
 * refused anything else; administrators see what they ask for, every status when they do not ask.
 */
export function listableStatus(viewer: Viewer | null, requested?: ProductStatus | null): ProductStatus | null {
  if (viewer?.role === "ADMIN") return requested ?? null;
  if (requested && requested !== "ACTIVE") throw new ForbiddenError("Only administrators can list products that are not ACTIVE.");
  return "ACTIVE";
}

const statusCondition = (status: ProductStatus | null): Prisma.Sql =>
  status ? Prisma.sql`p."status" = ${status}::"ProductStatus"` : Prisma.sql`TRUE`;

const priceSchema = z.int("must be a whole number of minor units").min(0, "must not be negative");
const filterSchema = z
  .object({
    search: z.string().trim().max(200, "must be at most 200 characters").nullish(),
    categoryId: uuid("must be a category id").nullish(),
    minPrice: priceSchema.nullish(),
    maxPrice: priceSchema.nullish(),
    inStock: z.boolean().nullish(),
    status: z.enum(["DRAFT", "ACTIVE", "ARCHIVED"]).nullish(),
  })
  .refine((filter) => filter.minPrice == null || filter.maxPrice == null || filter.minPrice <= filter.maxPrice, {
    message: "must not be below minPrice",
    path: ["maxPrice"],
  });
export type ProductFilter = z.input<typeof filterSchema>;

export interface ListProductsArgs {
  first?: number | null;
  after?: string | null;
  filter?: ProductFilter | null;
  sort?: { field: SortField; direction?: SortDirection | null } | null;
}

/** Without a sort: best match first when searching, otherwise newest first. */
export function resolveOrder(sort: ListProductsArgs["sort"], search: string | null): ProductOrder {
  const field = sort?.field ?? (search ? "RELEVANCE" : "CREATED_AT");
  if (field === "RELEVANCE" && !search) throw new BadUserInputError("Sorting by RELEVANCE needs filter.search.", "sort.field");
  return { field, direction: sort?.direction ?? DEFAULT_DIRECTION[field] };
}

/** A product row as Prisma returns it (searchVector, which Prisma cannot read, left out). */
const productRow = z.object({
  id: z.string(),
  name: z.string(),
  slug: z.string(),
  description: z.string(),
  priceAmount: z.number(),
  currency: z.string(),
  categoryId: z.string().nullable(),
  status: z.enum(ProductStatus),
  publishedAt: z.date().nullable(),
  lifecycleVersion: z.number(),
  createdAt: z.date(),
  updatedAt: z.date(),
}) satisfies z.ZodType<Product>;

/** The page's products come back with the page itself: one statement, no second lookup by id. An empty page is one row of nulls. */
const pageRow = z.union([
  productRow.extend({ totalCount: z.number(), sortKey: z.string() }),
  z.object({ totalCount: z.number(), id: z.null() }),
]);

/** Product columns as Prisma returns them; searchVector (which Prisma cannot read) left out. */
const PRODUCT_COLUMNS = Prisma.sql`p.id, p.name, p.slug, p.description, p."priceAmount", p.currency, p."categoryId",
  p.status::text AS status, p."publishedAt", p."lifecycleVersion", p."createdAt", p."updatedAt"`;

export async function listProducts(ctx: ProductsContext, args: ListProductsArgs): Promise<Connection<Product>> {
  const size = pageSize(args.first);
  const filter = parseInput(filterSchema, args.filter ?? {}, "filter");
  const search = filter.search || null;
  const status = listableStatus(ctx.viewer, filter.status);
  const order = resolveOrder(args.sort, search);
  const cursor = args.after ? decodeProductCursor(args.after, order) : null;

  const conditions = [statusCondition(status)];
  if (filter.categoryId) conditions.push(Prisma.sql`p."categoryId" IN (SELECT id FROM subtree)`);
  if (filter.minPrice != null) conditions.push(Prisma.sql`p."priceAmount" >= ${filter.minPrice}`);
  if (filter.maxPrice != null) conditions.push(Prisma.sql`p."priceAmount" <= ${filter.maxPrice}`);
  if (filter.inStock != null) {
    // The read model fed by inventory's events; a product without a row has never had stock.
    const inStock = Prisma.sql`EXISTS (SELECT 1 FROM "ProductAvailability" a WHERE a."productId" = p.id AND a."available" > 0)`;
    conditions.push(filter.inStock ? inStock : Prisma.sql`NOT ${inStock}`);
  }
  if (search) {
    conditions.push(Prisma.sql`(p."searchVector" @@ websearch_to_tsquery('english', ${search}) OR ${search} <% p."name")`);
  }
  // The category and every category below it; UNION (not UNION ALL) also stops on a cycle.
  const subtree = filter.categoryId
    ? Prisma.sql`RECURSIVE subtree(id) AS (
        SELECT ${filter.categoryId}::uuid
        UNION
        SELECT c.id FROM "Category" c JOIN subtree s ON c."parentId" = s.id
      ),`
    : Prisma.empty;

  // One row per product of the page, or a single row with a null id when the page is empty; every
  // row carries the number of matches across all pages.
  const query = Prisma.sql`
    WITH ${subtree} matches AS (
      SELECT p.id, ${SORT_KEYS[order.field].select(search)} AS sort_key
      FROM "Product" p
      WHERE ${Prisma.join(conditions, " AND ")}
    )
    SELECT total.count AS "totalCount", ${SORT_KEYS[order.field].printed} AS "sortKey", ${PRODUCT_COLUMNS}
    FROM (SELECT count(*)::int AS count FROM matches) AS total
    LEFT JOIN LATERAL (
      SELECT m.id, m.sort_key, row_number() OVER (ORDER BY ${orderBy(order)}) AS position
      FROM matches m
      WHERE ${afterCursor(order, cursor)}
      ORDER BY position
      LIMIT ${size + 1}
    ) AS page ON TRUE
    LEFT JOIN "Product" p ON p.id = page.id
    ORDER BY page.position`;

  const result = search
    ? await ctx.prisma.$transaction(async (tx) => {
        // Local to this transaction, so pooled connections keep the default for everyone else.
        await tx.$executeRaw`SELECT set_config('pg_trgm.word_similarity_threshold', ${WORD_SIMILARITY_THRESHOLD}, true)`;
        return tx.$queryRaw(query);
      })
    : await ctx.prisma.$queryRaw(query);
  const rows = parseRows(pageRow, result);

  const hits = rows.filter((row): row is Product & { totalCount: number; sortKey: string } => row.id !== null);
  const products: Product[] = hits.map(({ totalCount: _total, sortKey: _key, ...product }) => product);
  products.forEach((product) => ctx.loaders.productById.prime(product.id, product));
  const keyOf = new Map(hits.map((hit) => [hit.id, hit.sortKey]));
  return toConnection(products, size, (p) => encodeProductCursor(order, keyOf.get(p.id)!, p.id), rows[0]?.totalCount ?? 0, Boolean(cursor));
}

/** The products with these ids in this order; one that was deleted meanwhile is left out. */
async function loadInOrder(prisma: PrismaClient, ids: string[]): Promise<Product[]> {
  if (ids.length === 0) return [];
  const found = new Map((await prisma.product.findMany({ where: { id: { in: ids } } })).map((product) => [product.id, product]));
  return ids.flatMap((id) => found.get(id) ?? []);
}

// ------------------------------------------------------------------------------------------------
// Category.products: a page per category, for every category of a request in one statement.

export interface CategoryProductsKey {
  categoryId: string;
  first?: number | null;
  after?: string | null;
}

const categoryPageRow = z.object({
  categoryId: z.string(),
  totalCount: z.number(),
  id: z.string().nullable(),
  sortKey: z.string().nullable(),
});

const pageArgsKey = (key: CategoryProductsKey) => JSON.stringify([key.first ?? null, key.after ?? null]);

/**
 * Pages of each category's products (its subcategories' included), newest first. Keys asking for
 * the same page size and cursor, as a list of categories does, share one statement.
 */
export function categoryProductsLoader(
  prisma: PrismaClient,
  viewer: Viewer | null,
  onLoaded: (products: Product[]) => void,
): DataLoader<CategoryProductsKey, Connection<Product>, string> {
  return new DataLoader<CategoryProductsKey, Connection<Product>, string>(
    async (keys) => {
      const groups = new Map<string, CategoryProductsKey[]>();
      for (const key of keys) groups.set(pageArgsKey(key), [...(groups.get(pageArgsKey(key)) ?? []), key]);
      const results = new Map<string, Connection<Product> | Error>();
      await Promise.all(
        [...groups.values()].map(async (group) => {
          const { first, after } = group[0]!;
          try {
            const pages = await categoryPages(
              prisma,
              viewer,
              group.map((key) => key.categoryId),
              first,
              after,
            );
            onLoaded([...pages.values()].flatMap((page) => page.edges.map((edge) => edge.node)));
            for (const key of group) results.set(categoryPageKey(key), pages.get(key.categoryId)!);
          } catch (error) {
            for (const key of group) results.set(categoryPageKey(key), error as Error);
          }
        }),
      );
      return keys.map((key) => results.get(categoryPageKey(key))!);
    },
    { cacheKeyFn: categoryPageKey },
  );
}

function categoryPageKey(key: CategoryProductsKey): string {
  return JSON.stringify([key.categoryId, key.first ?? null, key.after ?? null]);
}

async function categoryPages(
  prisma: PrismaClient,
  viewer: Viewer | null,
  categoryIds: string[],
  first: number | null | undefined,
  after: string | null | undefined,
): Promise<Map<string, Connection<Product>>> {
  const size = pageSize(first);
  const order = NEWEST_FIRST;
  const cursor = after ? decodeProductCursor(after, order) : null;
  const ids = [...new Set(categoryIds.filter(isUuid))];
  const rows =
    ids.length === 0
      ? []
      : parseRows(
          categoryPageRow,
          await prisma.$queryRaw`
          WITH RECURSIVE tree(root_id, id) AS (
            SELECT c.id, c.id FROM "Category" c WHERE c.id IN (${Prisma.join(ids)})
            UNION
            SELECT t.root_id, c.id FROM "Category" c JOIN tree t ON c."parentId" = t.id
          ),
          matches AS (
            SELECT t.root_id, p.id, ${SORT_KEYS[order.field].select(null)} AS sort_key
            FROM tree t JOIN "Product" p ON p."categoryId" = t.id
            WHERE ${statusCondition(listableStatus(viewer))}
          ),
          totals AS (SELECT root_id, count(*)::int AS total FROM matches GROUP BY root_id),
          ranked AS (
            SELECT m.root_id, m.id, m.sort_key, row_number() OVER (PARTITION BY m.root_id ORDER BY ${orderBy(order)}) AS position
            FROM matches m
            WHERE ${afterCursor(order, cursor)}
          )
          SELECT t.root_id AS "categoryId", t.total AS "totalCount", page.id, ${SORT_KEYS[order.field].printed} AS "sortKey"
          FROM totals t LEFT JOIN ranked page ON page.root_id = t.root_id AND page.position <= ${size + 1}
          ORDER BY t.root_id, page.position`,
        );

  const products = new Map((await loadInOrder(prisma, [...new Set(rows.flatMap((row) => row.id ?? []))])).map((p) => [p.id, p]));
  const pages = new Map<string, Connection<Product>>();
  for (const categoryId of categoryIds) {
    const own = rows.filter((row) => row.categoryId === categoryId);
    const hits = own.flatMap((row) => (row.id && products.has(row.id) ? [{ product: products.get(row.id)!, key: row.sortKey! }] : []));
    const keyOf = new Map(hits.map((hit) => [hit.product.id, hit.key]));
    pages.set(
      categoryId,
      toConnection(
        hits.map((hit) => hit.product),
        size,
        (p) => encodeProductCursor(order, keyOf.get(p.id)!, p.id),
        own[0]?.totalCount ?? 0,
        Boolean(cursor),
      ),
    );
  }
  return pages;
}

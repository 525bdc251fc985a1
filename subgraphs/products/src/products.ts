// Products: lookups with their visibility rules and the administrators' changes, callable without HTTP.
import { z } from "zod";
import { requireAdmin } from "../../../lib/auth.js";
import { BadUserInputError, NotFoundError, prismaErrorKind, type ErrorResult } from "../../../lib/errors.js";
import { parseInput, singleLine, uuid } from "../../../lib/validation.js";
import { Prisma, type Product, type ProductStatus } from "../../../prisma/products/__generated__/client.js";
import type { ProductsContext } from "./context.js";
import { deletedEvent, lifecycleEvent } from "./lifecycle.js";
import { writeOutbox } from "../../../lib/outbox.js";
import { createWithUniqueSlug, idOrSlug } from "./slugs.js";

export type { Product };

export const MAX_PRICE_AMOUNT = 100_000_000;

const nameSchema = singleLine(z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters"));
const descriptionSchema = z.string().trim().max(10_000, "must be at most 10000 characters");
const priceAmountSchema = z
  .int("must be a whole number of minor units (cents)")
  .min(0, "must not be negative")
  .max(MAX_PRICE_AMOUNT, `must be at most ${MAX_PRICE_AMOUNT}`);
const currencySchema = z.string().regex(/^[A-Z]{3}$/, "must be an ISO 4217 code in capitals, such as EUR");
const categoryIdSchema = uuid("must be the id of an existing category");
const statusSchema = z.enum(["DRAFT", "ACTIVE", "ARCHIVED"]);

const createProductSchema = z.object({
  name: nameSchema,
  description: descriptionSchema.nullish(),
  priceAmount: priceAmountSchema,
  currency: currencySchema.nullish(),
  categoryId: categoryIdSchema.nullish(),
  status: statusSchema.nullish(),
});

const updateProductSchema = z.object({
  name: nameSchema.nullish(),
  description: descriptionSchema.nullish(),
  priceAmount: priceAmountSchema.nullish(),
  currency: currencySchema.nullish(),
  // undefined: unchanged; null: out of its category.
  categoryId: categoryIdSchema.nullish(),
  status: statusSchema.nullish(),
});

/** Customers and anonymous callers see ACTIVE products only. */
export function isVisibleTo(ctx: ProductsContext, product: Product): boolean {
  return product.status === "ACTIVE" || ctx.viewer?.role === "ADMIN";
}

/** `product(id, slug)`: exactly one of them; null when missing or hidden from the caller. */
export async function findProduct(ctx: ProductsContext, args: { id?: string | null; slug?: string | null }): Promise<Product | null> {
  const product = await findByIdOrSlug(ctx, args);
  return product && isVisibleTo(ctx, product) ? product : null;
}

async function findByIdOrSlug(ctx: ProductsContext, args: { id?: string | null; slug?: string | null }): Promise<Product | null> {
  const key = idOrSlug(args);
  return "id" in key ? ctx.loaders.productById.load(key.id) : ctx.prisma.product.findUnique({ where: { slug: key.slug } });
}

/**
 * For entity references from other subgraphs. ACTIVE and ARCHIVED resolve for everyone, so carts and
 * orders keep showing products that were archived since; DRAFT only for administrators. Nothing a
 * customer holds can be a draft: only ACTIVE products go into carts, and a product never returns to
 * DRAFT once published.
 */
export async function productReference(ctx: ProductsContext, id: string): Promise<Product | null> {
  const product = await ctx.loaders.productById.load(id);
  return product && (product.status !== "DRAFT" || ctx.viewer?.role === "ADMIN") ? product : null;
}

/** The product with this id in any status, or NOT_FOUND (for administrators' changes). */
export async function requireProduct(ctx: ProductsContext, id: string): Promise<Product> {
  const product = await ctx.loaders.productById.load(id);
  if (!product) throw new NotFoundError("Product");
  return product;
}

async function assertCategoryExists(ctx: ProductsContext, categoryId: string): Promise<void> {
  if (!(await ctx.loaders.categoryById.load(categoryId))) {
    throw new BadUserInputError("input.categoryId: no category has this id.", "input.categoryId");
  }
}

/** The category was deleted between our check and the write: the same answer as an unknown id. */
function rethrowMissingCategory(error: unknown): never {
  if (prismaErrorKind(error) === "foreign-key") {
    throw new BadUserInputError("input.categoryId: no category has this id.", "input.categoryId");
  }
  throw error;
}

export async function createProduct(ctx: ProductsContext, input: unknown): Promise<Product> {
  requireAdmin(ctx.viewer);
  const data = parseInput(createProductSchema, input);
  if (data.categoryId) await assertCategoryExists(ctx, data.categoryId);
  const product = await createWithUniqueSlug(
    data.name,
    "product",
    async (prefix) =>
      (await ctx.prisma.product.findMany({ where: { slug: { startsWith: prefix } }, select: { slug: true } })).map((p) => p.slug),
    (slug) =>
      ctx.prisma.$transaction(async (tx) => {
        const created = await tx.product.create({
          data: {
            name: data.name,
            slug,
            description: data.description ?? "",
            priceAmount: data.priceAmount,
            currency: data.currency ?? "EUR",
            categoryId: data.categoryId ?? null,
            status: data.status ?? "DRAFT",
            publishedAt: data.status === "ACTIVE" ? new Date() : null,
          },
        });
        await writeOutbox(tx, [lifecycleEvent("created", created)]);
        return created;
      }),
  ).catch(rethrowMissingCategory);
  ctx.log.info({ productId: product.id }, "product created");
  return product;
}

export async function updateProduct(ctx: ProductsContext, id: string, input: unknown): Promise<Product> {
  requireAdmin(ctx.viewer);
  const changes = parseInput(updateProductSchema, input);
  const product = await requireProduct(ctx, id);
  if (changes.categoryId) await assertCategoryExists(ctx, changes.categoryId);

  const data: Prisma.ProductUncheckedUpdateInput = {};
  if (changes.name != null) data.name = changes.name; // the slug stays: links to the product keep working
  if (changes.description != null) data.description = changes.description;
  if (changes.priceAmount != null) data.priceAmount = changes.priceAmount;
  if (changes.currency != null) data.currency = changes.currency;
  if (changes.categoryId !== undefined) data.categoryId = changes.categoryId;
  if (changes.status != null) Object.assign(data, statusChange(product, changes.status, "input.status"));
  return ctx.prisma
    .$transaction(async (tx) => {
      const updated = await tx.product.update({ where: { id: product.id }, data });
      if (updated.status !== product.status) await writeOutbox(tx, [lifecycleEvent("status-changed", updated)]);
      return updated;
    })
    .catch(rethrowNotFound)
    .catch(rethrowMissingCategory);
}

/**
 * The columns a status change writes. First becoming ACTIVE records `publishedAt`; from then on the
 * product may sit in carts and orders, so it never becomes a DRAFT again (drafts are hidden from
 * customers, which would blank their orders) and is archived instead of deleted.
 */
function statusChange(product: Product, status: ProductStatus, field: string): Prisma.ProductUncheckedUpdateInput {
  if (status === product.status) return {};
  if (status === "DRAFT" && product.publishedAt) {
    throw new BadUserInputError("A product that was on sale cannot become a draft again; archive it to take it off sale.", field);
  }
  return {
    status,
    lifecycleVersion: { increment: 1 },
    ...(status === "ACTIVE" && !product.publishedAt ? { publishedAt: new Date() } : {}),
  };
}

export async function setStatus(ctx: ProductsContext, id: string, status: ProductStatus): Promise<Product> {
  requireAdmin(ctx.viewer);
  const product = await requireProduct(ctx, id);
  if (product.status === status) return product;
  const data = statusChange(product, status, "status");
  return ctx.prisma
    .$transaction(async (tx) => {
      const updated = await tx.product.update({ where: { id: product.id }, data });
      await writeOutbox(tx, [lifecycleEvent("status-changed", updated)]);
      return updated;
    })
    .catch(rethrowNotFound);
}

export const archiveProduct = (ctx: ProductsContext, id: string) => setStatus(ctx, id, "ARCHIVED");

/** deleteProduct's expected refusal (see lib/errors.ts). */
export interface ProductPublished extends ErrorResult<"ProductPublishedError", "PRODUCT_PUBLISHED"> {
  productId: string;
}
const productPublished = (productId: string): ProductPublished => ({
  __typename: "ProductPublishedError",
  code: "PRODUCT_PUBLISHED",
  message: "This product was on sale, so carts and orders may refer to it: archive it instead (archiveProduct).",
  productId,
});
/** Leaves deleteProduct's transaction when another administrator published the product meanwhile. */
class PublishedMeanwhile extends Error {}

/**
 * Deletes a product that was never published (a draft, or archived before it was ever ACTIVE) with
 * its image rows and its stock read model in one transaction, then lets the image storage remove
 * the files. A published product is refused (ProductPublishedError): it is archived instead.
 */
export async function deleteProduct(ctx: ProductsContext, id: string): Promise<{ id: string } | ProductPublished> {
  requireAdmin(ctx.viewer);
  const product = await requireProduct(ctx, id);
  if (product.publishedAt) return productPublished(product.id);
  const images = await ctx.prisma
    .$transaction(async (tx) => {
      const rows = await tx.productImage.findMany({ where: { productId: product.id }, select: { storageKey: true } });
      await tx.productImage.deleteMany({ where: { productId: product.id } });
      await tx.productAvailability.deleteMany({ where: { productId: product.id } });
      // Conditional: another administrator may have published it since we read it.
      const { count } = await tx.product.deleteMany({ where: { id: product.id, publishedAt: null } });
      if (count === 0) {
        const still = await tx.product.findUnique({ where: { id: product.id }, select: { id: true } });
        throw still ? new PublishedMeanwhile() : new NotFoundError("Product");
      }
      await writeOutbox(tx, [deletedEvent(product)]);
      return rows;
    })
    .catch((error: unknown) => {
      if (error instanceof PublishedMeanwhile) return null;
      throw error;
    });
  if (!images) return productPublished(product.id);
  ctx.log.info({ productId: product.id, images: images.length }, "product deleted");
  try {
    await ctx.onProductDeleted({ productId: product.id, imageStorageKeys: images.map((image) => image.storageKey) });
  } catch (error) {
    // The rows are gone; leftover files cost storage only. Logged for clean-up.
    ctx.log.error({ err: error, productId: product.id }, "could not remove the deleted product's image files");
  }
  return { id: product.id };
}

/** Another administrator deleted the product between our read and our write. */
function rethrowNotFound(error: unknown): never {
  if (prismaErrorKind(error) === "not-found") throw new NotFoundError("Product");
  throw error;
}

// The category tree: lookups and the administrators' changes, callable without HTTP.
import { z } from "zod";
import { requireAdmin } from "../../../lib/auth.js";
import { BadUserInputError, NotFoundError, prismaErrorKind, type ErrorResult } from "../../../lib/errors.js";
import { isUuid } from "../../../lib/loaders.js";
import { parseInput, singleLine, uuid } from "../../../lib/validation.js";
import { parseRows } from "../../../lib/database.js";
import { Prisma, type Category } from "../../../prisma/products/__generated__/client.js";
import type { ProductsContext } from "./context.js";
import { createWithUniqueSlug, idOrSlug } from "./slugs.js";

export type { Category };

/** Moves in the tree take this transaction-scoped lock, so two concurrent moves cannot build a cycle together. */
const CATEGORY_TREE_LOCK = 7_301_001;
/** The row of the move check in updateCategory. */
const parentCheckRow = z.object({ parentExists: z.boolean(), wouldCycle: z.boolean() });

const nameSchema = singleLine(z.string().trim().min(1, "must not be empty").max(100, "must be at most 100 characters"));
const parentIdSchema = uuid("must be the id of an existing category");
const createCategorySchema = z.object({ name: nameSchema, parentId: parentIdSchema.nullish() });
const updateCategorySchema = z.object({ name: nameSchema.nullish(), parentId: parentIdSchema.nullish() });

/** The root categories, by name. */
export function listRoots(ctx: ProductsContext): Promise<Category[]> {
  return ctx.prisma.category.findMany({ where: { parentId: null }, orderBy: [{ name: "asc" }, { id: "asc" }] });
}

/** `category(id, slug)`: exactly one of them. */
export async function findCategory(ctx: ProductsContext, args: { id?: string | null; slug?: string | null }): Promise<Category | null> {
  const key = idOrSlug(args);
  return "id" in key ? ctx.loaders.categoryById.load(key.id) : ctx.prisma.category.findUnique({ where: { slug: key.slug } });
}

async function requireCategory(ctx: ProductsContext, id: string): Promise<Category> {
  const category = await ctx.loaders.categoryById.load(id);
  if (!category) throw new NotFoundError("Category");
  return category;
}

/** The `@listSize(assumedSize:)` of Query.categories and Category.children: the router's cost estimate relies on them. */
export const MAX_ROOT_CATEGORIES = 50;
export const MAX_SUBCATEGORIES = 25;
/** Refuses a parent (null: the root level) that already holds as many categories as it may. */
async function checkRoomUnder(prisma: Pick<Prisma.TransactionClient, "category">, parentId: string | null, movingId?: string) {
  const count = await prisma.category.count({ where: { parentId, ...(movingId ? { id: { not: movingId } } : {}) } });
  const max = parentId ? MAX_SUBCATEGORIES : MAX_ROOT_CATEGORIES;
  if (count >= max) {
    const where = parentId ? `a category has at most ${max} subcategories` : `there are at most ${max} root categories`;
    throw new BadUserInputError(`input.parentId: ${where}.`, "input.parentId");
  }
}

const unknownParent = () => new BadUserInputError("input.parentId: no category has this id.", "input.parentId");

export async function createCategory(ctx: ProductsContext, input: unknown): Promise<Category> {
  requireAdmin(ctx.viewer);
  const data = parseInput(createCategorySchema, input);
  if (data.parentId && !(await ctx.loaders.categoryById.load(data.parentId))) throw unknownParent();
  await checkRoomUnder(ctx.prisma, data.parentId ?? null);
  const category = await createWithUniqueSlug(
    data.name,
    "category",
    async (prefix) =>
      (await ctx.prisma.category.findMany({ where: { slug: { startsWith: prefix } }, select: { slug: true } })).map((c) => c.slug),
    (slug) => ctx.prisma.category.create({ data: { name: data.name, slug, parentId: data.parentId ?? null } }),
  ).catch((error: unknown) => {
    // The parent was deleted between the check and the insert.
    if (prismaErrorKind(error) === "foreign-key") throw unknownParent();
    throw error;
  });
  ctx.log.info({ categoryId: category.id }, "category created");
  return category;
}

export async function updateCategory(ctx: ProductsContext, id: string, input: unknown): Promise<Category> {
  requireAdmin(ctx.viewer);
  const changes = parseInput(updateCategorySchema, input);
  const category = await requireCategory(ctx, id);
  const data: Prisma.CategoryUncheckedUpdateInput = {};
  if (changes.name != null) data.name = changes.name; // the slug stays
  if (changes.parentId === undefined) return ctx.prisma.category.update({ where: { id: category.id }, data });

  data.parentId = changes.parentId;
  return ctx.prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${CATEGORY_TREE_LOCK})`;
    if (changes.parentId) {
      // The new parent and all of its ancestors: the category must not be among them.
      const [found] = parseRows(
        parentCheckRow,
        await tx.$queryRaw`
        WITH RECURSIVE ancestors(id) AS (
          SELECT c.id FROM "Category" c WHERE c.id = ${changes.parentId}::uuid
          UNION
          SELECT c."parentId" FROM "Category" c JOIN ancestors a ON c.id = a.id WHERE c."parentId" IS NOT NULL
        )
        SELECT EXISTS (SELECT 1 FROM ancestors) AS "parentExists",
               EXISTS (SELECT 1 FROM ancestors WHERE id = ${category.id}::uuid) AS "wouldCycle"`,
      );
      if (!found?.parentExists) throw unknownParent();
      if (found.wouldCycle) {
        throw new BadUserInputError("input.parentId: a category cannot move below itself or one of its subcategories.", "input.parentId");
      }
    }
    await checkRoomUnder(tx, changes.parentId ?? null, category.id);
    return tx.category.update({ where: { id: category.id }, data });
  });
}

/** deleteCategory's expected refusal (see lib/errors.ts). */
export interface CategoryNotEmpty extends ErrorResult<"CategoryNotEmptyError", "CATEGORY_NOT_EMPTY"> {
  products: number;
  subcategories: number;
}

export async function deleteCategory(ctx: ProductsContext, id: string): Promise<{ id: string } | CategoryNotEmpty> {
  requireAdmin(ctx.viewer);
  const category = isUuid(id)
    ? await ctx.prisma.category.findUnique({ where: { id }, include: { _count: { select: { products: true, children: true } } } })
    : null;
  if (!category) throw new NotFoundError("Category");
  const { products, children } = category._count;
  const notEmpty = (counts: { products: number; subcategories: number }): CategoryNotEmpty => ({
    __typename: "CategoryNotEmptyError",
    code: "CATEGORY_NOT_EMPTY",
    message: `The category still has ${counts.products} products and ${counts.subcategories} subcategories; move or delete them first.`,
    ...counts,
  });
  if (products > 0 || children > 0) return notEmpty({ products, subcategories: children });
  try {
    await ctx.prisma.category.delete({ where: { id } });
  } catch (error) {
    const kind = prismaErrorKind(error);
    // A product or subcategory arrived after the count: the foreign keys refuse the delete.
    if (kind === "foreign-key") {
      const [products, subcategories] = await Promise.all([
        ctx.prisma.product.count({ where: { categoryId: id } }),
        ctx.prisma.category.count({ where: { parentId: id } }),
      ]);
      return notEmpty({ products, subcategories });
    }
    if (kind === "not-found") throw new NotFoundError("Category");
    throw error;
  }
  ctx.log.info({ categoryId: id }, "category deleted");
  return { id };
}

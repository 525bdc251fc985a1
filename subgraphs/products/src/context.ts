import type DataLoader from "dataloader";
import { z } from "zod";
import type { BaseContext } from "../../../lib/subgraph.js";
import { parseRows } from "../../../lib/database.js";
import type { Viewer } from "../../../lib/auth.js";
import { byId, groupedBy } from "../../../lib/loaders.js";
import type { Connection } from "../../../lib/pagination.js";
import type { Category, PrismaClient, Product, ProductImage } from "../../../prisma/products/__generated__/client.js";
import type { ProductDeletedHook } from "./images.js";
import type { ImageLimits } from "./imageProcessing.js";
import type { FileStorage } from "./storage.js";
import { categoryProductsLoader, type CategoryProductsKey } from "./listing.js";

export interface ProductsLoaders {
  productById: DataLoader<string, Product | null>;
  categoryById: DataLoader<string, Category | null>;
  childrenByParentId: DataLoader<string, Category[]>;
  imagesByProductId: DataLoader<string, ProductImage[]>;
  /** One page of products per category (with its subcategories), all categories of a request in one query. */
  productsByCategory: DataLoader<CategoryProductsKey, Connection<Product>, string>;
}

export interface ProductsContext extends BaseContext {
  prisma: PrismaClient;
  loaders: ProductsLoaders;
  /** Base URL image renditions are served from, without a trailing slash. */
  assetBaseUrl: string;
  /** Called after a product and its image rows are deleted, so the image storage can remove the files. */
  onProductDeleted: ProductDeletedHook;
  /** Where image files are kept. */
  storage: FileStorage;
  imageLimits: ImageLimits;
}

/** Rows of the raw loaders below, checked (lib/database.ts `parseRows`) to have every column of the model. */
const categoryRow = z.object({
  id: z.string(),
  name: z.string(),
  slug: z.string(),
  parentId: z.string().nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
}) satisfies z.ZodType<Category>;
const imageRow = z.object({
  id: z.string(),
  productId: z.string(),
  position: z.number(),
  alt: z.string().nullable(),
  width: z.number(),
  height: z.number(),
  storageKey: z.string(),
  createdAt: z.date(),
}) satisfies z.ZodType<ProductImage>;

export function createLoaders(prisma: PrismaClient, viewer: Viewer | null): ProductsLoaders {
  const loaders: ProductsLoaders = {
    productById: byId((ids) => prisma.product.findMany({ where: { id: { in: ids } } })),
    // The two loaders every product page uses run as plain SQL: Prisma 6 compiles each model query
    // on every call (no plan cache), which cost more than the statement itself here.
    categoryById: byId(async (ids) =>
      parseRows(
        categoryRow,
        await prisma.$queryRaw`
        SELECT id, name, slug, "parentId", "createdAt", "updatedAt" FROM "Category" WHERE id = ANY(${ids}::uuid[])`,
      ),
    ),
    childrenByParentId: groupedBy(
      (category) => category.parentId!,
      (parentIds) => prisma.category.findMany({ where: { parentId: { in: parentIds } }, orderBy: [{ name: "asc" }, { id: "asc" }] }),
    ),
    imagesByProductId: groupedBy(
      (image) => image.productId,
      async (productIds) =>
        parseRows(
          imageRow,
          await prisma.$queryRaw`
        SELECT id, "productId", position, alt, width, height, "storageKey", "createdAt" FROM "ProductImage"
        WHERE "productId" = ANY(${productIds}::uuid[]) ORDER BY position, id`,
        ),
    ),
    productsByCategory: categoryProductsLoader(prisma, viewer, (rows) => rows.forEach((row) => loaders.productById.prime(row.id, row))),
  };
  return loaders;
}

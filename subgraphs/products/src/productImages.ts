// Product images: upload, delete, reorder. Files are written before the row and removed again if the
// row cannot be written, so a failed upload leaves nothing behind; a deleted row takes its files along.
import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { FileUpload } from "graphql-upload-minimal";
import { requireAdmin } from "../../../lib/auth.js";
import { BadUserInputError, NotFoundError, prismaErrorKind } from "../../../lib/errors.js";
import { receiveUpload } from "../../../lib/uploads.js";
import { parseInput, uuid } from "../../../lib/validation.js";
import type { Product, ProductImage } from "../../../prisma/products/__generated__/client.js";
import type { ProductsContext } from "./context.js";
import { processImage, readUpload } from "./imageProcessing.js";
import { requireProduct } from "./products.js";
import { imageStorageKey, renditionPath } from "./images.js";

const altSchema = z.string().trim().max(300, "must be at most 300 characters").nullish();
const idSchema = uuid("must be an image id");
/** The `@listSize(assumedSize:)` of Product.images: the router's cost estimate relies on it. */
export const MAX_IMAGES_PER_PRODUCT = 10;
const tooManyImages = () => new BadUserInputError(`A product has at most ${MAX_IMAGES_PER_PRODUCT} images; delete one first.`, "productId");

export async function uploadProductImage(
  ctx: ProductsContext,
  productId: string,
  upload: Promise<FileUpload>,
  alt?: string | null,
): Promise<ProductImage> {
  requireAdmin(ctx.viewer);
  const altText = parseInput(altSchema, alt, "alt");
  await requireProduct(ctx, productId);
  // Checked before the costly image work, and again under the product's row lock below.
  if ((await ctx.prisma.productImage.count({ where: { productId } })) >= MAX_IMAGES_PER_PRODUCT) throw tooManyImages();
  const file = await receiveUpload(upload, "file");
  const bytes = await readUpload(file.createReadStream(), ctx.imageLimits.maxBytes, "file");
  const image = await processImage(bytes, ctx.imageLimits, "file");

  const id = randomUUID();
  const storageKey = imageStorageKey(productId, id);
  try {
    await Promise.all(image.renditions.map((rendition) => ctx.storage.put(renditionPath(storageKey, rendition.width), rendition.data)));
    const created = await ctx.prisma.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT 1 FROM "Product" WHERE id = ${productId}::uuid FOR UPDATE`;
      if ((await tx.productImage.count({ where: { productId } })) >= MAX_IMAGES_PER_PRODUCT) throw tooManyImages();
      const last = await tx.productImage.aggregate({ where: { productId }, _max: { position: true } });
      return tx.productImage.create({
        data: {
          id,
          productId,
          position: (last._max.position ?? -1) + 1,
          alt: altText ?? null,
          width: image.width,
          height: image.height,
          storageKey,
        },
      });
    });
    ctx.log.info({ productId, imageId: id, bytes: bytes.length }, "product image stored");
    return created;
  } catch (error) {
    await ctx.storage.deletePrefix(storageKey);
    // The product was deleted while its picture was being processed.
    if (prismaErrorKind(error) === "foreign-key") throw new NotFoundError("Product");
    throw error;
  }
}

export async function deleteProductImage(ctx: ProductsContext, id: string): Promise<Product> {
  requireAdmin(ctx.viewer);
  const imageId = parseInput(idSchema, id, "id");
  const image = await ctx.prisma.productImage.findUnique({ where: { id: imageId } });
  if (!image) throw new NotFoundError("Image");
  const deleted = await ctx.prisma.productImage.deleteMany({ where: { id: imageId } });
  if (deleted.count === 0) throw new NotFoundError("Image");
  await ctx.storage.deletePrefix(image.storageKey);
  ctx.loaders.imagesByProductId.clear(image.productId);
  return requireProduct(ctx, image.productId);
}

export async function reorderProductImages(ctx: ProductsContext, productId: string, imageIds: readonly string[]): Promise<Product> {
  requireAdmin(ctx.viewer);
  const product = await requireProduct(ctx, productId);
  await ctx.prisma.$transaction(async (tx) => {
    const current = await tx.productImage.findMany({ where: { productId }, select: { id: true } });
    const wanted = new Set(imageIds);
    if (wanted.size !== imageIds.length || wanted.size !== current.length || current.some((image) => !wanted.has(image.id))) {
      throw new BadUserInputError("imageIds must list every image of the product exactly once.", "imageIds");
    }
    await Promise.all(imageIds.map((imageId, position) => tx.productImage.update({ where: { id: imageId }, data: { position } })));
  });
  ctx.loaders.imagesByProductId.clear(productId);
  return product;
}

// Demo data for `npm start`: the category tree and products of demoCatalog.ts, inserted
// only into an empty catalog, so calling it on every start is safe. Each product gets a picture drawn
// locally by sharp (nothing is downloaded) and stored through the same pipeline as an upload.
import { randomUUID } from "node:crypto";
import sharp from "sharp";
import type { Config } from "../../../lib/config.js";
import type { Logger } from "../../../lib/logger.js";
import type { PrismaClient } from "../../../prisma/products/__generated__/client.js";
import { DEMO_CATEGORIES, DEMO_PRODUCTS } from "./demoCatalog.js";
import { firstFreeSlug, slugify } from "./slugs.js";
import { processImage } from "./imageProcessing.js";
import { imageStorageKey, renditionPath } from "./images.js";
import { LocalDiskStorage } from "./storage.js";

/** A 1200x900 picture in a colour of its own: a gradient with a few shapes. */
function demoPicture(index: number): Promise<Buffer> {
  const hue = (index * 47) % 360;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="900">
    <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">
      <stop offset="0" stop-color="hsl(${hue},70%,62%)"/><stop offset="1" stop-color="hsl(${(hue + 40) % 360},65%,38%)"/>
    </linearGradient></defs>
    <rect width="1200" height="900" fill="url(#g)"/>
    <circle cx="${300 + (index % 5) * 120}" cy="420" r="${140 + (index % 3) * 40}" fill="hsl(${(hue + 180) % 360},60%,85%)" opacity="0.85"/>
    <rect x="${650 - (index % 4) * 60}" y="260" width="300" height="300" rx="36" fill="hsl(${(hue + 90) % 360},55%,30%)" opacity="0.7"/>
  </svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

async function seedPictures(prisma: PrismaClient, config: Config, products: { id: string; name: string }[]): Promise<number> {
  const storage = new LocalDiskStorage(config.uploads.storageDir);
  const limits = { maxBytes: config.uploads.maxBytes, maxPixels: config.uploads.maxPixels };
  const rows = [];
  for (const [index, product] of products.entries()) {
    const image = await processImage(await demoPicture(index), limits, "file");
    const id = randomUUID();
    const storageKey = imageStorageKey(product.id, id);
    await Promise.all(image.renditions.map((r) => storage.put(renditionPath(storageKey, r.width), r.data)));
    rows.push({ id, productId: product.id, position: 0, alt: product.name, width: image.width, height: image.height, storageKey });
  }
  await prisma.productImage.createMany({ data: rows, skipDuplicates: true });
  return rows.length;
}

export async function seed(prisma: PrismaClient, log: Pick<Logger, "info">, config: Config): Promise<void> {
  if ((await prisma.product.count()) > 0) {
    log.info("products: catalog is not empty, demo data skipped");
    return;
  }
  const categoryIds = new Map(DEMO_CATEGORIES.map((category) => [category.slug, category.id]));
  const slugs: string[] = [];
  // Newest first lists the demo in file order: each product a minute older than the one before.
  const start = Date.now();
  const products = DEMO_PRODUCTS.map((product, index) => {
    const slug = firstFreeSlug(slugify(product.name, "product"), slugs);
    slugs.push(slug);
    const categoryId = categoryIds.get(product.categorySlug);
    if (!categoryId) throw new Error(`demo product ${product.name}: unknown category ${product.categorySlug}`);
    const createdAt = new Date(start - index * 60_000);
    return {
      id: product.id,
      name: product.name,
      slug,
      description: product.description,
      priceAmount: product.priceAmount,
      currency: product.currency,
      categoryId,
      status: product.status,
      // Demo products that are not drafts count as published (they may sit in carts and orders), as the
      // lifecycle migration decided for existing rows.
      publishedAt: product.status === "DRAFT" ? null : createdAt,
      createdAt,
      updatedAt: createdAt,
    };
  });

  await prisma.$transaction(async (tx) => {
    // Parents before children: the tree's foreign key checks each row as it is inserted.
    const parentsFirst = [...DEMO_CATEGORIES].sort((a, b) => Number(a.parentSlug !== null) - Number(b.parentSlug !== null));
    await tx.category.createMany({
      data: parentsFirst.map((category) => ({
        id: category.id,
        name: category.name,
        slug: category.slug,
        parentId: category.parentSlug ? categoryIds.get(category.parentSlug)! : null,
      })),
      skipDuplicates: true,
    });
    await tx.product.createMany({ data: products, skipDuplicates: true });
  });
  const pictures = await seedPictures(prisma, config, products);
  log.info(`products: seeded ${DEMO_CATEGORIES.length} categories, ${products.length} products and ${pictures} pictures`);
}

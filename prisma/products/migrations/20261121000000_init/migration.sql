-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- Trigram matching for typo-tolerant search (a trusted extension: the database owner may create it).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- CreateEnum
CREATE TYPE "ProductStatus" AS ENUM ('DRAFT', 'ACTIVE', 'ARCHIVED');

-- CreateTable
CREATE TABLE "Category" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "slug" TEXT NOT NULL,
    "parentId" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Category_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Product" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "slug" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "priceAmount" INTEGER NOT NULL,
    "currency" CHAR(3) NOT NULL DEFAULT 'EUR',
    "categoryId" UUID,
    "status" "ProductStatus" NOT NULL DEFAULT 'DRAFT',
    "searchVector" tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', "name"), 'A') || setweight(to_tsvector('english', "description"), 'B')
    ) STORED,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Product_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ProductImage" (
    "id" UUID NOT NULL,
    "productId" UUID NOT NULL,
    "position" INTEGER NOT NULL,
    "alt" TEXT,
    "width" INTEGER NOT NULL,
    "height" INTEGER NOT NULL,
    "storageKey" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ProductImage_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ProductAvailability" (
    "productId" UUID NOT NULL,
    "available" INTEGER NOT NULL,
    "version" BIGINT NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ProductAvailability_pkey" PRIMARY KEY ("productId")
);

-- CreateIndex
CREATE UNIQUE INDEX "Category_slug_key" ON "Category"("slug");

-- CreateIndex
CREATE INDEX "Category_parentId_idx" ON "Category"("parentId");

-- CreateIndex
CREATE UNIQUE INDEX "Product_slug_key" ON "Product"("slug");

-- CreateIndex
CREATE INDEX "Product_categoryId_idx" ON "Product"("categoryId");

-- CreateIndex
CREATE INDEX "Product_status_createdAt_id_idx" ON "Product"("status", "createdAt", "id");

-- CreateIndex
CREATE INDEX "Product_priceAmount_id_idx" ON "Product"("priceAmount", "id");

-- CreateIndex
CREATE UNIQUE INDEX "ProductImage_storageKey_key" ON "ProductImage"("storageKey");

-- CreateIndex
CREATE INDEX "ProductImage_productId_position_idx" ON "ProductImage"("productId", "position");

-- AddForeignKey
ALTER TABLE "Category" ADD CONSTRAINT "Category_parentId_fkey" FOREIGN KEY ("parentId") REFERENCES "Category"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Product" ADD CONSTRAINT "Product_categoryId_fkey" FOREIGN KEY ("categoryId") REFERENCES "Category"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ProductImage" ADD CONSTRAINT "ProductImage_productId_fkey" FOREIGN KEY ("productId") REFERENCES "Product"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Hand-written below: what Prisma's schema language cannot express.

-- Full-text search over the generated tsvector (name weight A, description weight B).
CREATE INDEX "Product_searchVector_idx" ON "Product" USING GIN ("searchVector");

-- Typo tolerance: `query <% name` (word similarity) is answered from this index.
CREATE INDEX "Product_name_trgm_idx" ON "Product" USING GIN ("name" gin_trgm_ops);

-- Sorting by name uses the ICU root collation ("apple" next to "Apple", accents near their letter).
CREATE INDEX "Product_name_icu_id_idx" ON "Product" ("name" COLLATE "und-x-icu", "id");

-- The domain rules again, so no writer can store an impossible row.
ALTER TABLE "Product" ADD CONSTRAINT "Product_priceAmount_check" CHECK ("priceAmount" >= 0);
ALTER TABLE "Product" ADD CONSTRAINT "Product_currency_check" CHECK ("currency" ~ '^[A-Z]{3}$');
ALTER TABLE "Category" ADD CONSTRAINT "Category_not_own_parent_check" CHECK ("parentId" IS DISTINCT FROM "id");
ALTER TABLE "ProductImage" ADD CONSTRAINT "ProductImage_position_check" CHECK ("position" >= 0);
ALTER TABLE "ProductImage" ADD CONSTRAINT "ProductImage_size_check" CHECK ("width" > 0 AND "height" > 0);

-- Products that were ever on sale are archived rather than deleted: remember when they were first published.
ALTER TABLE "Product" ADD COLUMN "publishedAt" TIMESTAMP(3),
ADD COLUMN "lifecycleVersion" INTEGER NOT NULL DEFAULT 1;

-- Anything not a draft today may have been carted or sold: count it as published when it was created.
UPDATE "Product" SET "publishedAt" = "createdAt" WHERE "status" <> 'DRAFT';

-- Databases seeded before the demo seed recorded publication: a product on sale has been published.
UPDATE "Product" SET "publishedAt" = "createdAt" WHERE "status" <> 'DRAFT' AND "publishedAt" IS NULL;

-- Deletion is refused for published products (they may be in carts and orders), so no code path may
-- put a product on sale without recording its publication.
ALTER TABLE "Product" ADD CONSTRAINT "Product_active_is_published" CHECK ("status" <> 'ACTIVE' OR "publishedAt" IS NOT NULL);

-- The unit price a cart line was added at, to show the customer when the live price differs.
-- Nullable: lines from before this migration have no recorded price.
ALTER TABLE "CartItem" ADD COLUMN "addedUnitAmount" INTEGER,
ADD COLUMN "addedCurrency" TEXT;

-- Order lifecycle: FULFILLED splits into SHIPPED and DELIVERED (existing FULFILLED orders become SHIPPED),
-- the totals are stored part by part, the shipping address is snapshotted and every status change is recorded.

-- Renaming keeps every FULFILLED row, now as SHIPPED.
ALTER TYPE "OrderStatus" RENAME VALUE 'FULFILLED' TO 'SHIPPED';
ALTER TYPE "OrderStatus" ADD VALUE 'DELIVERED' AFTER 'SHIPPED';

-- CreateEnum
CREATE TYPE "OrderActorKind" AS ENUM ('CUSTOMER', 'ADMIN', 'SYSTEM');

-- Existing orders had only a total: it is all subtotal, with no shipping or tax.
ALTER TABLE "Order" ADD COLUMN "subtotalAmount" INTEGER,
    ADD COLUMN "shippingAmount" INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN "taxAmount" INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN "shippingAddress" JSONB;
UPDATE "Order" SET "subtotalAmount" = "totalAmount";
ALTER TABLE "Order" ALTER COLUMN "subtotalAmount" SET NOT NULL;

ALTER TABLE "Order" ADD CONSTRAINT "Order_subtotalAmount_not_negative" CHECK ("subtotalAmount" >= 0);
ALTER TABLE "Order" ADD CONSTRAINT "Order_shippingAmount_not_negative" CHECK ("shippingAmount" >= 0);
ALTER TABLE "Order" ADD CONSTRAINT "Order_taxAmount_not_negative" CHECK ("taxAmount" >= 0);
ALTER TABLE "Order" ADD CONSTRAINT "Order_total_is_sum" CHECK ("totalAmount" = "subtotalAmount" + "shippingAmount" + "taxAmount");
ALTER TABLE "Order" ADD CONSTRAINT "Order_shippingAddress_object" CHECK ("shippingAddress" IS NULL OR jsonb_typeof("shippingAddress") = 'object');

-- CreateTable
CREATE TABLE "OrderStatusChange" (
    "id" UUID NOT NULL,
    "orderId" UUID NOT NULL,
    "status" "OrderStatus" NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actorId" UUID,
    "actorKind" "OrderActorKind" NOT NULL,
    "note" TEXT,

    CONSTRAINT "OrderStatusChange_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "OrderStatusChange_orderId_at_id_idx" ON "OrderStatusChange"("orderId", "at", "id");

-- CreateIndex
CREATE INDEX "Order_createdAt_id_idx" ON "Order"("createdAt" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "Order_status_createdAt_id_idx" ON "Order"("status", "createdAt" DESC, "id" DESC);

-- AddForeignKey
ALTER TABLE "OrderStatusChange" ADD CONSTRAINT "OrderStatusChange_orderId_fkey" FOREIGN KEY ("orderId") REFERENCES "Order"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- People act under their id, the system under none.
ALTER TABLE "OrderStatusChange" ADD CONSTRAINT "OrderStatusChange_actor" CHECK (("actorKind" = 'SYSTEM') = ("actorId" IS NULL));
ALTER TABLE "OrderStatusChange" ADD CONSTRAINT "OrderStatusChange_note_length" CHECK ("note" IS NULL OR char_length("note") <= 500);

-- Existing orders start their history with the status they have, recorded by the system.
INSERT INTO "OrderStatusChange" ("id", "orderId", "status", "at", "actorKind")
SELECT gen_random_uuid(), "id", "status", "updatedAt", 'SYSTEM' FROM "Order";

-- Checkout: unpaid orders expire, and a customer's idempotency key is claimed once per checkout.

ALTER TABLE "Order" ADD COLUMN "expiresAt" TIMESTAMP(3);

-- CreateEnum
CREATE TYPE "CheckoutRequestStatus" AS ENUM ('IN_PROGRESS', 'COMPLETE');

-- CreateTable
CREATE TABLE "CheckoutRequest" (
    "customerId" UUID NOT NULL,
    "idempotencyKey" TEXT NOT NULL,
    "orderId" UUID NOT NULL,
    "status" "CheckoutRequestStatus" NOT NULL DEFAULT 'IN_PROGRESS',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "CheckoutRequest_pkey" PRIMARY KEY ("customerId","idempotencyKey")
);

-- CreateIndex
CREATE UNIQUE INDEX "CheckoutRequest_orderId_key" ON "CheckoutRequest"("orderId");

-- Keys are what clients send: 1 to 100 printable ASCII characters.
ALTER TABLE "CheckoutRequest" ADD CONSTRAINT "CheckoutRequest_idempotencyKey_format" CHECK ("idempotencyKey" ~ '^[\x20-\x7E]{1,100}$');

-- A complete claim names an order that exists (the order is written in the same transaction).
-- Not a foreign key: an in-progress claim names an order that does not exist yet.

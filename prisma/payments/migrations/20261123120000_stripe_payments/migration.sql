-- Stripe payments (issue 8): one PaymentIntent per order, refunds, the provider's failure reason, and every Stripe event applied once.
-- CreateEnum
CREATE TYPE "RefundStatus" AS ENUM ('PENDING', 'SUCCEEDED', 'FAILED', 'CANCELLED');

-- CreateEnum
CREATE TYPE "StripeEventSource" AS ENUM ('WEBHOOK', 'RECONCILIATION');

-- CreateEnum
CREATE TYPE "PaymentEventJob" AS ENUM ('succeeded', 'failed', 'refunded');

-- AlterEnum
ALTER TYPE "PaymentStatus" ADD VALUE 'CANCELLED';

-- DropIndex
DROP INDEX "Payment_orderId_createdAt_idx";

-- AlterTable
ALTER TABLE "Payment" ADD COLUMN     "clientSecret" TEXT,
ADD COLUMN     "failureCode" TEXT,
ADD COLUMN     "failureMessage" TEXT,
ADD COLUMN     "providerEventAt" TIMESTAMP(3),
ADD COLUMN     "refundedAmount" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "Refund" (
    "id" UUID NOT NULL,
    "paymentId" UUID NOT NULL,
    "providerRefundId" TEXT NOT NULL,
    "amount" INTEGER NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "status" "RefundStatus" NOT NULL,
    "reason" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Refund_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "StripeEvent" (
    "id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "created" TIMESTAMP(3) NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "source" "StripeEventSource" NOT NULL,
    "paymentId" UUID,
    "jobName" "PaymentEventJob",
    "jobData" JSONB,
    "publishedAt" TIMESTAMP(3),

    CONSTRAINT "StripeEvent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Refund_providerRefundId_key" ON "Refund"("providerRefundId");

-- CreateIndex
CREATE INDEX "Refund_paymentId_createdAt_idx" ON "Refund"("paymentId", "createdAt");

-- CreateIndex
CREATE INDEX "StripeEvent_created_idx" ON "StripeEvent"("created");

-- CreateIndex
CREATE UNIQUE INDEX "Payment_orderId_key" ON "Payment"("orderId");

-- AddForeignKey
ALTER TABLE "Refund" ADD CONSTRAINT "Refund_paymentId_fkey" FOREIGN KEY ("paymentId") REFERENCES "Payment"("id") ON DELETE RESTRICT ON UPDATE CASCADE;


-- Hand-written: what makes a double charge or an over-refund impossible to store.
-- One payment (one PaymentIntent) per order: Payment_orderId_key above. One payment per PaymentIntent: Payment_providerPaymentId_key.
ALTER TABLE "Payment" ADD CONSTRAINT "Payment_refundedAmount_within_amount" CHECK ("refundedAmount" >= 0 AND "refundedAmount" <= "amount");
-- REFUNDED exactly when the whole amount went back (partial refunds leave the status as it was).
ALTER TABLE "Payment" ADD CONSTRAINT "Payment_refunded_status_matches" CHECK (("status" = 'REFUNDED') = ("refundedAmount" = "amount"));
ALTER TABLE "Refund" ADD CONSTRAINT "Refund_amount_positive" CHECK ("amount" > 0);
ALTER TABLE "Refund" ADD CONSTRAINT "Refund_currency_iso4217" CHECK ("currency" ~ '^[A-Z]{3}$');
ALTER TABLE "StripeEvent" ADD CONSTRAINT "StripeEvent_job_has_data" CHECK (("jobName" IS NULL) = ("jobData" IS NULL));

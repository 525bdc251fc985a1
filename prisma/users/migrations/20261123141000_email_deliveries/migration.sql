-- One row per (event, recipient): the email worker's idempotency record (subgraphs/users/src/emails/deliveries.ts).
CREATE TABLE "EmailDelivery" (
    "id" UUID NOT NULL,
    "eventKey" TEXT NOT NULL,
    "userId" UUID NOT NULL,
    "email" TEXT NOT NULL,
    "jobId" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "claimedAt" TIMESTAMP(3),
    "sentAt" TIMESTAMP(3),
    "lastError" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "EmailDelivery_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "EmailDelivery_eventKey_userId_key" ON "EmailDelivery"("eventKey", "userId");

-- Keys are short identifiers, never free text.
ALTER TABLE "EmailDelivery" ADD CONSTRAINT "EmailDelivery_eventKey_length" CHECK (char_length("eventKey") BETWEEN 1 AND 300);
ALTER TABLE "EmailDelivery" ADD CONSTRAINT "EmailDelivery_attempts_nonnegative" CHECK ("attempts" >= 0);
-- A sent email is no longer being sent.
ALTER TABLE "EmailDelivery" ADD CONSTRAINT "EmailDelivery_sent_not_claimed" CHECK ("sentAt" IS NULL OR "claimedAt" IS NULL);

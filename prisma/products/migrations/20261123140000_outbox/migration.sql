-- The transactional outbox: events written in the same transaction as the change they announce,
-- moved to BullMQ by the relay in this subgraph's worker (lib/outbox.ts), then deleted after retention.
CREATE TABLE "OutboxEvent" (
    "id" BIGSERIAL NOT NULL,
    "queue" TEXT NOT NULL,
    "jobName" TEXT NOT NULL,
    "data" JSONB NOT NULL,
    "jobId" TEXT,
    "delayMs" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sentAt" TIMESTAMP(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lastError" TEXT,

    CONSTRAINT "OutboxEvent_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "OutboxEvent_delayMs_check" CHECK ("delayMs" IS NULL OR "delayMs" >= 0),
    CONSTRAINT "OutboxEvent_attempts_check" CHECK ("attempts" >= 0)
);

-- The relay reads only unsent rows, oldest first, and retention deletes by sentAt.
CREATE INDEX "OutboxEvent_unsent_idx" ON "OutboxEvent" ("id") WHERE "sentAt" IS NULL;
CREATE INDEX "OutboxEvent_sentAt_idx" ON "OutboxEvent" ("sentAt");

// The payments worker: its own process, running reconciliation (reconciliation.ts) as a repeatable job every
// PAYMENT_RECONCILE_INTERVAL_SECONDS, so events no webhook delivered are applied within one interval, and the
// relay of payments' outbox (the payment-events jobs).
import { startOutboxRelay } from "../../../lib/outbox.js";
import { Worker } from "bullmq";
import { loadConfigOrExit } from "../../../lib/config.js";
import { createPrisma } from "../../../lib/database.js";
import { onShutdown } from "../../../lib/http.js";
import { createLogger } from "../../../lib/logger.js";
import {
  QUEUE_NAMES,
  createQueue,
  workerOptions,
  type PaymentReconciliationJobData,
  type PaymentReconciliationJobName,
} from "../../../lib/queues.js";
import { createStripeClient } from "../../../lib/stripe.js";
import { PrismaClient } from "../../../prisma/payments/__generated__/client.js";
import type { PaymentDeps } from "./context.js";
import { MAX_RECONCILE_HOURS, reconcile, type ReconciliationResult } from "./reconciliation.js";

const config = loadConfigOrExit();
const log = createLogger("payments-worker", config.logLevel);
const deps: PaymentDeps = {
  prisma: createPrisma("payments", config, PrismaClient),
  stripe: createStripeClient(config),
  log,
};

const outboxRelay = startOutboxRelay({ prisma: deps.prisma, config, log, name: "payments" });

const intervalSeconds = config.stripe.reconcileIntervalSeconds;
/** Look back three intervals (at least an hour), so a run that failed or came late leaves no gap. */
const windowHours = Math.min(MAX_RECONCILE_HOURS, Math.max(1, Math.ceil((3 * intervalSeconds) / 3600)));

const worker = new Worker<PaymentReconciliationJobData, ReconciliationResult, PaymentReconciliationJobName>(
  QUEUE_NAMES.paymentReconciliation,
  (job) => reconcile(deps, Math.min(MAX_RECONCILE_HOURS, Math.max(1, Math.trunc(job.data.hours)))),
  // One run at a time: runs overlapping would list and apply the same events twice (harmless, but wasted).
  workerOptions(config, { concurrency: 1 }),
);
worker.on("error", (err) => log.error({ err }, "reconciliation worker error"));
worker.on("failed", (job, err) => log.warn({ err, jobId: job?.id, attempts: job?.attemptsMade }, "reconciliation failed"));
await worker.waitUntilReady();

// The schedule lives in Redis; upserting it at every start keeps one schedule however many workers start.
const scheduler = createQueue(QUEUE_NAMES.paymentReconciliation, config, log);
await scheduler.upsertJobScheduler(
  "reconcile", // the scheduler id: the typed queue wants a job name here
  { every: intervalSeconds * 1000 },
  // A failed run is not retried: the next one covers the same window.
  { name: "reconcile", data: { hours: windowHours }, opts: { attempts: 1 } },
);
log.info({ queue: QUEUE_NAMES.paymentReconciliation, intervalSeconds, windowHours }, "payment reconciliation scheduled");

onShutdown(log, async () => {
  await worker.close();
  await scheduler.close();
  await outboxRelay.stop();
  await deps.prisma.$disconnect();
});

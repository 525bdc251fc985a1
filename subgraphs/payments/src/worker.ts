// The payments worker: its own process, running reconciliation (reconciliation.ts) as a repeatable job every
// PAYMENT_RECONCILE_INTERVAL_SECONDS, so events no webhook delivered are applied within one interval.
// Shutdown, /metrics and stalled-job logging: lib/workerProcess.ts.
import { Worker } from "bullmq";
import { runWorkerProcess } from "../../../lib/workerProcess.js";
import { startOutboxRelay } from "../../../lib/outbox.js";
import { createPrisma } from "../../../lib/database.js";
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

await runWorkerProcess({
  name: "payments",
  async start({ config, log }) {
    const deps: PaymentDeps = {
      prisma: createPrisma("payments", config, PrismaClient),
      stripe: createStripeClient(config),
      log,
    };
    // payment-events jobs are written to payments' outbox with each event; the relay sends them.
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
    await worker.waitUntilReady();

    // The schedule lives in Redis; upserting it at every start keeps one schedule however many workers start.
    // Its jobs get the queue's DEFAULT_JOB_OPTIONS (retention limits) merged under the template's options.
    const scheduler = createQueue(QUEUE_NAMES.paymentReconciliation, config, log);
    await scheduler.upsertJobScheduler(
      "reconcile", // the scheduler id: the typed queue wants a job name here
      { every: intervalSeconds * 1000 },
      // A failed run is not retried: the next one covers the same window.
      { name: "reconcile", data: { hours: windowHours }, opts: { attempts: 1 } },
    );
    log.info({ queue: QUEUE_NAMES.paymentReconciliation, intervalSeconds, windowHours }, "payment reconciliation scheduled");

    return {
      workers: [worker],
      measuredQueues: [QUEUE_NAMES.paymentEvents],
      async close() {
        await scheduler.close();
        await outboxRelay.stop();
        await deps.prisma.$disconnect();
      },
    };
  },
});

// The orders worker: its own process, consuming `order-expiry` (delayed jobs checkout schedules) and
// `payment-events` (published by payments from Stripe's webhooks). Both handlers are idempotent
// (orderEvents.ts), so BullMQ's retries and duplicated or out-of-order events are harmless.
// Shutdown, /metrics and stalled-job logging: lib/workerProcess.ts.
import { UnrecoverableError, Worker } from "bullmq";
import { runWorkerProcess } from "../../../lib/workerProcess.js";
import { startOutboxRelay } from "../../../lib/outbox.js";
import { createPrisma } from "../../../lib/database.js";
import {
  InvalidEventError,
  QUEUE_NAMES,
  workerOptions,
  type OrderExpiryJobData,
  type OrderExpiryJobName,
  type PaymentEventJobData,
  type PaymentEventJobName,
} from "../../../lib/queues.js";
import { createServiceClient } from "../../../lib/serviceClient.js";
import { isUuid } from "../../../lib/loaders.js";
import { PrismaClient } from "../../../prisma/orders/__generated__/client.js";
import { applyPaymentEvent, expireOrder, parsePaymentEvent, type WorkerDeps } from "./orderEvents.js";

await runWorkerProcess({
  name: "orders",
  async start({ config, log }) {
    const prisma = createPrisma("orders", config, PrismaClient);
    const deps: WorkerDeps = { prisma, services: createServiceClient(config, "orders"), checkoutRules: config.checkout };
    const outboxRelay = startOutboxRelay({ prisma, config, log, name: "orders" });

    const expiryWorker = new Worker<OrderExpiryJobData, void, OrderExpiryJobName>(
      QUEUE_NAMES.orderExpiry,
      async (job) => {
        if (!isUuid(job.data.orderId)) throw new UnrecoverableError("order-expiry job without an order id");
        await expireOrder(deps, log.child({ jobId: job.id }), job.data.orderId);
      },
      workerOptions(config, { concurrency: 8 }),
    );

    const paymentWorker = new Worker<PaymentEventJobData, void, PaymentEventJobName>(
      QUEUE_NAMES.paymentEvents,
      async (job) => {
        let event: PaymentEventJobData;
        try {
          event = parsePaymentEvent(job.data);
        } catch (error) {
          if (error instanceof InvalidEventError) throw new UnrecoverableError(error.message);
          throw error;
        }
        if (job.name !== "succeeded" && job.name !== "failed" && job.name !== "refunded") {
          throw new UnrecoverableError(`unknown payment event "${String(job.name)}"`);
        }
        await applyPaymentEvent(deps, log.child({ jobId: job.id }), job.name, event);
      },
      workerOptions(config, { concurrency: 8 }),
    );

    for (const worker of [expiryWorker, paymentWorker]) {
      await worker.waitUntilReady();
      log.info({ queue: worker.name, prefix: config.redis.prefix }, "orders worker started");
    }

    return {
      workers: [expiryWorker, paymentWorker],
      async close() {
        await outboxRelay.stop();
        await prisma.$disconnect();
      },
    };
  },
});

// The email worker: consumes the `email` queue (lib/queues.ts). For each job it reads the recipient from
// the users database and the order from the orders subgraph at send time (payloads carry ids, never
// addresses), renders the template, and sends once per (eventKey, userId) (deliveries.ts).
//
// Failures: a malformed payload, an unknown order or one of another customer, or a permanent SMTP refusal
// (5xx) end the job at once (UnrecoverableError: BullMQ's failed set, logged with the job id). Transient
// ones (SMTP 4xx, refused connections, timeouts, orders unreachable) throw, and BullMQ retries with
// exponential backoff (EMAIL_JOB_OPTIONS). A deleted recipient completes the job without an email.
import { UnrecoverableError, Worker, type Job } from "bullmq";
import { z } from "zod";
import type { Config } from "../../../../lib/config.js";
import type { Logger } from "../../../../lib/logger.js";
import { isUuid } from "../../../../lib/loaders.js";
import { QUEUE_NAMES, workerOptions, type EmailJobData, type EmailJobName } from "../../../../lib/queues.js";
import type { ServiceClient } from "../../../../lib/serviceClient.js";
import type { PrismaClient } from "../../../../prisma/users/__generated__/client.js";
import { claimDelivery, markSent, releaseClaim } from "./deliveries.js";
import { isPermanentSmtpError, messageIdDomain, type Mailer } from "./mailer.js";
import { orderForNotification } from "./orderDetails.js";
import { needsOrder, renderEmail, type EmailInput } from "./templates.js";

export interface EmailWorkerDeps {
  config: Config;
  log: Logger;
  prisma: PrismaClient;
  /** Signed as "users", for orders' orderForNotification. */
  services: ServiceClient;
  mailer: Mailer;
}

const EMAIL_JOB_NAMES = [
  "welcome",
  "order-confirmation",
  "payment-received",
  "payment-failed",
  "order-shipped",
  "order-cancelled",
  "refund-issued",
] as const satisfies readonly EmailJobName[];

const emailJobSchema = z.object({
  eventKey: z.string().min(1).max(300),
  userId: z.string().refine(isUuid, "must be a UUID"),
  orderId: z.string().refine(isUuid, "must be a UUID").optional(),
  amount: z.number().int().min(0).optional(),
  currency: z.string().min(3).max(3).optional(),
  reason: z.string().max(1000).optional(),
}) satisfies z.ZodType<EmailJobData>;

/** What a job did; the worker logs it. */
export type EmailJobOutcome = "sent" | "already-sent" | "recipient-deleted";

/** Thrown while another worker holds the delivery's claim: a retry finds it sent (or the claim stale). */
export class DeliveryInProgressError extends Error {}

function parseJob(job: Job<EmailJobData, void, EmailJobName>): { name: EmailJobName; data: EmailJobData } {
  if (!(EMAIL_JOB_NAMES as readonly string[]).includes(job.name)) throw new UnrecoverableError(`unknown email "${String(job.name)}"`);
  const parsed = emailJobSchema.safeParse(job.data);
  if (!parsed.success) {
    throw new UnrecoverableError(`malformed email job: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`);
  }
  const data = parsed.data;
  if (needsOrder(job.name) && !data.orderId) throw new UnrecoverableError(`the ${job.name} email needs an orderId`);
  if (job.name === "refund-issued" && (data.amount === undefined) !== (data.currency === undefined)) {
    throw new UnrecoverableError("refund-issued needs both amount and currency, or neither");
  }
  return { name: job.name, data };
}

/** Sends one email job's email, at most once per (eventKey, userId). */
export async function processEmailJob(deps: EmailWorkerDeps, job: Job<EmailJobData, void, EmailJobName>): Promise<EmailJobOutcome> {
  const { prisma, config } = deps;
  const log = deps.log.child({ jobId: job.id, email: job.name });
  const { name, data } = parseJob(job);

  const recipient = await prisma.user.findUnique({ where: { id: data.userId }, select: { email: true, name: true } });
  if (!recipient) {
    log.info({ userId: data.userId, eventKey: data.eventKey }, "email skipped: the recipient no longer exists");
    return "recipient-deleted";
  }

  const input: EmailInput = {
    shop: { name: config.email.shopName, url: config.email.shopUrl },
    recipient,
    reason: data.reason,
    amount: data.amount !== undefined && data.currency ? { amount: data.amount, currency: data.currency } : undefined,
  };
  if (data.orderId) {
    // ServiceCallError (orders down or slow) propagates: transient, retried.
    const order = await orderForNotification(deps.services, data.orderId, job.id);
    if (!order) throw new UnrecoverableError(`order ${data.orderId} does not exist`);
    if (order.customerId !== data.userId) throw new UnrecoverableError(`order ${data.orderId} is not the recipient's`);
    input.order = order;
  }
  const content = renderEmail(name, input);

  const claim = await claimDelivery(prisma, { eventKey: data.eventKey, userId: data.userId }, { email: name, jobId: job.id });
  if (claim.kind === "already-sent") {
    log.info({ eventKey: data.eventKey, sentAt: claim.delivery.sentAt }, "email already sent for this event: not sent again");
    return "already-sent";
  }
  if (claim.kind === "in-progress") throw new DeliveryInProgressError(`another worker is sending ${data.eventKey} to ${data.userId}`);

  const { delivery } = claim;
  try {
    await deps.mailer.send({
      ...content,
      to: { name: recipient.name, address: recipient.email },
      messageId: `<${delivery.id}@${messageIdDomain(config.email.from)}>`,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await releaseClaim(prisma, delivery, message);
    if (isPermanentSmtpError(error)) throw new UnrecoverableError(`SMTP refused the email permanently: ${message}`);
    throw error;
  }
  // If this fails (database away), the job is retried and sends again: the one duplicate SMTP allows.
  await markSent(prisma, delivery);
  log.info({ eventKey: data.eventKey, deliveryId: delivery.id, attempt: delivery.attempts }, "email sent");
  return "sent";
}

/** Starts the `email` queue's worker; failed jobs are logged with their id, as errors once they fail for good. */
export async function startEmailWorker(deps: EmailWorkerDeps): Promise<Worker<EmailJobData, void, EmailJobName>> {
  const { config, log } = deps;
  if (config.isProduction && !config.email.smtpUrlIsExplicit) log.warn("SMTP_URL is not set: emails go to smtp://127.0.0.1:1025");
  const worker = new Worker<EmailJobData, void, EmailJobName>(
    QUEUE_NAMES.email,
    async (job) => {
      await processEmailJob(deps, job);
    },
    workerOptions(config, { concurrency: 4 }),
  );
  worker.on("error", (err) => log.error({ err, queue: QUEUE_NAMES.email }, "email worker error"));
  worker.on("failed", (job, err) => {
    const final = err instanceof UnrecoverableError || (job !== undefined && job.attemptsMade >= (job.opts.attempts ?? 1));
    const details = { err, queue: QUEUE_NAMES.email, jobId: job?.id, email: job?.name, attemptsMade: job?.attemptsMade };
    if (final) log.error(details, "email job failed for good: it stays in the failed set (retry it from the dashboard)");
    else log.warn(details, "email job failed: BullMQ retries it with backoff");
  });
  await worker.waitUntilReady();
  log.info({ queue: QUEUE_NAMES.email, prefix: config.redis.prefix, smtp: new URL(config.email.smtpUrl).host }, "email worker started");
  return worker;
}

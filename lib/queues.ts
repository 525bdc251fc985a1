// BullMQ queues shared between processes: their names, job payloads and results, and the
// project's defaults for producers and workers. Payloads carry ids and numbers, never personal data.
import { Queue, QueueEvents, UnrecoverableError, Worker, type ConnectionOptions, type DefaultJobOptions, type WorkerOptions } from "bullmq";
import type { Config } from "./config.js";
import type { Logger } from "./logger.js";

// ---------------------------------------------------------------------------------------------
// stock: stock changes for an order, consumed by the inventory worker (subgraphs/inventory/src/worker.ts).

/**
 * `reserve` holds stock for an order; `release` gives it back (cancelled or expired unpaid); `commit`
 * sells it (paid); `return` puts a committed sale's units back on hand (a paid order cancelled before shipping).
 */
export type StockJobName = "reserve" | "release" | "commit" | "return";

export interface StockLine {
  productId: string;
  quantity: number;
}

/** `lines` is required for `reserve`; `release`, `commit` and `return` act on what the order reserved or sold. */
export interface StockJobData {
  orderId: string;
  lines?: StockLine[];
}

export interface StockShortage {
  productId: string;
  requested: number;
  available: number;
}

/**
 * What a stock job did. A reservation that cannot be satisfied is an answer, not a failure:
 * the job completes with INSUFFICIENT_STOCK and is not retried.
 */
export type StockJobResult =
  | { status: "RESERVED" | "RELEASED" | "COMMITTED" | "RETURNED"; lines: StockLine[] }
  /** The same change was applied before (a retried or duplicated job): nothing changed. */
  | { status: "ALREADY_APPLIED"; lines: StockLine[] }
  | { status: "INSUFFICIENT_STOCK"; shortages: StockShortage[] }
  /** release/commit for an order with no open reservation (never reserved, or already settled); return with no sale. */
  | { status: "NOTHING_RESERVED"; lines: [] };

/**
 * BullMQ refuses custom ids with one ':' in them, so the job id spells the ledger's idempotency key
 * (`${orderId}:${kind}`) with '-'. BullMQ then ignores a second add while the first job is kept;
 * the ledger key makes a job that is delivered twice change stock once regardless.
 */
export const stockJobId = (kind: StockJobName, orderId: string) => `${orderId}-${kind}`;

// ---------------------------------------------------------------------------------------------
// stock-availability: published by inventory after each committed stock change, consumed by the
// products worker to keep its read model (available, inStock) current.

export type StockAvailabilityJobName = "availability";

export interface StockAvailabilityJobData {
  productId: string;
  available: number;
  /**
   * The id of the ledger movement that produced this level (a bigint, as a decimal string).
   * Grows with every change of a product: a consumer ignores an event older than what it has.
   */
  version: string;
}

// Availability jobs get no custom id: BullMQ keeps finished job ids, and a version number can come
// round again (a database rebuilt under the same Redis), which would silently drop the new event.
// Duplicates are harmless instead: the consumer ignores anything not newer than what it has.

// ---------------------------------------------------------------------------------------------
// product-lifecycle: published by the products subgraph after a product is created, changes status
// or is deleted; consumed by the inventory worker into its KnownProduct table.

export type ProductLifecycleJobName = "created" | "status-changed" | "deleted";

export interface ProductLifecycleJobData {
  productId: string;
  /** The product's status after the change; DELETED once it is gone. */
  status: "DRAFT" | "ACTIVE" | "ARCHIVED" | "DELETED";
  /** The product's lifecycle version: grows with every event of the product; older events are ignored. */
  version: number;
}

// No custom job ids either, for the same reason as availability events.

// ---------------------------------------------------------------------------------------------
// payment-events: published by the payments subgraph when a Stripe event changes a payment, consumed
// by the orders worker, which moves the order (PAID, REFUNDED) and its stock. One job per Stripe event.

export type PaymentEventJobName = "succeeded" | "failed" | "refunded";

export interface PaymentEventJobData {
  /** The Stripe event (evt_...) this came from. */
  eventId: string;
  orderId: string;
  /** The payments subgraph's Payment id. */
  paymentId: string;
  /** The PaymentIntent (pi_...). */
  providerPaymentId: string;
  /** The payment's amount, minor units. */
  amount: number;
  currency: string;
  /** Minor units refunded so far (for "refunded"; 0 otherwise). */
  refundedAmount: number;
  /** "failed": the provider's message for people (e.g. "Your card was declined."), when it gave one. */
  failureMessage?: string;
}

/** The job id: one job per Stripe event, so a replayed event that is still kept is not queued twice. */
export const paymentEventJobId = (eventId: string) => `payment-${eventId}`;

// ---------------------------------------------------------------------------------------------
// order-expiry: delayed jobs the orders subgraph schedules when a checkout starts; the orders worker
// cancels the order if it is still unpaid then (or releases a reservation a failed checkout left).

export type OrderExpiryJobName = "expire";

export interface OrderExpiryJobData {
  orderId: string;
}

export const orderExpiryJobId = (orderId: string) => `${orderId}-expire`;

// ---------------------------------------------------------------------------------------------
// payment-reconciliation: a repeatable job of the payments worker that lists Stripe's recent events
// and applies those no webhook delivered.

export type PaymentReconciliationJobName = "reconcile";

export interface PaymentReconciliationJobData {
  /** How far back to look. */
  hours: number;
}

// ---------------------------------------------------------------------------------------------
// email: one job per email to send, consumed by the email worker (in the users subgraph's worker,
// which owns the addresses). Payloads carry ids and amounts, never addresses or names: the worker
// reads them when it sends.

export type EmailJobName =
  "welcome" | "order-confirmation" | "payment-received" | "payment-failed" | "order-shipped" | "order-cancelled" | "refund-issued";

export interface EmailJobData {
  /**
   * What happened, unique per event (e.g. `order-confirmation:<orderId>`, `payment-failed:<Stripe event id>`):
   * with the recipient, the key that makes sending idempotent (one email per event and recipient).
   */
  eventKey: string;
  /** The recipient (users subgraph). */
  userId: string;
  /** The order the email is about, for every email but welcome. */
  orderId?: string;
  /** refund-issued: the amount refunded, minor units, and its currency. */
  amount?: number;
  currency?: string;
  /** payment-failed: the provider's message for people (e.g. "Your card was declined."). */
  reason?: string;
}

/** BullMQ ids may not hold ':'; the email's job id spells its idempotency key with '-'. */
export const emailJobId = (name: EmailJobName, data: Pick<EmailJobData, "eventKey" | "userId">) =>
  `email-${name}-${data.eventKey}-${data.userId}`.replaceAll(":", "-");

// ---------------------------------------------------------------------------------------------

/** Every queue and what its jobs carry; `createQueue` and typed workers read it. */
export interface QueueTypes {
  stock: { name: StockJobName; data: StockJobData; result: StockJobResult };
  "stock-availability": { name: StockAvailabilityJobName; data: StockAvailabilityJobData; result: void };
  "product-lifecycle": { name: ProductLifecycleJobName; data: ProductLifecycleJobData; result: void };
  "payment-events": { name: PaymentEventJobName; data: PaymentEventJobData; result: void };
  "order-expiry": { name: OrderExpiryJobName; data: OrderExpiryJobData; result: void };
  "payment-reconciliation": { name: PaymentReconciliationJobName; data: PaymentReconciliationJobData; result: void };
  email: { name: EmailJobName; data: EmailJobData; result: void };
}
export type QueueName = keyof QueueTypes;

export const QUEUE_NAMES = {
  stock: "stock",
  stockAvailability: "stock-availability",
  productLifecycle: "product-lifecycle",
  paymentEvents: "payment-events",
  orderExpiry: "order-expiry",
  paymentReconciliation: "payment-reconciliation",
  email: "email",
} as const satisfies Record<string, QueueName>;

export type TypedQueue<N extends QueueName> = Queue<QueueTypes[N]["data"], QueueTypes[N]["result"], QueueTypes[N]["name"]>;

export const DEFAULT_JOB_OPTIONS: DefaultJobOptions = {
  attempts: 5,
  backoff: { type: "exponential", delay: 1_000 },
  // Keep recent history for inspection and BullMQ's job-id deduplication, but bounded.
  removeOnComplete: { count: 1_000, age: 24 * 3600 },
  removeOnFail: { count: 5_000, age: 7 * 24 * 3600 },
};

/**
 * Queues whose jobs need other retry options than DEFAULT_JOB_OPTIONS; `createQueue` applies them, so every
 * producer of the queue agrees. Emails: 10 attempts 2 s apart doubling (the last about 17 min after the
 * first, 34 min in all), so an SMTP outage of half an hour loses nothing.
 */
export const JOB_OPTIONS_BY_QUEUE: Partial<Record<QueueName, DefaultJobOptions>> = {
  email: { attempts: 10, backoff: { type: "exponential", delay: 2_000 } },
};

/** Producers fail fast while Redis is down instead of queueing commands in memory. */
export function producerConnection(config: Config): ConnectionOptions {
  return { url: config.redis.url, enableOfflineQueue: false };
}

/** Workers and event listeners block on Redis; they must retry indefinitely. */
export function workerConnection(config: Config): ConnectionOptions {
  return { url: config.redis.url, maxRetriesPerRequest: null };
}

/** A producer for one of the project's queues, with its defaults and an error handler. */
export function createQueue<N extends QueueName>(name: N, config: Config, log: Logger): TypedQueue<N> {
  const queue: TypedQueue<N> = new Queue(name, {
    connection: producerConnection(config),
    prefix: config.redis.prefix,
    defaultJobOptions: { ...DEFAULT_JOB_OPTIONS, ...JOB_OPTIONS_BY_QUEUE[name] },
  });
  queue.on("error", (err) => log.error({ err, queue: name }, "queue error"));
  return queue;
}

/**
 * Stalled jobs, set explicitly rather than left to BullMQ's defaults: a worker holds each active job's lock for
 * `lockDuration` and renews it while the job runs; every `stalledInterval` each worker looks for active jobs
 * whose lock expired (their process died, or blocked its event loop) and moves them back to waiting. Handlers
 * are idempotent, so running such a job again is safe; one that stalls more than `maxStalledCount` times
 * (say, it crashes its process) is failed instead of looping. Workers log 'stalled' (lib/workerProcess.ts).
 */
export const STALLED_JOB_OPTIONS = {
  lockDuration: 30_000,
  stalledInterval: 30_000,
  maxStalledCount: 2,
} as const satisfies Partial<WorkerOptions>;

/** Options for a `Worker` of one of the project's queues. */
export function workerOptions(config: Config, overrides: Partial<Omit<WorkerOptions, "connection" | "prefix">> = {}): WorkerOptions {
  return { connection: workerConnection(config), prefix: config.redis.prefix, ...STALLED_JOB_OPTIONS, ...overrides };
}

/** A payload an event consumer cannot read: it stays unreadable, so its job fails once, without retries. */
export class InvalidEventError extends Error {}

type EventQueue = { [N in QueueName]: QueueTypes[N]["result"] extends void ? N : never }[QueueName];

/**
 * Starts a worker for one of the versioned event queues (availability, product lifecycle): each
 * payload is read with `parse` (which throws InvalidEventError for a malformed one) and applied with
 * `apply`, which answers whether it changed anything (consumers ignore events that are not newer,
 * so duplicates and retries are harmless).
 */
export async function startEventWorker<N extends EventQueue>(options: {
  queue: N;
  config: Config;
  log: Logger;
  parse: (data: unknown) => QueueTypes[N]["data"];
  apply: (event: QueueTypes[N]["data"]) => Promise<boolean>;
  concurrency?: number;
}): Promise<Worker<QueueTypes[N]["data"], void, QueueTypes[N]["name"]>> {
  const { queue, config, log } = options;
  const worker = new Worker<QueueTypes[N]["data"], void, QueueTypes[N]["name"]>(
    queue,
    async (job) => {
      let event: QueueTypes[N]["data"];
      try {
        event = options.parse(job.data);
      } catch (error) {
        if (error instanceof InvalidEventError) throw new UnrecoverableError(error.message);
        throw error;
      }
      const changed = await options.apply(event);
      log.debug({ queue, jobId: job.id, event, changed }, changed ? "event applied" : "event superseded");
    },
    // Jobs carry the producer's retry and retention options (DEFAULT_JOB_OPTIONS).
    workerOptions(config, { concurrency: options.concurrency ?? 16 }),
  );
  // Errors, failed and stalled jobs are logged by the worker process (lib/workerProcess.ts watchWorker).
  await worker.waitUntilReady();
  log.info({ queue, prefix: config.redis.prefix }, "event worker started");
  return worker;
}

/** Listens to a queue's events (completed, failed), e.g. for `job.waitUntilFinished`. */
export function createQueueEvents(name: QueueName, config: Config, log: Logger): QueueEvents {
  const events = new QueueEvents(name, { connection: workerConnection(config), prefix: config.redis.prefix });
  events.on("error", (err) => log.error({ err, queue: name }, "queue events error"));
  return events;
}

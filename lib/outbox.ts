// The transactional outbox. A subgraph that commits a change other processes must hear about writes the
// queue job into its own OutboxEvent table in the same transaction (writeOutbox), so the event exists if and
// only if the change does. The relay (startOutboxRelay, run in the subgraph's worker, in every replica) moves
// unsent rows to BullMQ and marks them sent:
//   - rows are claimed with FOR UPDATE SKIP LOCKED inside a transaction that lasts until they are marked sent,
//     so two relays never send the same row at the same moment;
//   - delivery is at least once (a relay that dies between BullMQ's add and the commit sends the rows again):
//     rows with a jobId are deduplicated by BullMQ while it keeps the job, and every consumer is idempotent
//     (versions, ledger keys, status moves under row locks, one email per event and recipient);
//   - while Redis is unreachable the relay backs off (exponential, capped) and catches up when it returns;
//   - sent rows are deleted after OUTBOX_RETENTION_SECONDS.
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { Counter, Gauge } from "prom-client";
import { z } from "zod";
import type { Config } from "./config.js";
import { parseRows } from "./database.js";
import type { Logger } from "./logger.js";
import { DEFAULT_JOB_OPTIONS, JOB_OPTIONS_BY_QUEUE, type QueueName, type QueueTypes } from "./queues.js";
import { registry } from "./metrics.js";

/** One job for one of the project's queues, type-checked against QueueTypes. */
export type OutboxEvent = {
  [N in QueueName]: {
    queue: N;
    name: QueueTypes[N]["name"];
    data: QueueTypes[N]["data"];
    /** BullMQ's job id: a second add of the same id is ignored while BullMQ keeps the job. */
    jobId?: string;
    /** A delayed job, due this long after the transaction wrote it (not after the relay sent it). */
    delayMs?: number;
  };
}[QueueName];

/** Builds a typed outbox event: `outboxEvent("stock", "commit", { orderId }, { jobId })`. */
export function outboxEvent<N extends QueueName>(
  queue: N,
  name: QueueTypes[N]["name"],
  data: QueueTypes[N]["data"],
  options: { jobId?: string; delayMs?: number } = {},
): OutboxEvent {
  return { queue, name, data, ...options } as OutboxEvent;
}

/** What writeOutbox needs of a Prisma client or transaction: every subgraph's generated client has it. */
export interface OutboxSql {
  $executeRaw(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<number>;
  $queryRaw(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<unknown>;
}

/** What the relay needs of a subgraph's Prisma client. */
export interface OutboxPrisma extends OutboxSql {
  $transaction<R>(work: (tx: OutboxSql) => Promise<R>, options?: { maxWait?: number; timeout?: number }): Promise<R>;
}

/**
 * Writes events into the subgraph's OutboxEvent table. Call it with the transaction of the change the events
 * announce (`prisma.$transaction(async (tx) => { ...; await writeOutbox(tx, events) })`), so both commit or neither.
 */
export async function writeOutbox(tx: OutboxSql, events: readonly OutboxEvent[]): Promise<void> {
  if (events.length === 0) return;
  const queues = events.map((e) => e.queue);
  const names = events.map((e) => e.name);
  const data = events.map((e) => JSON.stringify(e.data));
  const jobIds = events.map((e) => e.jobId ?? null);
  const delays = events.map((e) => (e.delayMs === undefined ? null : Math.max(0, Math.round(e.delayMs))));
  await tx.$executeRaw`
    INSERT INTO "OutboxEvent" (queue, "jobName", data, "jobId", "delayMs")
    SELECT q, n, d::jsonb, j, ms FROM unnest(${queues}::text[], ${names}::text[], ${data}::text[], ${jobIds}::text[], ${delays}::int[])
      AS e(q, n, d, j, ms)`;
}

// --- Metrics ---------------------------------------------------------------------------------------

/** The outboxes this process relays, read when /metrics is scraped. */
const measured = new Map<string, OutboxSql>();

const backlogRow = z.object({ backlog: z.bigint(), oldestAgeSeconds: z.number().nullable() });

async function measure(prisma: OutboxSql): Promise<z.infer<typeof backlogRow>> {
  const [row] = parseRows(
    backlogRow,
    await prisma.$queryRaw`
      SELECT count(*) AS backlog, EXTRACT(EPOCH FROM now() - min("createdAt"))::float8 AS "oldestAgeSeconds"
      FROM "OutboxEvent" WHERE "sentAt" IS NULL`,
  );
  return row ?? { backlog: 0n, oldestAgeSeconds: null };
}

/** Read once per scrape for both gauges. */
let scrape: Promise<Map<string, z.infer<typeof backlogRow>>> | undefined;
function measureAll(): Promise<Map<string, z.infer<typeof backlogRow>>> {
  scrape ??= (async () => {
    const results = new Map<string, z.infer<typeof backlogRow>>();
    for (const [subgraph, prisma] of measured) {
      // A database that cannot answer leaves its gauges out of this scrape rather than failing /metrics.
      const result = await measure(prisma).catch(() => undefined);
      if (result) results.set(subgraph, result);
    }
    return results;
  })().finally(() => setTimeout(() => (scrape = undefined), 0));
  return scrape;
}

export const outboxBacklog = new Gauge({
  name: "shopgraph_outbox_backlog",
  help: "Outbox rows not yet sent to BullMQ",
  labelNames: ["subgraph"] as const,
  registers: [registry],
  async collect() {
    this.reset();
    for (const [subgraph, { backlog }] of await measureAll()) this.set({ subgraph }, Number(backlog));
  },
});

export const outboxOldestAge = new Gauge({
  name: "shopgraph_outbox_oldest_unsent_age_seconds",
  help: "Age of the oldest outbox row not yet sent to BullMQ (0 when none is waiting)",
  labelNames: ["subgraph"] as const,
  registers: [registry],
  async collect() {
    this.reset();
    for (const [subgraph, { oldestAgeSeconds }] of await measureAll()) this.set({ subgraph }, oldestAgeSeconds ?? 0);
  },
});

export const outboxSent = new Counter({
  name: "shopgraph_outbox_sent_total",
  help: "Outbox rows the relay added to BullMQ",
  labelNames: ["subgraph"] as const,
  registers: [registry],
});

export const outboxRelayFailures = new Counter({
  name: "shopgraph_outbox_relay_failures_total",
  help: "Relay rounds that could not reach Redis or the database (each followed by a backoff)",
  labelNames: ["subgraph"] as const,
  registers: [registry],
});

// --- Retention -------------------------------------------------------------------------------------

/** Deletes rows sent more than `retentionSeconds` ago (a batch at a time); unsent rows are never deleted. */
export async function deleteSentOutboxRows(prisma: OutboxSql, retentionSeconds: number, batchSize = 10_000): Promise<number> {
  let deleted = 0;
  for (;;) {
    const count = await prisma.$executeRaw`
      DELETE FROM "OutboxEvent" WHERE id IN (
        SELECT id FROM "OutboxEvent"
        WHERE "sentAt" IS NOT NULL AND "sentAt" < now() - make_interval(secs => ${retentionSeconds}::float8)
        LIMIT ${batchSize}::int)`;
    deleted += count;
    if (count < batchSize) return deleted;
  }
}

// --- The relay -------------------------------------------------------------------------------------

export interface OutboxRelayOptions {
  prisma: OutboxPrisma;
  config: Config;
  log: Logger;
  /** The subgraph whose outbox this is: the metrics' label. */
  name: string;
  /** How often an idle relay looks for new rows. */
  pollIntervalMs?: number;
  /** Rows claimed per transaction. */
  batchSize?: number;
  /** The first wait after a failure; it doubles with each failure in a row up to maxBackoffMs. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** How often sent rows past their retention are deleted. */
  retentionIntervalMs?: number;
}

export interface OutboxRelay {
  /** Resolves once the relay has stopped (the round in hand finished) and its Redis connection is closed. */
  stop(): Promise<void>;
  /** Rows sent and failed rounds so far (tests, logs). */
  readonly stats: { sent: number; failures: number; consecutiveFailures: number };
}

const claimedRow = z.object({
  id: z.bigint(),
  queue: z.string(),
  jobName: z.string(),
  data: z.unknown(),
  jobId: z.string().nullable(),
  delayMs: z.number().nullable(),
  createdAt: z.date(),
});

const existsRow = z.object({ exists: z.boolean() });

/** How long one add to Redis may take before the round counts as failed (the claimed rows stay unsent). */
const ADD_TIMEOUT_MS = 5_000;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Starts relaying the subgraph's outbox to BullMQ; runs until stop(). */
export function startOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { prisma, config, name } = options;
  const pollIntervalMs = options.pollIntervalMs ?? 200;
  const batchSize = options.batchSize ?? 200;
  const minBackoffMs = options.minBackoffMs ?? 250;
  const maxBackoffMs = options.maxBackoffMs ?? 10_000;
  const retentionIntervalMs = options.retentionIntervalMs ?? 60_000;
  const log = options.log.child({ outbox: name });
  measured.set(name, prisma);

  // One connection for every queue: producers fail fast (no offline queue), so a round never waits on Redis.
  const redis = new Redis(config.redis.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(times * 100, 2_000),
  });
  let lastRedisError = 0;
  redis.on("error", (err) => {
    // ioredis reports every reconnection attempt; one line every 10 s is enough.
    if (Date.now() - lastRedisError > 10_000) log.warn({ err }, "outbox relay: Redis unreachable; rows wait in the outbox");
    lastRedisError = Date.now();
  });
  const queues = new Map<string, Queue>();
  const queueOf = (queue: string) => {
    let q = queues.get(queue);
    if (!q) {
      q = new Queue(queue, {
        connection: redis,
        prefix: config.redis.prefix,
        defaultJobOptions: { ...DEFAULT_JOB_OPTIONS, ...JOB_OPTIONS_BY_QUEUE[queue as QueueName] },
      });
      q.on("error", (err) => log.debug({ err, queue }, "outbox relay: queue error"));
      queues.set(queue, q);
    }
    return q;
  };

  const stats = { sent: 0, failures: 0, consecutiveFailures: 0 };
  let stopped = false;
  let wake: (() => void) | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        redis.off("ready", done);
        wake = undefined;
        resolve();
      }
      wake = done;
      // Redis back: catch up at once rather than at the end of the backoff.
      redis.once("ready", done);
    });

  /** Claims up to batchSize unsent rows, adds them to BullMQ and marks them sent; answers how many it claimed. */
  const relayRound = () =>
    prisma.$transaction(
      async (tx) => {
        const rows = parseRows(
          claimedRow,
          await tx.$queryRaw`
            SELECT id, queue, "jobName", data, "jobId", "delayMs", "createdAt" FROM "OutboxEvent"
            WHERE "sentAt" IS NULL ORDER BY id LIMIT ${batchSize}::int FOR UPDATE SKIP LOCKED`,
        );
        if (rows.length === 0) return 0;
        const byQueue = new Map<string, typeof rows>();
        for (const row of rows) byQueue.set(row.queue, [...(byQueue.get(row.queue) ?? []), row]);
        const sent: bigint[] = [];
        let failure: Error | undefined;
        const now = Date.now();
        for (const [queue, queued] of byQueue) {
          try {
            await withTimeout(
              queueOf(queue).addBulk(
                queued.map((row) => ({
                  name: row.jobName,
                  data: row.data,
                  opts: {
                    ...(row.jobId ? { jobId: row.jobId } : {}),
                    // Due when the transaction said, however long the row waited here.
                    ...(row.delayMs !== null ? { delay: Math.max(0, row.createdAt.getTime() + row.delayMs - now) } : {}),
                  },
                })),
              ),
              ADD_TIMEOUT_MS,
              `adding ${queued.length} jobs to ${queue}`,
            );
            sent.push(...queued.map((row) => row.id));
          } catch (error) {
            failure = error as Error;
          }
        }
        if (sent.length > 0) {
          await tx.$executeRaw`UPDATE "OutboxEvent" SET "sentAt" = now(), attempts = attempts + 1 WHERE id = ANY(${sent}::bigint[])`;
        }
        if (failure) {
          const unsent = rows.map((row) => row.id).filter((id) => !sent.includes(id));
          await tx.$executeRaw`
            UPDATE "OutboxEvent" SET attempts = attempts + 1, "lastError" = ${failure.message.slice(0, 1000)}
            WHERE id = ANY(${unsent}::bigint[])`;
        }
        return { claimed: rows.length, sent: sent.length, failure };
      },
      { maxWait: 10_000, timeout: 30_000 },
    );

  const hasUnsent = async () =>
    parseRows(existsRow, await prisma.$queryRaw`SELECT EXISTS (SELECT 1 FROM "OutboxEvent" WHERE "sentAt" IS NULL) AS "exists"`)[0]
      ?.exists === true;

  const backoff = () => Math.min(maxBackoffMs, minBackoffMs * 2 ** Math.min(stats.consecutiveFailures - 1, 20));

  const loop = async () => {
    let lastRetention = 0;
    while (!stopped) {
      try {
        if (Date.now() - lastRetention >= retentionIntervalMs) {
          lastRetention = Date.now();
          const deleted = await deleteSentOutboxRows(prisma, config.outbox.retentionSeconds);
          if (deleted > 0) log.info({ deleted }, "outbox: sent rows past retention deleted");
        }
        if (redis.status !== "ready") {
          // Nothing can be sent: leave the rows unclaimed (other replicas may have Redis) and wait.
          stats.consecutiveFailures++;
          stats.failures++;
          outboxRelayFailures.labels(name).inc();
          await sleep(backoff());
          continue;
        }
        if (!(await hasUnsent())) {
          stats.consecutiveFailures = 0;
          await sleep(pollIntervalMs);
          continue;
        }
        const round = await relayRound();
        if (round === 0) continue;
        stats.sent += round.sent;
        outboxSent.labels(name).inc(round.sent);
        if (round.failure) throw round.failure;
        stats.consecutiveFailures = 0;
        // A full batch: there may be more, go on at once.
        if (round.claimed < batchSize) await sleep(pollIntervalMs);
      } catch (err) {
        stats.consecutiveFailures++;
        stats.failures++;
        outboxRelayFailures.labels(name).inc();
        const delayMs = backoff();
        log.warn({ err, retryInMs: delayMs }, "outbox relay: round failed; backing off");
        await sleep(delayMs);
      }
    }
  };

  const running = loop();
  log.info({ pollIntervalMs, retentionSeconds: config.outbox.retentionSeconds }, "outbox relay started");
  let stopping: Promise<void> | undefined;
  return {
    stats,
    stop() {
      stopping ??= (async () => {
        stopped = true;
        wake?.();
        await running;
        for (const queue of queues.values()) await queue.close().catch(() => undefined);
        redis.disconnect();
        if (measured.get(name) === prisma) measured.delete(name);
      })();
      return stopping;
    },
  };
}

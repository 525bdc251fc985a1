// What every BullMQ worker process shares (subgraphs/*/src/worker.ts): the Redis eviction check, logging of
// failed and stalled jobs, /metrics and /health, and graceful shutdown on SIGTERM/SIGINT.
//
//   await runWorkerProcess({ name: "inventory", start: async ({ config, log }) => ({ workers: [...], close }) });
//
// Shutdown: `worker.close()` stops taking new jobs and waits for the active ones to finish; after
// WORKER_SHUTDOWN_TIMEOUT_MS the process exits anyway (code 1) and the unfinished jobs, whose locks then
// expire, are moved back to waiting by another worker's stalled-job check and run again (handlers are
// idempotent). Then `close` (queues, Prisma), the metrics server, exit 0.
import http from "node:http";
import { Queue, type Worker } from "bullmq";
import { Redis } from "ioredis";
import { Gauge } from "prom-client";
import { loadConfigOrExit, type Config, type SubgraphName } from "./config.js";
import { listen } from "./http.js";
import { createLogger, type Logger } from "./logger.js";
import { registry } from "./metrics.js";
import { producerConnection, type QueueName } from "./queues.js";

/** Job states counted per queue on every scrape. */
export const COUNTED_JOB_STATES = ["waiting", "active", "delayed", "failed", "completed"] as const;

export const EVICTION_WARNING = (policy: string) =>
  `Redis maxmemory-policy is ${policy}; BullMQ needs noeviction or jobs can be lost. Set maxmemory-policy noeviction.`;

/** Redis's maxmemory-policy, or undefined where CONFIG is not allowed (some managed Redis services). */
export async function readEvictionPolicy(redis: Redis): Promise<string | undefined> {
  const reply = (await redis.config("GET", "maxmemory-policy").catch(() => [])) as string[];
  return reply[1];
}

/** Warns (never fails) when Redis may evict BullMQ's keys. Gives up quietly if Redis does not answer in time. */
export async function checkEvictionPolicy(config: Config, log: Logger): Promise<string | undefined> {
  const redis = new Redis(config.redis.url, {
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on("error", () => undefined);
  try {
    await redis.connect();
    const policy = await readEvictionPolicy(redis);
    if (policy && policy !== "noeviction") log.warn({ policy }, EVICTION_WARNING(policy));
    return policy;
  } catch (error) {
    log.warn({ err: error }, "could not read Redis maxmemory-policy");
    return undefined;
  } finally {
    redis.disconnect();
  }
}

/** Logs a worker's errors, failed jobs (with the job id) and stalled jobs. */
export function watchWorker(worker: AnyWorker, log: Logger): void {
  const queue = worker.name;
  worker.on("error", (err) => log.error({ err, queue }, "worker error"));
  worker.on("failed", (job, err) =>
    log.warn({ err, queue, jobId: job?.id, job: job?.name, attemptsMade: job?.attemptsMade }, "job failed"),
  );
  // A job whose worker stopped renewing its lock (crashed, or its event loop blocked): BullMQ moves it back to
  // waiting, or fails it after maxStalledCount stalls (lib/queues.ts workerOptions).
  worker.on("stalled", (jobId, previousState) => log.warn({ queue, jobId, previousState }, "job stalled"));
}

let queueJobsGauge: Gauge<"queue" | "state"> | undefined;
const measuredQueues = new Map<string, Queue>();

/**
 * `shopgraph_queue_jobs{queue, state}` in the shared registry: the job counts of the given queues, read
 * from Redis (queue.getJobCounts) when /metrics is scraped.
 */
export function measureQueues(queues: Queue[], log: Logger): void {
  for (const queue of queues) measuredQueues.set(queue.name, queue);
  queueJobsGauge ??= new Gauge({
    name: "shopgraph_queue_jobs",
    help: "Jobs in each BullMQ queue by state (waiting, active, delayed, failed, completed), read at scrape time",
    labelNames: ["queue", "state"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      await Promise.all(
        [...measuredQueues.values()].map(async (queue) => {
          try {
            const counts = await queue.getJobCounts(...COUNTED_JOB_STATES);
            for (const state of COUNTED_JOB_STATES) this.labels(queue.name, state).set(counts[state] ?? 0);
          } catch (error) {
            log.warn({ err: error, queue: queue.name }, "could not count a queue's jobs");
          }
        }),
      );
    },
  });
}

/** GET /metrics (the shared registry) and GET /health, on `port` at HOST. */
export async function startMetricsServer(config: Config, port: number, log: Logger): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0];
    if (req.method === "GET" && path === "/health") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ status: "ok" }));
    } else if (req.method === "GET" && path === "/metrics") {
      registry.metrics().then(
        (text) => res.writeHead(200, { "content-type": registry.contentType }).end(text),
        (error: unknown) => {
          log.error({ err: error }, "could not collect metrics");
          res.writeHead(500).end();
        },
      );
    } else {
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ errors: [{ message: "Not found." }] }));
    }
  });
  await listen(server, port, config.host);
  const address = server.address();
  log.info({ port: typeof address === "object" && address ? address.port : port }, "worker metrics listening");
  return server;
}

/** A worker of any queue: the process only watches and closes it, whatever its jobs carry. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Worker is invariant in its job types
export type AnyWorker = Worker<any, any, any>;

export interface WorkerProcessContext {
  config: Config;
  log: Logger;
}

export interface StartedWorkers {
  /** Every BullMQ worker the process runs; each is watched, measured and closed gracefully. */
  workers: AnyWorker[];
  /** More queues to count on /metrics (the workers' own queues are counted anyway). */
  measuredQueues?: QueueName[];
  /** Closes what `start` opened besides the workers (queues it produces to, Prisma), after they stopped. */
  close?: () => Promise<void>;
}

/**
 * Runs a worker process: checks Redis's eviction policy, calls `start`, serves /metrics and /health on
 * <NAME>_WORKER_METRICS_PORT, and shuts down gracefully on SIGTERM or SIGINT (a second signal exits at once).
 */
export async function runWorkerProcess(options: {
  name: SubgraphName;
  start: (context: WorkerProcessContext) => Promise<StartedWorkers>;
}): Promise<void> {
  const config = loadConfigOrExit();
  const log = createLogger(`${options.name}-worker`, config.logLevel);
  // Not awaited: a worker starts (and waits for Redis) whether or not the check can run.
  checkEvictionPolicy(config, log).catch(() => undefined);

  const started = await options.start({ config, log });
  for (const worker of started.workers) watchWorker(worker, log);
  const queueNames = new Set<string>([...started.workers.map((worker) => worker.name), ...(started.measuredQueues ?? [])]);
  const counted = [...queueNames].map((name) => {
    const queue = new Queue(name, { connection: producerConnection(config), prefix: config.redis.prefix });
    queue.on("error", (err) => log.warn({ err, queue: name }, "metrics queue error"));
    return queue;
  });
  measureQueues(counted, log);
  const server = await startMetricsServer(config, config.workers.metricsPorts[options.name], log);
  log.info({ queues: [...queueNames], prefix: config.redis.prefix }, "worker process started");

  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, "second signal: exiting without waiting for active jobs");
      process.exit(1);
    }
    stopping = true;
    const timeoutMs = config.workers.shutdownTimeoutMs;
    log.info({ signal, timeoutMs }, "shutting down: finishing active jobs");
    // One bound for the whole shutdown: a job stuck (or a close that hangs) must not keep the process alive.
    // Exiting drops its connections, so an unfinished job's transaction rolls back and its lock expires.
    setTimeout(() => {
      log.error({ timeoutMs }, "shutdown did not finish in time; exiting (unfinished jobs run again once their locks expire)");
      process.exit(1);
    }, timeoutMs).unref();
    try {
      await Promise.all(started.workers.map((worker) => worker.close()));
      await Promise.allSettled(counted.map((queue) => queue.close()));
      await started.close?.();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    } catch (error) {
      log.error({ err: error }, "error during shutdown");
      process.exit(1);
    }
    log.info({ outcome: "drained" }, "worker process stopped");
    process.exit(0);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    stop(signal).catch((error: unknown) => {
      log.error({ err: error }, "error during shutdown");
      process.exit(1);
    });
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}

// The outbox relay (lib/outbox.ts) against real PostgreSQL and Redis: relays started in this process over a
// scratch database of their own (only the OutboxEvent table, from the users migration), so the stack's
// workers never touch these rows, and queues under a Redis prefix of their own.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { Queue } from "bullmq";
import pg from "pg";
import type { Config } from "../lib/config.js";
import { databaseName, maintenanceUrl, prismaAdapter } from "../lib/database.js";
import { createLogger } from "../lib/logger.js";
import { registry } from "../lib/metrics.js";
import { deleteSentOutboxRows, outboxEvent, startOutboxRelay, writeOutbox, type OutboxRelay } from "../lib/outbox.js";
import { PrismaClient } from "../prisma/users/__generated__/client.js";
import { config, eventually } from "./support/client.js";
import { startTcpProxy, throughProxy, type TcpProxy } from "./support/tcpProxy.js";

const OUTBOX_MIGRATION = "prisma/users/migrations/20261123140000_outbox/migration.sql";
const scratchUrl = (() => {
  const url = new URL(config.subgraphs.users.databaseUrl);
  url.pathname = `/${databaseName(config.subgraphs.users.databaseUrl)}_outbox`;
  return url.toString();
})();
/** Redis itself, not the test runner's proxy: this file closes a proxy of its own. */
const redisUrl = process.env.TEST_REDIS_DIRECT_URL ?? config.redis.url;
const log = createLogger("outbox-relay-test", "silent");

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: maintenanceUrl(scratchUrl) });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

let prisma: PrismaClient;
const relays: OutboxRelay[] = [];
const queues: Queue[] = [];

before(async () => {
  const name = databaseName(scratchUrl);
  await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin(`CREATE DATABASE "${name}"`);
  const client = new pg.Client({ connectionString: scratchUrl });
  await client.connect();
  try {
    await client.query(readFileSync(OUTBOX_MIGRATION, "utf8"));
  } finally {
    await client.end();
  }
  prisma = new PrismaClient({ adapter: prismaAdapter(scratchUrl, 6) });
});

after(async () => {
  for (const relay of relays) await relay.stop();
  for (const queue of queues) {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
  }
  await prisma.$disconnect();
  await admin(`DROP DATABASE IF EXISTS "${databaseName(scratchUrl)}" WITH (FORCE)`);
});

/** A config whose queues live under a prefix of this test alone, reaching Redis at `url`. */
function relayConfig(url = redisUrl): Config {
  return { ...config, redis: { url, prefix: `${config.redis.prefix}-outbox-${randomUUID().slice(0, 8)}` } };
}

function emailQueue(relayed: Config): Queue {
  const queue = new Queue("email", { connection: { url: redisUrl }, prefix: relayed.redis.prefix });
  queues.push(queue);
  return queue;
}

function relay(relayed: Config, options: { batchSize?: number; minBackoffMs?: number; name?: string } = {}): OutboxRelay {
  const started = startOutboxRelay({
    prisma,
    config: relayed,
    log,
    name: `test-${randomUUID().slice(0, 8)}`,
    pollIntervalMs: 50,
    ...options,
  });
  relays.push(started);
  return started;
}

/** Outbox events without job ids, so BullMQ would keep a second add of one as a second job. */
const events = (keys: string[]) => keys.map((eventKey) => outboxEvent("email", "welcome", { eventKey, userId: randomUUID() }));

async function unsent(keys: string[]): Promise<number> {
  const rows = await prisma.$queryRaw<{ count: bigint }[]>`
    SELECT count(*) AS count FROM "OutboxEvent" WHERE "sentAt" IS NULL AND data->>'eventKey' = ANY(${keys}::text[])`;
  return Number(rows[0]!.count);
}

/** How many jobs the queue holds for each key (every state). */
async function jobsPerKey(queue: Queue): Promise<Map<string, number>> {
  const jobs = await queue.getJobs(["waiting", "active", "completed", "failed", "delayed", "prioritized"], 0, -1);
  const counts = new Map<string, number>();
  for (const job of jobs) {
    const key = (job.data as { eventKey: string }).eventKey;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

describe("outbox relay", () => {
  it("two relays over the same table never send a row twice", async () => {
    const relayed = relayConfig();
    const queue = emailQueue(relayed);
    const keys = Array.from({ length: 400 }, (_, i) => `two-relays-${i}`);
    // Written in many small transactions while both relays run, as subgraph requests would.
    const first = relay(relayed, { batchSize: 15 });
    const second = relay(relayed, { batchSize: 15 });
    for (let i = 0; i < keys.length; i += 20) await prisma.$transaction((tx) => writeOutbox(tx, events(keys.slice(i, i + 20))));
    await eventually(async () => (await unsent(keys)) === 0, "every row sent", 30_000);

    const perKey = await jobsPerKey(queue);
    assert.equal(perKey.size, keys.length, "every row became a job");
    assert.deepEqual(
      [...perKey.values()].filter((count) => count !== 1),
      [],
      "no row became two jobs",
    );
    assert.equal(first.stats.sent + second.stats.sent, keys.length, "the relays sent each row once between them");
    assert.ok(first.stats.sent > 0 && second.stats.sent > 0, `both relays took part (${first.stats.sent} and ${second.stats.sent})`);
    const attempts = await prisma.$queryRaw<{ attempts: number }[]>`
      SELECT DISTINCT attempts FROM "OutboxEvent" WHERE data->>'eventKey' = ANY(${keys}::text[])`;
    assert.deepEqual(attempts, [{ attempts: 1 }]);
    await Promise.all([first.stop(), second.stop()]);
  });

  describe("Redis unreachable", () => {
    let proxy: TcpProxy;
    before(async () => {
      const target = new URL(redisUrl);
      proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    });
    after(() => proxy.close());

    it("backs off while Redis is away, then delivers everything once", async () => {
      const relayed = relayConfig(throughProxy(redisUrl, proxy));
      const queue = emailQueue(relayed);
      const name = `outage-${randomUUID().slice(0, 8)}`;
      const relayer = relay(relayed, { minBackoffMs: 100, name });
      const warmUp = ["outage-before"];
      await writeOutbox(prisma, events(warmUp));
      await eventually(async () => (await unsent(warmUp)) === 0, "a row sent while Redis is there");

      await proxy.close();
      const keys = Array.from({ length: 30 }, (_, i) => `outage-${i}`);
      await prisma.$transaction((tx) => writeOutbox(tx, events(keys.slice(0, 10))));
      // A delayed job too: due 200 ms after it was written, however long it waited in the outbox.
      await writeOutbox(prisma, [outboxEvent("email", "welcome", { eventKey: "outage-delayed", userId: randomUUID() }, { delayMs: 200 })]);
      await prisma.$transaction((tx) => writeOutbox(tx, events(keys.slice(10))));
      const failuresBefore = relayer.stats.failures;
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      assert.equal(await unsent([...keys, "outage-delayed"]), keys.length + 1, "nothing can be sent while Redis is away");
      const failures = relayer.stats.failures - failuresBefore;
      // Polling every 50 ms would try ~60 times in 3 s; backing off from 100 ms, doubling, tries about 5 times.
      assert.ok(failures >= 2 && failures <= 8, `backed off: ${failures} tries in 3 s`);
      // What the worker's /metrics shows meanwhile.
      const metrics = await registry.metrics();
      assert.ok(metrics.includes(`shopgraph_outbox_backlog{subgraph="${name}"} ${keys.length + 1}\n`), "the backlog gauge");
      const age = Number(new RegExp(`shopgraph_outbox_oldest_unsent_age_seconds\\{subgraph="${name}"\\} ([\\d.]+)`).exec(metrics)?.[1]);
      assert.ok(age >= 3 && age < 60, `the oldest unsent row's age: ${age} s`);

      await proxy.open();
      await eventually(async () => (await unsent([...keys, "outage-delayed"])) === 0, "every row sent once Redis is back", 15_000);
      const perKey = await jobsPerKey(queue);
      assert.deepEqual(
        [...keys, "outage-delayed", ...warmUp].map((key) => perKey.get(key)),
        Array(keys.length + 2).fill(1),
        "each row one job",
      );
      const delayed = (await queue.getJobs(["delayed", "waiting"], 0, -1)).find(
        (job) => (job.data as { eventKey: string }).eventKey === "outage-delayed",
      );
      assert.ok(delayed, "the delayed job is queued");
      assert.ok((delayed.opts.delay ?? 0) <= 200, "its delay counts from when it was written, not from when Redis came back");
      await relayer.stop();
    });
  });

  it("retention deletes sent rows older than the retention period, and nothing else", async () => {
    const tag = randomUUID();
    await prisma.$executeRaw`
      INSERT INTO "OutboxEvent" (queue, "jobName", data, "createdAt", "sentAt", attempts) VALUES
        ('retention', 'old-sent', jsonb_build_object('tag', ${tag}::text), now() - interval '3 hours', now() - interval '2 hours', 1),
        ('retention', 'recent-sent', jsonb_build_object('tag', ${tag}::text), now() - interval '3 hours', now() - interval '10 minutes', 1),
        ('retention', 'old-unsent', jsonb_build_object('tag', ${tag}::text), now() - interval '3 hours', NULL, 4)`;
    assert.ok((await deleteSentOutboxRows(prisma, 3600)) >= 1);
    const left = await prisma.$queryRaw<{ jobName: string }[]>`
      SELECT "jobName" FROM "OutboxEvent" WHERE data->>'tag' = ${tag} ORDER BY "jobName"`;
    assert.deepEqual(
      left.map((row) => row.jobName),
      ["old-unsent", "recent-sent"],
    );
  });
});

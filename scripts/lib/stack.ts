// Bringing the system up, shared by `npm start` and `npm test`: check PostgreSQL and Redis,
// create missing databases, apply migrations, seed, and start every process in order.
import { existsSync } from "node:fs";
import type { ChildProcess } from "node:child_process";
import pg from "pg";
import { Redis } from "ioredis";
import { SUBGRAPH_NAMES, type Config, type SubgraphName } from "../../lib/config.js";
import { databaseName, maintenanceUrl, prismaAdapter } from "../../lib/database.js";
import type { Logger } from "../../lib/logger.js";
import { EMULATOR_TEST_KEY, webhookSecretOf } from "../../lib/stripe.js";
import { EVICTION_WARNING, readEvictionPolicy } from "../../lib/workerProcess.js";
import { run, startService, stopAll } from "./processes.js";

/** A dependency is missing: the message says which, where we looked, and how to start it. */
export class DependencyUnavailableError extends Error {}

function describeServer(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || "default port"}`;
}

export async function checkPostgres(config: Config): Promise<void> {
  const servers = new Map<string, string>();
  for (const name of SUBGRAPH_NAMES) servers.set(maintenanceUrl(config.subgraphs[name].databaseUrl), `${name.toUpperCase()}_DATABASE_URL`);
  for (const [url, variable] of servers) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
    } catch (error) {
      throw new DependencyUnavailableError(
        [
          `PostgreSQL is not reachable at ${describeServer(url)} (from ${variable}): ${(error as Error).message || String(error)}.`,
          "Start it, for example:",
          "  pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start   (Debian)",
          "  docker compose up -d postgres                                              (Docker)",
          `or point ${variable} (and the other *_DATABASE_URL settings) at a running server.`,
        ].join("\n"),
      );
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

export async function checkRedis(config: Config, log?: Logger): Promise<void> {
  const redis = new Redis(config.redis.url, {
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  let lastError: Error | undefined;
  redis.on("error", (error: Error) => (lastError = error));
  try {
    await redis.connect();
    await redis.ping();
    const policy = await readEvictionPolicy(redis);
    if (policy && policy !== "noeviction") log?.warn(EVICTION_WARNING(policy));
  } catch (error) {
    throw new DependencyUnavailableError(
      [
        `Redis is not reachable at ${describeServer(config.redis.url)} (from REDIS_URL): ${(lastError ?? (error as Error)).message.replace(/\.$/, "")}.`,
        "Start it, for example:",
        "  redis-server --daemonize yes --bind 127.0.0.1 --port 6379   (local)",
        "  docker compose up -d redis                                   (Docker)",
        "or point REDIS_URL at a running server.",
      ].join("\n"),
    );
  } finally {
    redis.disconnect();
  }
}

/** Creates each subgraph's database if it is missing; returns the names it created. */
export async function ensureDatabases(config: Config): Promise<string[]> {
  const created: string[] = [];
  for (const name of SUBGRAPH_NAMES) {
    const url = config.subgraphs[name].databaseUrl;
    const database = databaseName(url);
    const client = new pg.Client({ connectionString: maintenanceUrl(url) });
    await client.connect();
    try {
      const exists = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
      if (exists.rowCount === 0) {
        await client.query(`CREATE DATABASE "${database.replaceAll('"', '""')}"`);
        created.push(database);
      }
    } finally {
      await client.end();
    }
  }
  return created;
}

export async function dropDatabases(config: Config): Promise<void> {
  for (const name of SUBGRAPH_NAMES) {
    const url = config.subgraphs[name].databaseUrl;
    const client = new pg.Client({ connectionString: maintenanceUrl(url) });
    await client.connect();
    try {
      await client.query(`DROP DATABASE IF EXISTS "${databaseName(url).replaceAll('"', '""')}" WITH (FORCE)`);
    } finally {
      await client.end();
    }
  }
}

/** Applies committed migrations with Prisma's own `migrate deploy`, all subgraphs at once. */
export async function migrateAll(config: Config): Promise<void> {
  await Promise.all(
    SUBGRAPH_NAMES.map((name) =>
      run("prisma", ["migrate", "deploy", "--config", `prisma/${name}/prisma.config.ts`], {
        env: { [`${name.toUpperCase()}_DATABASE_URL`]: config.subgraphs[name].databaseUrl },
      }),
    ),
  );
}

interface SeedModule {
  seed(prisma: unknown, log: Logger, config: Config): Promise<void>;
}

/** Runs each subgraph's `src/seed.ts` (each inserts demo data only into an empty database). */
export async function seedAll(config: Config, log: Logger): Promise<void> {
  for (const name of SUBGRAPH_NAMES) {
    const seedFile = `subgraphs/${name}/src/seed.ts`;
    if (!existsSync(seedFile)) continue;
    const { PrismaClient } = (await import(`../../prisma/${name}/__generated__/client.js`)) as {
      PrismaClient: new (options: { adapter: unknown }) => { $disconnect(): Promise<void> };
    };
    const prisma = new PrismaClient({ adapter: prismaAdapter(config.subgraphs[name].databaseUrl, 2) });
    try {
      const module = (await import(`../../${seedFile}`)) as SeedModule;
      await module.seed(prisma, log.child({ seed: name }), config);
    } finally {
      await prisma.$disconnect();
    }
  }
}

async function waitUntilHealthy(
  name: string,
  url: string,
  child: ChildProcess,
  timeoutMs = 60_000,
  headers: Record<string, string> = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode} while starting; see its log lines above.`);
    try {
      const response = await fetch(url, { headers, signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${name} did not become healthy at ${url} within ${timeoutMs / 1000}s.`);
}

export interface RunningStack {
  processes: ChildProcess[];
  /** Where the stack's own Stripe API emulator listens; undefined when the stack talks to Stripe itself. */
  stripeEmulatorUrl?: string;
  /** MailDev's web inbox when the stack runs MailDev (SMTP_URL unset, not a test run). */
  mailDevUrl?: string;
  stop(): Promise<void>;
}

/**
 * Whether the stack runs its own Stripe API emulator (emulators/stripe): without STRIPE_SECRET_KEY (development and
 * tests), or when that key is the emulator's own (STRIPE_EMULATOR_SECRET_KEY, as production-mode benchmarks set it).
 */
export function runsStripeEmulator(config: Config, env: NodeJS.ProcessEnv): boolean {
  const { secretKey } = config.stripe;
  return !secretKey || env.STRIPE_EMULATOR_SECRET_KEY === secretKey;
}

/** Where the stack's emulator POSTs events: the router's public webhook path, as Stripe would. */
export const stripeWebhookUrl = (config: Config) => `http://127.0.0.1:${config.router.port}/webhooks/stripe`;

/**
 * Where the stack's emails go: the test run's SMTP inbox (scripts/mailbox.ts) when MAILBOX_URL is set, else MailDev
 * when SMTP_URL is unset (`npm start`: its web page shows every email), else the SMTP server SMTP_URL names.
 * Resolves once the started server answers.
 */
function startMailServer(
  config: Config,
  env: NodeJS.ProcessEnv,
  stack: RunningStack,
  start: (service: string, entry: string) => ChildProcess,
): Promise<void> | undefined {
  if (env.MAILBOX_URL) return waitUntilHealthy("mailbox", `${env.MAILBOX_URL}/health`, start("mailbox", "scripts/mailbox.ts"));
  if (config.email.smtpUrlIsExplicit) return undefined;
  const mailDevBase = `http://127.0.0.1:${env.MAILDEV_WEB_PORT ?? "1080"}`;
  // MailDev 3 serves its page at /index.html and answers 404 at / itself.
  stack.mailDevUrl = `${mailDevBase}/index.html`;
  return waitUntilHealthy("maildev", `${mailDevBase}/api/healthz`, start("maildev", "scripts/maildev.ts"));
}

const healthUrl = (graphqlUrl: string) => graphqlUrl.replace(/\/graphql\/?$/, "/health");

/** Starts every subgraph and worker, then the router once the subgraphs answer; `onOutput` gets their log lines. */
export async function startStack(
  config: Config,
  env: NodeJS.ProcessEnv,
  onOutput: (service: string, line: string) => void,
): Promise<RunningStack> {
  const processes: ChildProcess[] = [];
  const stack: RunningStack = { processes, stop: () => stopAll(processes) };
  const start = (service: string, entry: string, extraEnv: NodeJS.ProcessEnv = {}) => {
    const child = startService(entry, { ...env, ...extraEnv }, (line) => onOutput(service, line));
    processes.push(child);
    return child;
  };
  try {
    let stripeEmulator: Promise<void> | undefined;
    if (runsStripeEmulator(config, env)) {
      const apiUrl = config.stripe.apiUrl;
      if (!apiUrl) throw new Error("STRIPE_API_URL: required when STRIPE_EMULATOR_SECRET_KEY makes the stack run its own Stripe emulator");
      // Generated (or read) once here, before the emulator and payments both read it.
      webhookSecretOf(config);
      const child = start("stripe-emulator", "emulators/stripe/index.ts", {
        STRIPE_API_URL: apiUrl,
        STRIPE_WEBHOOK_URL: env.STRIPE_WEBHOOK_URL ?? stripeWebhookUrl(config),
      });
      stack.stripeEmulatorUrl = apiUrl;
      stripeEmulator = waitUntilHealthy("stripe-emulator", `${apiUrl.replace(/\/$/, "")}/_emulator/health`, child, 60_000, {
        authorization: `Bearer ${config.stripe.secretKey ?? EMULATOR_TEST_KEY}`,
      });
    }
    const mail = startMailServer(config, env, stack, start);
    const subgraphs = SUBGRAPH_NAMES.map((name: SubgraphName) => [name, start(name, `subgraphs/${name}/src/index.ts`)] as const);
    for (const name of SUBGRAPH_NAMES) {
      const worker = `subgraphs/${name}/src/worker.ts`;
      if (existsSync(worker)) start(`${name}-worker`, worker);
    }
    await Promise.all([
      ...subgraphs.map(([name, child]) => waitUntilHealthy(name, healthUrl(config.subgraphs[name].url), child)),
      stripeEmulator,
      mail,
    ]);
    const router = start("router", "router/src/index.ts");
    await waitUntilHealthy("router", `http://127.0.0.1:${config.router.port}/health`, router);
    return stack;
  } catch (error) {
    await stack.stop();
    throw error;
  }
}

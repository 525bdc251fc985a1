// A whole shopgraph of its own, for one test or benchmark run: its own databases, ports, Redis
// key prefix and signing key, started the way `npm start` starts it and removed afterwards.
import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { SUBGRAPH_NAMES, loadConfig, type Config } from "../../lib/config.js";
import { ensureDevKeyFile } from "../../lib/auth.js";
import { ensureServiceSecretFile } from "../../lib/serviceAuth.js";
import type { Logger } from "../../lib/logger.js";
import { checkPostgres, checkRedis, dropDatabases, ensureDatabases, migrateAll, seedAll, startStack, type RunningStack } from "./stack.js";

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

export interface IsolatedStack {
  runId: string;
  config: Config;
  workDir: string;
  logFile: string;
  /** Stops the processes, drops the databases, deletes the Redis keys; keeps the logs when asked. */
  tearDown(options?: { keepLogs?: boolean }): Promise<void>;
}

/**
 * Settings for running the stack with NODE_ENV=production: keys from the environment, explicit origins. Production
 * requires a Stripe key: the stack's own emulator gets a random test key as its only accepted one, so the same
 * code runs as against Stripe, offline.
 */
export function productionSettings(): Record<string, string> {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const stripeKey = `sk_test_${randomBytes(24).toString("hex")}`;
  return {
    STRIPE_SECRET_KEY: stripeKey,
    STRIPE_EMULATOR_SECRET_KEY: stripeKey,
    STRIPE_WEBHOOK_SECRET: `whsec_${randomBytes(32).toString("hex")}`,
    NODE_ENV: "production",
    JWT_PRIVATE_KEY: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    JWT_PUBLIC_KEY: publicKey.export({ type: "spki", format: "pem" }).toString(),
    CORS_ORIGINS: "http://localhost:3000",
    SUBGRAPH_SECRET: randomBytes(32).toString("base64url"),
  };
}

/**
 * Sets process.env for an isolated run (so child processes and `loadConfig()` agree), prepares the
 * databases and starts everything. `overrides` are extra settings, e.g. smaller rate limits.
 */
export async function startIsolatedStack(
  kind: string,
  log: Logger,
  overrides: Record<string, string> = {},
  options: { seed?: boolean } = {},
): Promise<IsolatedStack> {
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
  const workDir = mkdtempSync(path.join(tmpdir(), `shopgraph-${kind}-${runId}-`));
  const base = loadConfig();
  const env: Record<string, string> = {
    NODE_ENV: "test",
    LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
    HOST: "127.0.0.1",
    REDIS_PREFIX: `shopgraph-${kind}-${runId}`,
    JWT_KEY_FILE: path.join(workDir, "jwt-keys.json"),
    SUBGRAPH_SECRET_FILE: path.join(workDir, "subgraph-secret"),
    TRUST_PROXY: "loopback",
    SEED_DEMO_DATA: "false",
    STORAGE_DIR: path.join(workDir, "storage"),
    SERVICE_LOG_FILE: path.join(workDir, "services.log"),
    ...overrides,
  };
  for (const name of SUBGRAPH_NAMES) {
    const upper = name.toUpperCase();
    const port = await freePort();
    const url = new URL(base.subgraphs[name].databaseUrl);
    url.pathname = `/shopgraph_${kind}_${runId}_${name}`;
    env[`${upper}_DATABASE_URL`] = url.toString();
    env[`${upper}_PORT`] = String(port);
    env[`${upper}_URL`] = `http://127.0.0.1:${port}/graphql`;
    env[`${upper}_WORKER_METRICS_PORT`] = String(await freePort());
  }
  // The run's own Stripe emulator (scripts/lib/stack.ts): its own port and webhook secret, retries in milliseconds.
  env.STRIPE_API_URL = overrides.STRIPE_API_URL ?? `http://127.0.0.1:${await freePort()}`;
  env.STRIPE_WEBHOOK_SECRET_FILE = path.join(workDir, "stripe-webhook-secret");
  env.STRIPE_EMULATOR_WEBHOOK_RETRY_DELAYS_MS = overrides.STRIPE_EMULATOR_WEBHOOK_RETRY_DELAYS_MS ?? "100,250,500,1000,2000";
  for (const name of ["STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_EMULATOR_SECRET_KEY"])
    if (!overrides[name]) delete process.env[name];
  for (const name of ["STRIPE_WEBHOOK_URL", "STRIPE_EMULATOR_STATE_FILE"]) delete process.env[name];
  // The run's own SMTP inbox (scripts/mailbox.ts), which the tests read over its HTTP API.
  const [smtpPort, mailboxHttpPort] = [await freePort(), await freePort()];
  env.MAILBOX_SMTP_PORT = String(smtpPort);
  env.MAILBOX_HTTP_PORT = String(mailboxHttpPort);
  env.MAILBOX_URL = `http://127.0.0.1:${mailboxHttpPort}`;
  env.SMTP_URL = `smtp://127.0.0.1:${smtpPort}`;
  const routerPort = await freePort();
  env.ROUTER_PORT = String(routerPort);
  env.PUBLIC_URL = `http://127.0.0.1:${routerPort}/graphql`;
  env.ROUTER_URL = env.PUBLIC_URL;
  if (!overrides.JWT_PUBLIC_KEY) {
    delete process.env.JWT_PRIVATE_KEY;
    delete process.env.JWT_PUBLIC_KEY;
  }
  if (!overrides.SUBGRAPH_SECRET) delete process.env.SUBGRAPH_SECRET;
  delete process.env.PUBLIC_ASSET_URL;
  Object.assign(process.env, env);

  const config = loadConfig();
  const logFile = env.SERVICE_LOG_FILE!;
  const serviceLog = createWriteStream(logFile);
  let stack: RunningStack | undefined;
  let databasesCreated = false;

  const tearDown = async ({ keepLogs = false } = {}) => {
    await stack?.stop();
    if (databasesCreated)
      await dropDatabases(config).catch((error: unknown) => log.error({ err: error }, "could not drop the run's databases"));
    const redis = new Redis(config.redis.url, { maxRetriesPerRequest: 1 });
    try {
      let cursor = "0";
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", `${config.redis.prefix}*`, "COUNT", 1000);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== "0");
    } catch (error) {
      log.error({ err: error }, "could not delete the run's Redis keys");
    } finally {
      redis.disconnect();
    }
    serviceLog.end();
    if (!keepLogs) rmSync(workDir, { recursive: true, force: true });
  };

  try {
    await checkPostgres(config);
    await checkRedis(config);
    log.info(`${kind} run ${runId}: creating databases and applying migrations`);
    await ensureDatabases(config);
    databasesCreated = true;
    await migrateAll(config);
    if (!config.jwt.publicKeyPem) await ensureDevKeyFile(config.jwt.keyFile);
    if (!config.serviceAuth.secret) ensureServiceSecretFile(config.serviceAuth.secretFile);
    if (options.seed) await seedAll(config, log);
    stack = await startStack(config, process.env, (service, line) => serviceLog.write(`[${service}] ${line}\n`));
    log.info(`stack is up (router ${config.router.publicUrl}); service logs: ${logFile}`);
  } catch (error) {
    await tearDown({ keepLogs: true });
    throw error;
  }
  return { runId, config, workDir, logFile, tearDown };
}

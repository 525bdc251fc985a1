// `npm test`: first the unit tier (test/unit/: pure functions, no stack, seconds); if it passes,
// a fresh set of databases and a fresh Redis key prefix for this run, the whole stack started as
// `npm start` starts it, every other test file run against it, then everything dropped.
// `npm test -- test/auth.test.ts` runs only the files given (no stack when they are all unit tests);
// `npm run test:unit` (`npm test -- --unit`) runs the unit tier alone.
//
// The stack and the tests reach Redis through a TCP proxy owned by this runner, so a test can make Redis
// unreachable for everyone without stopping the machine's Redis: POST /redis/close and /redis/open at
// TEST_REDIS_PROXY_CONTROL (test/support/redisOutage.ts). Test files run one at a time, and a test that
// closes it reopens it before it ends.
import { spawn } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { readdirSync } from "node:fs";
import path from "node:path";
import { createLogger } from "../lib/logger.js";
import { loadConfig } from "../lib/config.js";
import { DependencyUnavailableError } from "./lib/stack.js";
import { startTcpProxy, throughProxy, type TcpProxy } from "../test/support/tcpProxy.js";
import { startIsolatedStack, type IsolatedStack } from "./lib/isolated.js";

function findTestFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return findTestFiles(full);
    return entry.name.endsWith(".test.ts") ? [full] : [];
  });
}

/** Runs test files with node's test runner in one process at a time; resolves to its exit code. */
function runTests(testFiles: string[]): Promise<number> {
  const testRun = spawn(process.execPath, ["--import", "tsx", "--test", "--test-reporter=spec", "--test-concurrency=1", ...testFiles], {
    stdio: "inherit",
    env: process.env,
  });
  return new Promise<number>((resolve) => testRun.on("exit", (code) => resolve(code ?? 1)));
}

const UNIT_DIR = path.join("test", "unit");
const isUnitTest = (file: string) => path.relative(UNIT_DIR, file).split(path.sep)[0] !== "..";

const log = createLogger("test-runner", "info");
const args = process.argv.slice(2);
const requested = args.filter((arg) => !arg.startsWith("-"));
const files = requested.length > 0 ? requested : findTestFiles(args.includes("--unit") ? UNIT_DIR : "test").sort();
const unitFiles = files.filter(isUnitTest);
const stackFiles = files.filter((file) => !isUnitTest(file));

process.on("SIGINT", () => undefined); // let the test run end, then clean up below
if (unitFiles.length > 0) {
  const unitExit = await runTests(unitFiles);
  if (unitExit !== 0 || stackFiles.length === 0) {
    if (unitExit !== 0 && stackFiles.length > 0) console.error("Unit tests failed: the stack tests were not run.");
    process.exit(unitExit);
  }
}

/** The Redis proxy and its control endpoint (127.0.0.1 only). */
async function startRedisProxy(redisUrl: string): Promise<{ proxy: TcpProxy; controlUrl: string; stop(): Promise<void> }> {
  const target = new URL(redisUrl);
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
  const control = http.createServer((req, res) => {
    const actions: Record<string, () => Promise<void>> = { "/redis/close": () => proxy.close(), "/redis/open": () => proxy.open() };
    const action = req.method === "POST" && req.url ? actions[req.url] : undefined;
    if (!action) return void res.writeHead(404).end();
    action().then(
      () => res.writeHead(204).end(),
      (error: unknown) => res.writeHead(500).end(String(error)),
    );
  });
  await new Promise<void>((resolve) => control.listen(0, "127.0.0.1", resolve));
  return {
    proxy,
    controlUrl: `http://127.0.0.1:${(control.address() as AddressInfo).port}`,
    stop: async () => {
      await proxy.close();
      await new Promise((resolve) => control.close(resolve));
    },
  };
}

let stack: IsolatedStack | undefined;
let exitCode = 1;
const redisUrl = loadConfig().redis.url;
const redisProxy = await startRedisProxy(redisUrl);
try {
  // Sign-in limits small enough for a test to reach; each test file sends from its own address.
  // Upload limits small enough for a test to pass them quickly.
  stack = await startIsolatedStack("test", log, {
    RATE_LIMIT_AUTH_MAX: "5",
    MAX_UPLOAD_BYTES: String(2 * 1024 * 1024),
    MAX_IMAGE_PIXELS: String(4_000_000),
    // Reconciliation only when a test asks for it: a scheduled run would apply webhooks a test is holding back.
    PAYMENT_RECONCILE_INTERVAL_SECONDS: "3600",
    REDIS_URL: throughProxy(redisUrl, redisProxy.proxy),
    TEST_REDIS_DIRECT_URL: redisUrl,
    TEST_REDIS_PROXY_CONTROL: redisProxy.controlUrl,
  });
  exitCode = await runTests(stackFiles);
} catch (error) {
  console.error(error instanceof DependencyUnavailableError ? error.message : error);
  exitCode = 1;
} finally {
  if (exitCode !== 0 && stack) console.error(`Service logs of this run: ${stack.logFile} (kept)`);
  await redisProxy.proxy.open(); // the tear-down deletes the run's keys through it
  await stack?.tearDown({ keepLogs: exitCode !== 0 });
  await redisProxy.stop();
}
process.exit(exitCode);

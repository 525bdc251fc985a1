// `npm test`: first the unit tier (test/unit/: pure functions, no stack, seconds); if it passes,
// a fresh set of databases and a fresh Redis key prefix for this run, the whole stack started as
// `npm start` starts it, every other test file run against it, then everything dropped.
// `npm test -- test/auth.test.ts` runs only the files given (no stack when they are all unit tests);
// `npm run test:unit` (`npm test -- --unit`) runs the unit tier alone.
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";
import { createLogger } from "../lib/logger.js";
import { DependencyUnavailableError } from "./lib/stack.js";
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

let stack: IsolatedStack | undefined;
let exitCode = 1;
try {
  // Sign-in limits small enough for a test to reach; each test file sends from its own address.
  // Upload limits small enough for a test to pass them quickly.
  stack = await startIsolatedStack("test", log, {
    RATE_LIMIT_AUTH_MAX: "5",
    MAX_UPLOAD_BYTES: String(2 * 1024 * 1024),
    MAX_IMAGE_PIXELS: String(4_000_000),
    // Reconciliation only when a test asks for it: a scheduled run would apply webhooks a test is holding back.
    PAYMENT_RECONCILE_INTERVAL_SECONDS: "3600",
  });
  exitCode = await runTests(stackFiles);
} catch (error) {
  console.error(error instanceof DependencyUnavailableError ? error.message : error);
  exitCode = 1;
} finally {
  if (exitCode !== 0 && stack) console.error(`Service logs of this run: ${stack.logFile} (kept)`);
  await stack?.tearDown({ keepLogs: exitCode !== 0 });
}
process.exit(exitCode);

// `npm test`: a fresh set of databases and a fresh Redis key prefix for this run, the whole stack
// started as `npm start` starts it, every test file run against it, then everything dropped.
// `npm test -- test/auth.test.ts` runs only the files given.
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

const log = createLogger("test-runner", "info");
const requested = process.argv.slice(2).filter((arg) => !arg.startsWith("-"));
const files = requested.length > 0 ? requested : findTestFiles("test").sort();

let stack: IsolatedStack | undefined;
let exitCode = 1;
process.on("SIGINT", () => undefined); // let the test run end, then clean up below
try {
  // Sign-in limits small enough for a test to reach; each test file sends from its own address.
  // Upload limits small enough for a test to pass them quickly.
  stack = await startIsolatedStack("test", log, {
    RATE_LIMIT_AUTH_MAX: "5",
    MAX_UPLOAD_BYTES: String(2 * 1024 * 1024),
    MAX_IMAGE_PIXELS: String(4_000_000),
  });
  const testRun = spawn(process.execPath, ["--import", "tsx", "--test", "--test-reporter=spec", "--test-concurrency=1", ...files], {
    stdio: "inherit",
    env: process.env,
  });
  exitCode = await new Promise<number>((resolve) => testRun.on("exit", (code) => resolve(code ?? 1)));
} catch (error) {
  console.error(error instanceof DependencyUnavailableError ? error.message : error);
  exitCode = 1;
} finally {
  if (exitCode !== 0 && stack) console.error(`Service logs of this run: ${stack.logFile} (kept)`);
  await stack?.tearDown({ keepLogs: exitCode !== 0 });
}
process.exit(exitCode);

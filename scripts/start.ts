// `npm start`: one command from a fresh clone to a running supergraph.
import { loadConfigOrExit } from "../lib/config.js";
import { ensureDevKeyFile } from "../lib/auth.js";
import { ensureServiceSecretFile } from "../lib/serviceAuth.js";
import { createLogger } from "../lib/logger.js";
import { DependencyUnavailableError, checkPostgres, checkRedis, ensureDatabases, migrateAll, seedAll, startStack } from "./lib/stack.js";
import { runningServices, stopAll } from "./lib/processes.js";
import { readDemoAccounts } from "../subgraphs/users/src/seed.js";

const config = loadConfigOrExit();
const log = createLogger("start", config.logLevel);

// Installed first, so Ctrl-C (or a closed terminal) at any moment, even mid-start, stops what has started.
let stopping = false;
async function stop(signal: NodeJS.Signals) {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping every process...`);
  await stopAll([...runningServices]);
  console.log("Stopped.");
  process.exit(0);
}
/** Stopping failed part-way: say so; the exit handler below still kills what is left. */
function stopFailed(error: unknown) {
  console.error("Could not stop every process cleanly:", error);
  process.exit(1);
}
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => void stop(signal).catch(stopFailed));
// The services run in their own process groups; never leave one behind.
process.on("exit", () => runningServices.forEach((child) => child.kill("SIGKILL")));

async function main() {
  try {
    await checkPostgres(config);
    await checkRedis(config, log);
  } catch (error) {
    if (error instanceof DependencyUnavailableError) {
      console.error(`\n${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const created = await ensureDatabases(config);
  if (created.length > 0) log.info(`created databases: ${created.join(", ")}`);
  log.info("applying migrations");
  await migrateAll(config);
  if (!config.jwt.publicKeyPem) await ensureDevKeyFile(config.jwt.keyFile);
  if (!config.serviceAuth.secret) ensureServiceSecretFile(config.serviceAuth.secretFile);
  if (config.seedDemoData) await seedAll(config, log);

  // The development emulator keeps its PaymentIntents across restarts, as the payments database does.
  const env = { ...process.env, STRIPE_EMULATOR_STATE_FILE: process.env.STRIPE_EMULATOR_STATE_FILE ?? "var/stripe-emulator.json" };
  const stack = await startStack(config, env, (_service, line) => process.stdout.write(`${line}\n`));
  if (stopping) return;
  for (const child of stack.processes) {
    child.on("exit", (code, signal) => {
      if (stopping) return;
      console.error(`A process exited unexpectedly (code ${code}, signal ${signal}); stopping the rest.`);
      stop("SIGTERM").catch(stopFailed);
    });
  }

  const lines = [
    "",
    `shopgraph is running. Router: ${config.router.publicUrl}` + (config.isProduction ? "" : "  (open it in a browser for Apollo Sandbox)"),
    `Health: ${config.router.publicUrl.replace(/\/graphql$/, "")}/health  Ready: .../ready  Metrics: .../metrics`,
  ];
  const webhookEndpoint = `${config.router.publicUrl.replace(/\/graphql$/, "")}/webhooks/stripe`;
  lines.push(
    stack.stripeEmulatorUrl
      ? `Stripe: local emulator at STRIPE_API_URL=${stack.stripeEmulatorUrl}; it signs and posts events to ${webhookEndpoint}`
      : `Stripe: ${config.stripe.apiUrl ?? "api.stripe.com"} with STRIPE_SECRET_KEY; point Stripe's webhook endpoint at ${webhookEndpoint}`,
  );
  lines.push(
    stack.mailDevUrl
      ? `Emails: MailDev inbox at ${stack.mailDevUrl} (SMTP ${new URL(config.email.smtpUrl).host}); set SMTP_URL to send for real`
      : `Emails: sent through SMTP_URL (${new URL(config.email.smtpUrl).host})`,
  );
  const demo = readDemoAccounts(config);
  if (demo.length > 0) lines.push("Demo accounts:", ...demo.map((a) => `  ${a.role.padEnd(8)} ${a.email}  password: ${a.password}`));
  lines.push("Press Ctrl-C to stop.", "");
  console.log(lines.join("\n"));
}

main().catch((error: unknown) => {
  if (stopping) return; // Ctrl-C mid-start: the stop above reports and exits
  console.error(`\nstart failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

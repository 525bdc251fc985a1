// Creates missing databases, applies migrations and seeds demo data, without starting anything:
// the one-shot `migrate` service of docker-compose.yml.
import { existsSync, readFileSync } from "node:fs";
import { loadConfigOrExit } from "../lib/config.js";
import { demoCredentialsFile } from "../subgraphs/users/src/seed.js";
import { createLogger } from "../lib/logger.js";
import { DependencyUnavailableError, checkPostgres, ensureDatabases, migrateAll, seedAll } from "./lib/stack.js";

const config = loadConfigOrExit();
const log = createLogger("migrate", config.logLevel);
try {
  await checkPostgres(config);
  const created = await ensureDatabases(config);
  if (created.length > 0) log.info(`created databases: ${created.join(", ")}`);
  await migrateAll(config);
  log.info("migrations applied");
  if (config.seedDemoData) {
    await seedAll(config, log);
    if (existsSync(demoCredentialsFile(config))) console.log(`Demo accounts: ${readFileSync(demoCredentialsFile(config), "utf8")}`);
  }
} catch (error) {
  console.error(error instanceof DependencyUnavailableError ? error.message : error);
  process.exit(1);
}

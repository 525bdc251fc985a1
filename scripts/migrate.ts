// Creates missing databases, applies migrations and seeds demo data, without starting anything:
// the one-shot `migrate` service of docker-compose.yml.
import { loadConfigOrExit } from "../lib/config.js";
import { readDemoAccounts } from "../subgraphs/users/src/seed.js";
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
    for (const account of readDemoAccounts(config)) console.log(`Demo ${account.role}: ${account.email}  password: ${account.password}`);
  }
} catch (error) {
  console.error(error instanceof DependencyUnavailableError ? error.message : error);
  process.exit(1);
}

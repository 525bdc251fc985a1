// The users worker: its own process. It relays the users outbox (welcome emails, lib/outbox.ts) to BullMQ.
import { loadConfigOrExit } from "../../../lib/config.js";
import { createPrisma } from "../../../lib/database.js";
import { onShutdown } from "../../../lib/http.js";
import { createLogger } from "../../../lib/logger.js";
import { startOutboxRelay } from "../../../lib/outbox.js";
import { PrismaClient } from "../../../prisma/users/__generated__/client.js";

const config = loadConfigOrExit();
const log = createLogger("users-worker", config.logLevel);
const prisma = createPrisma("users", config, PrismaClient);

const outboxRelay = startOutboxRelay({ prisma, config, log, name: "users" });

onShutdown(log, async () => {
  await outboxRelay.stop();
  await prisma.$disconnect();
});

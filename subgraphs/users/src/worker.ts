// The users worker: its own process. It sends the shop's emails (the `email` queue), because users owns
// the addresses; the code lives in ./emails/. Keep this file an entry point: start, stop, nothing else.
import { loadConfigOrExit } from "../../../lib/config.js";
import { createPrisma } from "../../../lib/database.js";
import { onShutdown } from "../../../lib/http.js";
import { createLogger } from "../../../lib/logger.js";
import { createServiceClient } from "../../../lib/serviceClient.js";
import { PrismaClient } from "../../../prisma/users/__generated__/client.js";
import { startEmailWorker } from "./emails/emailWorker.js";
import { createMailer } from "./emails/mailer.js";

const config = loadConfigOrExit();
const log = createLogger("users-worker", config.logLevel);
const prisma = createPrisma("users", config, PrismaClient);
const mailer = createMailer(config);

const emailWorker = await startEmailWorker({ config, log, prisma, services: createServiceClient(config, "users"), mailer });

onShutdown(log, async () => {
  await emailWorker.close();
  mailer.close();
  await prisma.$disconnect();
});

// The users worker: its own process. It sends the shop's emails (the `email` queue), because users owns
// the addresses; the code lives in ./emails/. It also relays the users outbox (welcome emails) to BullMQ. Keep this file an entry point: start, stop, nothing else.
// Shutdown, /metrics and stalled-job logging: lib/workerProcess.ts.
import { createPrisma } from "../../../lib/database.js";
import { createServiceClient } from "../../../lib/serviceClient.js";
import { runWorkerProcess } from "../../../lib/workerProcess.js";
import { startOutboxRelay } from "../../../lib/outbox.js";
import { PrismaClient } from "../../../prisma/users/__generated__/client.js";
import { startEmailWorker } from "./emails/emailWorker.js";
import { createMailer } from "./emails/mailer.js";

await runWorkerProcess({
  name: "users",
  async start({ config, log }) {
    const prisma = createPrisma("users", config, PrismaClient);
    const mailer = createMailer(config);
    const outboxRelay = startOutboxRelay({ prisma, config, log, name: "users" });
    const emailWorker = await startEmailWorker({ config, log, prisma, services: createServiceClient(config, "users"), mailer });
    return {
      workers: [emailWorker],
      async close() {
        await outboxRelay.stop();
        mailer.close();
        await prisma.$disconnect();
      },
    };
  },
});

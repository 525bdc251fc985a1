// Demo accounts for `npm start`: an administrator and a customer with generated passwords,
// kept in a git-ignored file so every start can print them.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Logger } from "../../../lib/logger.js";
import type { PrismaClient } from "../../../prisma/users/__generated__/client.js";
import { createCustomer, generatePassword, makeAdmin } from "./users.js";

export const DEMO_CREDENTIALS_FILE = ".secrets/demo-credentials.json";

export async function seed(prisma: PrismaClient, log: Logger): Promise<void> {
  if ((await prisma.user.count()) > 0) return;
  const admin = await makeAdmin(prisma, "admin@shopgraph.dev", "Demo Admin");
  const customerPassword = generatePassword();
  await createCustomer(prisma, "customer@shopgraph.dev", "Demo Customer", customerPassword);
  mkdirSync(path.dirname(DEMO_CREDENTIALS_FILE), { recursive: true });
  writeFileSync(
    DEMO_CREDENTIALS_FILE,
    JSON.stringify([
      { role: "ADMIN", email: "admin@shopgraph.dev", password: admin.generatedPassword },
      { role: "CUSTOMER", email: "customer@shopgraph.dev", password: customerPassword },
    ]),
    { mode: 0o600 },
  );
  log.info("seeded demo accounts");
}

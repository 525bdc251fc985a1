// Demo accounts for `npm start`: an administrator and a customer with generated passwords,
// kept in a git-ignored file so every start can print them.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Config } from "../../../lib/config.js";
import type { Logger } from "../../../lib/logger.js";
import type { PrismaClient } from "../../../prisma/users/__generated__/client.js";
import { createCustomer, generatePassword, makeAdmin } from "./users.js";

/** Beside the development signing keys (git-ignored `.secrets/` unless JWT_KEY_FILE says otherwise). */
export const demoCredentialsFile = (config: Config) => path.join(path.dirname(config.jwt.keyFile), "demo-credentials.json");

export interface DemoAccount {
  role: "ADMIN" | "CUSTOMER";
  email: string;
  password: string;
}

/** The demo accounts the seed made, or none when this database was not seeded from here. */
export function readDemoAccounts(config: Config): DemoAccount[] {
  const file = demoCredentialsFile(config);
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as DemoAccount[]) : [];
}

export async function seed(prisma: PrismaClient, log: Logger, config: Config): Promise<void> {
  if ((await prisma.user.count()) > 0) return;
  const admin = await makeAdmin(prisma, "admin@shopgraph.dev", "Demo Admin");
  const customerPassword = generatePassword();
  await createCustomer(prisma, "customer@shopgraph.dev", "Demo Customer", customerPassword);
  const file = demoCredentialsFile(config);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(
    file,
    JSON.stringify([
      { role: "ADMIN", email: "admin@shopgraph.dev", password: admin.generatedPassword! },
      { role: "CUSTOMER", email: "customer@shopgraph.dev", password: customerPassword },
    ] satisfies DemoAccount[]),
    { mode: 0o600 },
  );
  log.info("seeded demo accounts");
}

// `npm run create-admin -- <email>`: makes that user an administrator, creating the account
// with a generated password (printed once) when it does not exist.
import { loadConfigOrExit } from "../lib/config.js";
import { prismaAdapter } from "../lib/database.js";
import { AppError } from "../lib/errors.js";
import { PrismaClient } from "../prisma/users/__generated__/client.js";
import { makeAdmin } from "../subgraphs/users/src/users.js";

const email = process.argv[2];
if (!email) {
  console.error("Usage: npm run create-admin -- <email>");
  process.exit(1);
}
const config = loadConfigOrExit();
const prisma = new PrismaClient({ adapter: prismaAdapter(config.subgraphs.users.databaseUrl, 1) });
try {
  const { user, generatedPassword } = await makeAdmin(prisma, email);
  if (generatedPassword) {
    console.log(`Created administrator ${user.email}.\nPassword (shown once, change it after signing in): ${generatedPassword}`);
  } else {
    console.log(`${user.email} is an administrator.`);
  }
} catch (error) {
  if (error instanceof AppError) {
    console.error(error.message);
    process.exitCode = 1;
  } else {
    console.error(`create-admin failed: ${(error as Error).message}\nIs the database up and migrated? (npm start does both.)`);
    process.exitCode = 1;
  }
} finally {
  await prisma.$disconnect();
}

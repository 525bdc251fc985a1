import path from "node:path";
import type { Config } from "../../../lib/config.js";
import { QUERY_EVENTS, countQueries, prismaAdapter } from "../../../lib/database.js";
import { createSubgraphServer } from "../../../lib/subgraph.js";
import { PrismaClient } from "../../../prisma/payments/__generated__/client.js";
import { createLoaders, type PaymentsContext } from "./context.js";
import { resolvers } from "./resolvers/index.js";

export const SCHEMA_PATH = path.join(import.meta.dirname, "..", "schema.graphql");

export function createPaymentsPrisma(config: Config): PrismaClient {
  const prisma = new PrismaClient({ adapter: prismaAdapter(config.subgraphs.payments.databaseUrl), log: [...QUERY_EVENTS] });
  countQueries(prisma, "payments");
  return prisma;
}

export async function createPaymentsServer(config: Config, prisma = createPaymentsPrisma(config)) {
  return createSubgraphServer<PaymentsContext>({
    name: "payments",
    config,
    schemaPath: SCHEMA_PATH,
    resolvers,
    createContext: (base) => ({ ...base, prisma, loaders: createLoaders(prisma) }),
    healthCheck: () => prisma.$queryRaw`SELECT 1`,
    onStop: () => prisma.$disconnect(),
  });
}

import path from "node:path";
import type { Config } from "../../../lib/config.js";
import { QUERY_EVENTS, countQueries, prismaAdapter } from "../../../lib/database.js";
import { createSubgraphServer } from "../../../lib/subgraph.js";
import { PrismaClient } from "../../../prisma/orders/__generated__/client.js";
import { createLoaders, type OrdersContext } from "./context.js";
import { resolvers } from "./resolvers/index.js";

export const SCHEMA_PATH = path.join(import.meta.dirname, "..", "schema.graphql");

export function createOrdersPrisma(config: Config): PrismaClient {
  const prisma = new PrismaClient({ adapter: prismaAdapter(config.subgraphs.orders.databaseUrl), log: [...QUERY_EVENTS] });
  countQueries(prisma, "orders");
  return prisma;
}

export async function createOrdersServer(config: Config, prisma = createOrdersPrisma(config)) {
  return createSubgraphServer<OrdersContext>({
    name: "orders",
    config,
    schemaPath: SCHEMA_PATH,
    resolvers,
    createContext: (base) => ({ ...base, prisma, loaders: createLoaders(prisma) }),
    healthCheck: () => prisma.$queryRaw`SELECT 1`,
    onStop: () => prisma.$disconnect(),
  });
}

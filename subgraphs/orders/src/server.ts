import path from "node:path";
import type { Config } from "../../../lib/config.js";
import { createPrisma } from "../../../lib/database.js";
import { createSubgraphServer } from "../../../lib/subgraph.js";
import { PrismaClient } from "../../../prisma/orders/__generated__/client.js";
import { createLoaders, type OrdersContext } from "./context.js";
import { resolvers } from "./resolvers/index.js";

export const SCHEMA_PATH = path.join(import.meta.dirname, "..", "schema.graphql");

export async function createOrdersServer(config: Config, prisma = createPrisma("orders", config, PrismaClient)) {
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

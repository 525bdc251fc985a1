import type { Config } from "../../../lib/config.js";
import { createPrisma } from "../../../lib/database.js";
import { createSubgraphServer } from "../../../lib/subgraph.js";
import { PrismaClient } from "../../../prisma/orders/__generated__/client.js";
import { createLoaders, type OrdersContext } from "./context.js";
import { resolvers } from "./resolvers/index.js";

export async function createOrdersServer(config: Config, prisma = createPrisma("orders", config, PrismaClient)) {
  return createSubgraphServer<OrdersContext>({
    name: "orders",
    config,
    resolvers,
    createContext: (base) => ({ ...base, prisma, loaders: createLoaders(prisma) }),
    prisma,
  });
}

import type { Config } from "../../../lib/config.js";
import { createPrisma } from "../../../lib/database.js";
import { createSubgraphServer } from "../../../lib/subgraph.js";
import { PrismaClient } from "../../../prisma/orders/__generated__/client.js";
import { createServiceClient } from "../../../lib/serviceClient.js";
import { createLoaders, type OrderDeps, type OrdersContext } from "./context.js";
import { resolvers } from "./resolvers/index.js";

export async function createOrdersServer(config: Config, prisma = createPrisma("orders", config, PrismaClient)) {
  const services = createServiceClient(config, "orders");
  const deps: OrderDeps = { prisma, services, checkoutRules: config.checkout, serviceTimeoutMs: config.subgraphTimeoutMs };
  return createSubgraphServer<OrdersContext>({
    name: "orders",
    config,
    resolvers,
    createContext: (base) => ({ ...base, ...deps, loaders: createLoaders(prisma) }),
    prisma,
  });
}

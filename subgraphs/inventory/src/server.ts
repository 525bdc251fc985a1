import type { Config } from "../../../lib/config.js";
import { createPrisma } from "../../../lib/database.js";
import { createSubgraphServer } from "../../../lib/subgraph.js";
import { PrismaClient } from "../../../prisma/inventory/__generated__/client.js";
import { createLoaders, type InventoryContext } from "./context.js";
import { resolvers } from "./resolvers/index.js";
import { createServiceClient } from "../../../lib/serviceClient.js";

export async function createInventoryServer(config: Config, prisma = createPrisma("inventory", config, PrismaClient)) {
  const services = createServiceClient(config, "inventory");
  return createSubgraphServer<InventoryContext>({
    name: "inventory",
    config,
    resolvers,
    createContext: (base) => ({ ...base, prisma, services, loaders: createLoaders(prisma) }),
    prisma,
  });
}

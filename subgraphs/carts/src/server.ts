import type { Config } from "../../../lib/config.js";
import { createPrisma } from "../../../lib/database.js";
import { createSubgraphServer } from "../../../lib/subgraph.js";
import { PrismaClient } from "../../../prisma/carts/__generated__/client.js";
import { createLoaders, type CartsContext } from "./context.js";
import { resolvers } from "./resolvers/index.js";
import { createServiceClient } from "../../../lib/serviceClient.js";

export async function createCartsServer(config: Config, prisma = createPrisma("carts", config, PrismaClient)) {
  const services = createServiceClient(config, "carts");
  return createSubgraphServer<CartsContext>({
    name: "carts",
    config,
    resolvers,
    createContext: (base) => ({ ...base, prisma, services, loaders: createLoaders(prisma, services, base) }),
    prisma,
  });
}

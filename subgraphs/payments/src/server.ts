import type { Config } from "../../../lib/config.js";
import { createPrisma } from "../../../lib/database.js";
import { createSubgraphServer } from "../../../lib/subgraph.js";
import { PrismaClient } from "../../../prisma/payments/__generated__/client.js";
import { createLoaders, type PaymentsContext } from "./context.js";
import { resolvers } from "./resolvers/index.js";

export async function createPaymentsServer(config: Config, prisma = createPrisma("payments", config, PrismaClient)) {
  return createSubgraphServer<PaymentsContext>({
    name: "payments",
    config,
    resolvers,
    createContext: (base) => ({ ...base, prisma, loaders: createLoaders(prisma) }),
    prisma,
  });
}

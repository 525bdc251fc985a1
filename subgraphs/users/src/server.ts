import type { Config } from "../../../lib/config.js";
import { loadSigningKeys, signToken } from "../../../lib/auth.js";
import { createPrisma } from "../../../lib/database.js";
import { createSubgraphServer } from "../../../lib/subgraph.js";
import { PrismaClient } from "../../../prisma/users/__generated__/client.js";
import { createLoaders, type UsersContext } from "./context.js";
import { resolvers } from "./resolvers/index.js";

export async function createUsersServer(config: Config, prisma = createPrisma("users", config, PrismaClient)) {
  const { privateKey } = await loadSigningKeys(config);
  if (!privateKey) throw new Error("JWT_PRIVATE_KEY is required by the users subgraph, which signs tokens");
  return createSubgraphServer<UsersContext>({
    name: "users",
    config,
    resolvers,
    createContext: (base) => ({
      ...base,
      prisma,
      loaders: createLoaders(prisma),
      issueToken: (subject) => signToken(subject, privateKey, config.jwt),
      sessionTtlSeconds: config.jwt.refreshTokenTtlSeconds,
    }),
    prisma,
  });
}

import DataLoader from "dataloader";
import type { BaseContext } from "../../../lib/subgraph.js";
import type { Viewer } from "../../../lib/auth.js";
import { byId } from "../../../lib/loaders.js";
import type { PrismaClient, User } from "../../../prisma/users/__generated__/client.js";

export interface UsersContext extends BaseContext {
  prisma: PrismaClient;
  loaders: { userById: DataLoader<string, User | null> };
  issueToken(viewer: Viewer): Promise<{ token: string; expiresAt: Date }>;
}

export function createLoaders(prisma: PrismaClient): UsersContext["loaders"] {
  return {
    userById: byId((ids) => prisma.user.findMany({ where: { id: { in: ids } } })),
  };
}

import DataLoader from "dataloader";
import type { BaseContext } from "../../../lib/subgraph.js";
import type { TokenSubject } from "../../../lib/auth.js";
import { byId } from "../../../lib/loaders.js";
import type { PrismaClient, User } from "../../../prisma/users/__generated__/client.js";

export interface UsersContext extends BaseContext {
  prisma: PrismaClient;
  loaders: { userById: DataLoader<string, User | null> };
  issueToken(subject: TokenSubject): Promise<{ token: string; expiresAt: Date }>;
  /** How long a session (a family of refresh tokens) lasts from sign-in. */
  sessionTtlSeconds: number;
}

export function createLoaders(prisma: PrismaClient): UsersContext["loaders"] {
  return {
    userById: byId((ids) => prisma.user.findMany({ where: { id: { in: ids } } })),
  };
}

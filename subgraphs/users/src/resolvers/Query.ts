import type { QueryResolvers } from "../__generated__/resolvers-types.js";
import * as users from "../users.js";

export const Query: QueryResolvers = {
  me: (_, __, ctx) => users.me(ctx),
  users: (_, args, ctx) => users.listUsers(ctx, args),
  user: (_, { id }, ctx) => users.getUser(ctx, id),
};

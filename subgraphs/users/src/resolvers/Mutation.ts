import type { MutationResolvers } from "../__generated__/resolvers-types.js";
import * as users from "../users.js";

export const Mutation: MutationResolvers = {
  register: (_, { input }, ctx) => users.register(ctx, input),
  login: (_, { email, password }, ctx) => users.login(ctx, email, password),
  updateProfile: (_, { input }, ctx) => users.updateProfile(ctx, input),
  setUserRole: (_, { userId, role }, ctx) => users.setUserRole(ctx, userId, role),
};

import type { MutationResolvers } from "../__generated__/resolvers-types.js";
import * as sessions from "../sessions.js";
import * as users from "../users.js";

export const Mutation: MutationResolvers = {
  register: (_, { input }, ctx) => users.register(ctx, input),
  login: (_, { email, password }, ctx) => users.login(ctx, email, password),
  refreshToken: (_, { refreshToken }, ctx) => sessions.refresh(ctx, refreshToken),
  logout: (_, { refreshToken }, ctx) => sessions.logout(ctx, refreshToken),
  logoutEverywhere: (_, __, ctx) => sessions.logoutEverywhere(ctx),
  updateProfile: (_, { input }, ctx) => users.updateProfile(ctx, input),
  setUserRole: (_, { userId, role }, ctx) => users.setUserRole(ctx, userId, role),
  deleteAccount: (_, { password }, ctx) => users.deleteAccount(ctx, password),
  deleteUser: (_, { id }, ctx) => users.deleteUser(ctx, id),
};

// The result unions of the users subgraph's mutations: the error members carry `__typename`.
import { resolveResultType } from "../../../../lib/errors.js";
import type { Resolvers } from "../__generated__/resolvers-types.js";

export const results: Resolvers = {
  RegisterResult: { __resolveType: resolveResultType("AuthPayload") },
  LoginResult: { __resolveType: resolveResultType("AuthPayload") },
  UpdateProfileResult: { __resolveType: resolveResultType("User") },
  SetUserRoleResult: { __resolveType: resolveResultType("User") },
  DeleteAccountResult: { __resolveType: resolveResultType("UserDeleted") },
  DeleteUserResult: { __resolveType: resolveResultType("UserDeleted") },
};

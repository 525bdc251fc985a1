import type { UserResolvers } from "../__generated__/resolvers-types.js";
import type { Address } from "../users.js";
import * as users from "../users.js";

export const User: UserResolvers = {
  __resolveReference: (reference, ctx) => users.userReference(ctx, reference.id),
  email: (user, _, ctx) => {
    users.assertCanSeePrivateFields(ctx, user);
    return user.email;
  },
  defaultShippingAddress: (user, _, ctx) => {
    users.assertCanSeePrivateFields(ctx, user);
    return (user.shippingAddress as Address | null) ?? null;
  },
};

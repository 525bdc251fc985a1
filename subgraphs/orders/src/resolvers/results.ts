import { resolveResultType } from "../../../../lib/errors.js";
import type { CancelOrderResultResolvers, CheckoutResultResolvers } from "../__generated__/resolvers-types.js";

export const CheckoutResult: CheckoutResultResolvers = {
  __resolveType: resolveResultType("CheckoutSuccess"),
};

export const CancelOrderResult: CancelOrderResultResolvers = {
  __resolveType: resolveResultType("Order"),
};

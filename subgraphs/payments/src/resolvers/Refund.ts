import type { RefundResolvers } from "../__generated__/resolvers-types.js";
import * as payments from "../payments.js";

export const Refund: RefundResolvers = {
  amount: (refund) => payments.refundAmountOf(refund),
};

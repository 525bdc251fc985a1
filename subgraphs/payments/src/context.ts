import type DataLoader from "dataloader";
import type Stripe from "stripe";
import type { BaseContext } from "../../../lib/subgraph.js";
import type { Logger } from "../../../lib/logger.js";
import { byId, groupedBy, isUuid } from "../../../lib/loaders.js";
import type { Payment, PrismaClient, Refund } from "../../../prisma/payments/__generated__/client.js";

/** What the payment functions need: the request context has it, and so does the worker without a request. */
export interface PaymentDeps {
  prisma: PrismaClient;
  stripe: Stripe;
  log: Logger;
}

export interface PaymentsContext extends BaseContext, PaymentDeps {
  loaders: {
    paymentById: DataLoader<string, Payment | null>;
    paymentsByOrderId: DataLoader<string, Payment[]>;
    refundsByPaymentId: DataLoader<string, Refund[]>;
  };
}

export function createLoaders(prisma: PrismaClient): PaymentsContext["loaders"] {
  return {
    paymentById: byId((ids) => prisma.payment.findMany({ where: { id: { in: ids } } })),
    paymentsByOrderId: groupedBy(
      (payment) => payment.orderId,
      // Order references come from clients through the router: skip ids that cannot be uuids.
      (orderIds) =>
        prisma.payment.findMany({
          where: { orderId: { in: orderIds.filter(isUuid) } },
          orderBy: [{ createdAt: "asc" }, { id: "asc" }],
        }),
    ),
    refundsByPaymentId: groupedBy(
      (refund) => refund.paymentId,
      (paymentIds) => prisma.refund.findMany({ where: { paymentId: { in: paymentIds } }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] }),
    ),
  };
}

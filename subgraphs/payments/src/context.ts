import type DataLoader from "dataloader";
import type { BaseContext } from "../../../lib/subgraph.js";
import { byId, groupedBy, isUuid } from "../../../lib/loaders.js";
import type { Payment, PrismaClient } from "../../../prisma/payments/__generated__/client.js";

export interface PaymentsContext extends BaseContext {
  prisma: PrismaClient;
  loaders: {
    paymentById: DataLoader<string, Payment | null>;
    paymentsByOrderId: DataLoader<string, Payment[]>;
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
  };
}

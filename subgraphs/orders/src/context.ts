import type DataLoader from "dataloader";
import type { BaseContext } from "../../../lib/subgraph.js";
import { byId, groupedBy } from "../../../lib/loaders.js";
import type { Order, OrderItem, PrismaClient } from "../../../prisma/orders/__generated__/client.js";

export interface OrdersContext extends BaseContext {
  prisma: PrismaClient;
  loaders: {
    orderById: DataLoader<string, Order | null>;
    itemsByOrderId: DataLoader<string, OrderItem[]>;
  };
}

export function createLoaders(prisma: PrismaClient): OrdersContext["loaders"] {
  return {
    orderById: byId((ids) => prisma.order.findMany({ where: { id: { in: ids } } })),
    itemsByOrderId: groupedBy(
      (item) => item.orderId,
      (orderIds) => prisma.orderItem.findMany({ where: { orderId: { in: orderIds } }, orderBy: { id: "asc" } }),
    ),
  };
}

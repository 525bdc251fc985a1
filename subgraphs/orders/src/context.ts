import type DataLoader from "dataloader";
import type { BaseContext } from "../../../lib/subgraph.js";
import { byId, groupedBy } from "../../../lib/loaders.js";
import type { Order, OrderItem, OrderStatusChange, PrismaClient } from "../../../prisma/orders/__generated__/client.js";

export interface OrdersContext extends BaseContext {
  prisma: PrismaClient;
  loaders: {
    orderById: DataLoader<string, Order | null>;
    itemsByOrderId: DataLoader<string, OrderItem[]>;
    statusChangesByOrderId: DataLoader<string, OrderStatusChange[]>;
  };
}

export function createLoaders(prisma: PrismaClient): OrdersContext["loaders"] {
  return {
    orderById: byId((ids) => prisma.order.findMany({ where: { id: { in: ids } } })),
    itemsByOrderId: groupedBy(
      (item) => item.orderId,
      (orderIds) => prisma.orderItem.findMany({ where: { orderId: { in: orderIds } }, orderBy: { id: "asc" } }),
    ),
    statusChangesByOrderId: groupedBy(
      (change) => change.orderId,
      (orderIds) => prisma.orderStatusChange.findMany({ where: { orderId: { in: orderIds } }, orderBy: [{ at: "asc" }, { id: "asc" }] }),
    ),
  };
}

import type DataLoader from "dataloader";
import type { Config } from "../../../lib/config.js";
import type { ServiceClient } from "../../../lib/serviceClient.js";
import type { BaseContext } from "../../../lib/subgraph.js";
import { byId, groupedBy } from "../../../lib/loaders.js";
import type { Order, OrderItem, OrderStatusChange, PrismaClient } from "../../../prisma/orders/__generated__/client.js";

/** What placing and moving orders needs besides a request: the server and the worker build it once. */
export interface OrderDeps {
  prisma: PrismaClient;
  /** Signed calls to carts, products, inventory and payments. */
  services: ServiceClient;
  /** Shipping, tax and the unpaid-order lifetime. */
  checkoutRules: Config["checkout"];
  /** How long a service call may take (SUBGRAPH_TIMEOUT_MS): transactions that wait on one allow for it. */
  serviceTimeoutMs: number;
}

export interface OrdersContext extends BaseContext, OrderDeps {
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

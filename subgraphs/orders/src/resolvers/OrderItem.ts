import type { OrderItemResolvers } from "../__generated__/resolvers-types.js";
import * as orders from "../orders.js";

export const OrderItem: OrderItemResolvers = {
  product: (item) => ({ id: item.productId }),
  unitPrice: (item) => orders.unitPrice(item),
  lineTotal: (item) => orders.lineTotal(item),
};

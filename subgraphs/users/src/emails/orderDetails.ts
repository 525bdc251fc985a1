// An order as the emails show it, from the orders subgraph (its @inaccessible orderForNotification, signed as "users").
import type { ServiceClient } from "../../../../lib/serviceClient.js";
import type { Money } from "../../../../lib/types.js";
import type { Address, OrderDetails } from "./templates.js";

const ORDER_FOR_NOTIFICATION = `query EmailOrder($id: ID!) {
  orderForNotification(id: $id) {
    id
    status
    customer { id }
    items { productName quantity unitPrice { amount currency } lineTotal { amount currency } }
    subtotal { amount currency }
    shippingTotal { amount currency }
    taxTotal { amount currency }
    total { amount currency }
    shippingAddress { line1 line2 city region postalCode country }
    expiresAt
    statusHistory { note }
  }
}`;

interface OrderForNotification {
  id: string;
  status: string;
  customer: { id: string };
  items: { productName: string; quantity: number; unitPrice: Money; lineTotal: Money }[];
  subtotal: Money;
  shippingTotal: Money;
  taxTotal: Money;
  total: Money;
  shippingAddress: Address | null;
  expiresAt: string | null;
  statusHistory: { note: string | null }[];
}

export interface NotifiedOrder extends OrderDetails {
  customerId: string;
}

/** The order, or null when orders knows none with this id. Throws ServiceCallError when orders cannot answer. */
export async function orderForNotification(services: ServiceClient, orderId: string, requestId?: string): Promise<NotifiedOrder | null> {
  const data = await services.call<{ orderForNotification: OrderForNotification | null }>(
    "orders",
    ORDER_FOR_NOTIFICATION,
    { id: orderId },
    { requestId },
  );
  const order = data.orderForNotification;
  if (!order) return null;
  return {
    id: order.id,
    customerId: order.customer.id,
    status: order.status,
    items: order.items,
    subtotal: order.subtotal,
    shippingTotal: order.shippingTotal,
    taxTotal: order.taxTotal,
    total: order.total,
    shippingAddress: order.shippingAddress,
    expiresAt: order.expiresAt ? new Date(order.expiresAt) : null,
    latestNote: order.statusHistory.at(-1)?.note ?? null,
  };
}

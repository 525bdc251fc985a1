// Orders: who may see which order, and how lists of them page. Callable without HTTP.
// Placing orders and moving them through their states come with checkout.
import { assertOwnerOrAdmin } from "../../../lib/access.js";
import { requireViewer } from "../../../lib/auth.js";
import { cursorCodec, cursorKeys, pageSize, toConnection, type Connection } from "../../../lib/pagination.js";
import type { EntityReference, Money } from "../../../lib/types.js";
import type { Order, OrderItem, Prisma } from "../../../prisma/orders/__generated__/client.js";
import type { OrdersContext } from "./context.js";

export type { Order };

/** An order item with its order's currency, which every amount of an order shares. */
export type PricedOrderItem = OrderItem & { currency: string };

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

/** Unknown (or malformed) ids give null; other customers' orders are FORBIDDEN. */
export async function findOrder(ctx: OrdersContext, id: string): Promise<Order | null> {
  requireViewer(ctx.viewer);
  const order = await ctx.loaders.orderById.load(id);
  if (order) assertOwnerOrAdmin(ctx.viewer, order.customerId, "order");
  return order;
}

export function myOrders(ctx: OrdersContext, args: PageArgs): Promise<Connection<Order>> {
  const viewer = requireViewer(ctx.viewer);
  return listCustomerOrders(ctx, viewer.userId, args);
}

export function ordersOfUser(ctx: OrdersContext, user: EntityReference, args: PageArgs): Promise<Connection<Order>> {
  assertOwnerOrAdmin(ctx.viewer, user.id, "order history");
  return listCustomerOrders(ctx, user.id, args);
}

/** A customer's orders page newest first, by (createdAt, id). */
const orderCursor = cursorCodec("orders", [cursorKeys.timestamp(), cursorKeys.id]);

/** Newest first, paged by keyset on (createdAt, id) so pages stay stable while orders are placed. */
async function listCustomerOrders(ctx: OrdersContext, customerId: string, args: PageArgs): Promise<Connection<Order>> {
  const size = pageSize(args.first);
  const where: Prisma.OrderWhereInput = { customerId };
  const [rows, totalCount] = await Promise.all([
    ctx.prisma.order.findMany({
      where: { AND: [where, keysetAfter(args.after)] },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      take: size + 1,
    }),
    ctx.prisma.order.count({ where }),
  ]);
  for (const order of rows) ctx.loaders.orderById.prime(order.id, order);
  return toConnection(rows, size, (o) => orderCursor.encode([o.createdAt.toISOString(), o.id]), totalCount, Boolean(args.after));
}

function keysetAfter(after: string | null | undefined): Prisma.OrderWhereInput {
  if (!after) return {};
  const [createdAt, id] = orderCursor.decode(after);
  const at = new Date(createdAt);
  return { OR: [{ createdAt: { lt: at } }, { createdAt: at, id: { lt: id } }] };
}

export async function itemsOf(ctx: OrdersContext, order: Order): Promise<PricedOrderItem[]> {
  const items = await ctx.loaders.itemsByOrderId.load(order.id);
  return items.map((item) => ({ ...item, currency: order.currency }));
}

export const total = (order: Order): Money => ({ amount: order.totalAmount, currency: order.currency });
export const unitPrice = (item: PricedOrderItem): Money => ({ amount: item.unitAmount, currency: item.currency });
export const lineTotal = (item: PricedOrderItem): Money => ({ amount: item.unitAmount * item.quantity, currency: item.currency });

// Orders: who may see which order, and how lists of them page. Callable without HTTP.
// Placing orders and moving them through their states come with checkout.
import { z } from "zod";
import { assertOwnerOrAdmin } from "../../../lib/access.js";
import { requireViewer } from "../../../lib/auth.js";
import { BadUserInputError } from "../../../lib/errors.js";
import { decodeCursor, encodeCursor, pageSize, toConnection, type Connection } from "../../../lib/pagination.js";
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
  return toConnection(rows, size, (o) => encodeCursor([o.createdAt.toISOString(), o.id]), totalCount, Boolean(args.after));
}

function keysetAfter(after: string | null | undefined): Prisma.OrderWhereInput {
  if (!after) return {};
  const [createdAt, id] = decodeCursor(after);
  const at = new Date(String(createdAt));
  if (typeof id !== "string" || !z.uuid().safeParse(id).success || Number.isNaN(at.getTime())) {
    throw new BadUserInputError("The cursor is not valid; use one returned by a previous page.", "after");
  }
  return { OR: [{ createdAt: { lt: at } }, { createdAt: at, id: { lt: id } }] };
}

export async function itemsOf(ctx: OrdersContext, order: Order): Promise<PricedOrderItem[]> {
  const items = await ctx.loaders.itemsByOrderId.load(order.id);
  return items.map((item) => ({ ...item, currency: order.currency }));
}

export const total = (order: Order): Money => ({ amount: order.totalAmount, currency: order.currency });
export const unitPrice = (item: PricedOrderItem): Money => ({ amount: item.unitAmount, currency: item.currency });
export const lineTotal = (item: PricedOrderItem): Money => ({ amount: item.unitAmount * item.quantity, currency: item.currency });

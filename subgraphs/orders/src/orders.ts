// Orders: who may see which order, and how lists of them page. Callable without HTTP.
// Placing orders comes with checkout; moving them through their states is orderLifecycle.ts.
import { z } from "zod";
import { assertOwnerOrAdmin, assertServiceCaller } from "../../../lib/access.js";
import { requireAdmin, requireViewer } from "../../../lib/auth.js";
import { BadUserInputError } from "../../../lib/errors.js";
import { cursorCodec, cursorKeys, pageSize, toConnection, type Connection } from "../../../lib/pagination.js";
import type { EntityReference, Money } from "../../../lib/types.js";
import { parseInput, uuid } from "../../../lib/validation.js";
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

/** Service operation for the users subgraph's emails: any order, to the users service only; null for unknown ids. */
export async function orderForNotification(ctx: OrdersContext, id: string): Promise<Order | null> {
  assertServiceCaller(ctx.caller, ["users"], "orderForNotification");
  return ctx.loaders.orderById.load(id);
}

export function myOrders(ctx: OrdersContext, args: PageArgs): Promise<Connection<Order>> {
  const viewer = requireViewer(ctx.viewer);
  return listCustomerOrders(ctx, viewer.userId, args);
}

export function ordersOfUser(ctx: OrdersContext, user: EntityReference, args: PageArgs): Promise<Connection<Order>> {
  assertOwnerOrAdmin(ctx.viewer, user.id, "order history");
  return listCustomerOrders(ctx, user.id, args);
}

export interface OrderFilter {
  status?: Order["status"] | null;
  customerId?: string | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
}

const orderFilterSchema = z.object({
  status: z.string().nullish(),
  customerId: uuid().nullish(),
  createdAfter: z.date().nullish(),
  createdBefore: z.date().nullish(),
});

/** Administrators only: every customer's orders, newest first, narrowed by the filter. */
export function allOrders(ctx: OrdersContext, args: PageArgs & { filter?: OrderFilter | null }): Promise<Connection<Order>> {
  requireAdmin(ctx.viewer);
  const filter = args.filter ?? {};
  parseInput(orderFilterSchema, filter, "filter");
  const { createdAfter, createdBefore } = filter;
  if (createdAfter && createdBefore && createdAfter > createdBefore) {
    throw new BadUserInputError("filter.createdAfter must not be later than filter.createdBefore.", "filter.createdAfter");
  }
  return listOrders(
    ctx,
    {
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.customerId ? { customerId: filter.customerId } : {}),
      ...(createdAfter || createdBefore
        ? { createdAt: { ...(createdAfter ? { gte: createdAfter } : {}), ...(createdBefore ? { lt: createdBefore } : {}) } }
        : {}),
    },
    args,
  );
}

/** Every list of orders pages newest first, by (createdAt, id); the filter narrows, the key stays. */
const orderCursor = cursorCodec("orders", [cursorKeys.timestamp(), cursorKeys.id]);

const listCustomerOrders = (ctx: OrdersContext, customerId: string, args: PageArgs) => listOrders(ctx, { customerId }, args);

/** Newest first, paged by keyset on (createdAt, id) so pages stay stable while orders are placed. */
async function listOrders(ctx: OrdersContext, where: Prisma.OrderWhereInput, args: PageArgs): Promise<Connection<Order>> {
  const size = pageSize(args.first);
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

const money = (order: Order, amount: number): Money => ({ amount, currency: order.currency });
export const subtotal = (order: Order): Money => money(order, order.subtotalAmount);
export const shippingTotal = (order: Order): Money => money(order, order.shippingAmount);
export const taxTotal = (order: Order): Money => money(order, order.taxAmount);
export const total = (order: Order): Money => money(order, order.totalAmount);

/** The users subgraph's Address; checkout writes it through the same schema. */
export const addressSchema = z.object({
  line1: z.string().min(1).max(200),
  line2: z.string().max(200).nullish(),
  city: z.string().min(1).max(100),
  region: z.string().max(100).nullish(),
  postalCode: z.string().min(1).max(20),
  country: z.string().regex(/^[A-Z]{2}$/),
});
export type Address = z.infer<typeof addressSchema>;

/** The stored snapshot as an Address; a row that does not fit (written by hand, say) shows none rather than failing the order. */
export function shippingAddress(ctx: OrdersContext, order: Order): Address | null {
  if (order.shippingAddress === null) return null;
  const parsed = addressSchema.safeParse(order.shippingAddress);
  if (parsed.success) return parsed.data;
  ctx.log.warn({ orderId: order.id }, "order has a malformed shipping address");
  return null;
}
export const unitPrice = (item: PricedOrderItem): Money => ({ amount: item.unitAmount, currency: item.currency });
export const lineTotal = (item: PricedOrderItem): Money => ({ amount: item.unitAmount * item.quantity, currency: item.currency });

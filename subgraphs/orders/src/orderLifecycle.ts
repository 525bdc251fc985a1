// Moving orders through their states (the machine is orderStatus.ts) and their recorded history.
// Every move changes the status and writes its history row in one transaction, under a row lock on
// the order, so two moves from the same status cannot both succeed.
import { z } from "zod";
import { requireAdmin, requireViewer, type Viewer } from "../../../lib/auth.js";
import { NotFoundError, UnavailableError, type ErrorResult } from "../../../lib/errors.js";
import { isUuid } from "../../../lib/loaders.js";
import { parseInput } from "../../../lib/validation.js";
import type { Order, OrderStatusChange } from "../../../prisma/orders/__generated__/client.js";
import type { OrdersContext } from "./context.js";
import { writeOutbox } from "../../../lib/outbox.js";
import { orderEmail, stockJob } from "./orderJobs.js";
import { lockOrderRow, recordMove, type OrderActor } from "./orderMoves.js";
import { moveKind, nextStatuses, statusUpdateTargets, type OrderActorKind, type OrderStatus } from "./orderStatus.js";
import * as services from "./services.js";

export const MAX_NOTE_LENGTH = 500;

export interface InvalidStatusTransition extends ErrorResult<"InvalidStatusTransitionError", "INVALID_STATUS_TRANSITION"> {
  from: OrderStatus;
  to: OrderStatus;
  allowed: OrderStatus[];
}

/** How the viewer acts on an order: administrators as ADMIN (even on their own orders), its customer as CUSTOMER. */
const actorKindOf = (viewer: Viewer): OrderActorKind => (viewer.role === "ADMIN" ? "ADMIN" : "CUSTOMER");

/** The statuses the viewer may move the order to (the order is already visible to them). */
export function nextStatusesFor(ctx: OrdersContext, order: Order): OrderStatus[] {
  return nextStatuses(order.status, actorKindOf(requireViewer(ctx.viewer)));
}

export function statusHistory(ctx: OrdersContext, order: Order): Promise<OrderStatusChange[]> {
  return ctx.loaders.statusChangesByOrderId.load(order.id);
}

/** Who made a move, as the viewer may see it: customers see that an administrator acted, not which one. */
export function actorOf(ctx: OrdersContext, change: OrderStatusChange): { kind: OrderActorKind; user: { id: string } | null } {
  const viewer = requireViewer(ctx.viewer);
  const visible = change.actorId !== null && (viewer.role === "ADMIN" || change.actorId === viewer.userId);
  return { kind: change.actorKind, user: visible ? { id: change.actorId! } : null };
}

const noteSchema = z
  .string()
  .trim()
  .max(MAX_NOTE_LENGTH, `must be at most ${MAX_NOTE_LENGTH} characters`)
  .nullish()
  .transform((note) => note || null);

interface UpdateOrderStatusArgs {
  id: string;
  status: OrderStatus;
  note?: string | null;
}

/** An administrator's plain move (shipping, delivery); anything else the machine refuses is a result, not an error. */
export async function updateOrderStatus(ctx: OrdersContext, args: UpdateOrderStatusArgs): Promise<Order | InvalidStatusTransition> {
  const admin = requireAdmin(ctx.viewer);
  const note = parseInput(noteSchema, args.note, "note");
  if (!isUuid(args.id)) throw new NotFoundError("The order");
  const to = args.status;
  const outcome = await ctx.prisma.$transaction(async (tx) => {
    // The lock makes a concurrent move wait and then see the status this one left.
    const [locked] = await tx.$queryRaw<{ status: OrderStatus }[]>`
      SELECT status::text AS status FROM "Order" WHERE id = ${args.id}::uuid FOR UPDATE`;
    if (!locked) return null;
    const from = locked.status;
    const allowed = statusUpdateTargets(from);
    if (!allowed.includes(to)) return invalidTransition(from, to, allowed);
    const order = await tx.order.update({ where: { id: args.id }, data: { status: to } });
    await tx.orderStatusChange.create({ data: { orderId: order.id, status: to, actorId: admin.userId, actorKind: "ADMIN", note } });
    if (to === "SHIPPED") await writeOutbox(tx, [orderEmail("order-shipped", order)]);
    return order;
  });
  if (outcome === null) throw new NotFoundError("The order");
  if (!("__typename" in outcome)) ctx.loaders.orderById.clear(outcome.id).prime(outcome.id, outcome);
  return outcome;
}

function invalidTransition(from: OrderStatus, to: OrderStatus, allowed: OrderStatus[]): InvalidStatusTransition {
  const options = allowed.length > 0 ? `it can move to ${allowed.join(" or ")}` : "updateOrderStatus cannot move it any further";
  const why =
    from === to
      ? `The order is already ${from}`
      : to === "CANCELLED"
        ? "Orders are cancelled with cancelOrder, which releases their stock and refunds them"
        : `An order cannot move from ${from} to ${to} here`;
  return {
    __typename: "InvalidStatusTransitionError",
    code: "INVALID_STATUS_TRANSITION",
    message: `${why}; ${options}.`,
    from,
    to,
    allowed,
  };
}

// --- Cancellation --------------------------------------------------------------------------------

export const REFUND_ON_CANCEL_REASON = "order cancelled";

/**
 * Cancels an order that has not shipped: its customer or an administrator; anyone else gets
 * NOT_FOUND, as for an unknown id. Unpaid: CANCELLED, with its stock release and the customer's email
 * in the outbox in the same transaction, then its PaymentIntent cancelled (if that fails, a payment
 * that still arrives is refunded automatically). Paid: refunded through payments FIRST, under the
 * order's row lock (a failure leaves the order as it was: UNAVAILABLE), then CANCELLED with its stock
 * return and email in the outbox; the refund event moves it on to REFUNDED.
 */
export async function cancelOrder(ctx: OrdersContext, args: { id: string }): Promise<Order | InvalidStatusTransition> {
  const viewer = requireViewer(ctx.viewer);
  const order = isUuid(args.id) ? await ctx.prisma.order.findUnique({ where: { id: args.id } }) : null;
  if (!order || (order.customerId !== viewer.userId && viewer.role !== "ADMIN")) throw new NotFoundError("The order");
  const actor: OrderActor = { kind: actorKindOf(viewer), id: viewer.userId };
  const call = { requestId: ctx.requestId, authorization: ctx.authorization };
  const log = ctx.log.child({ orderId: order.id });

  const outcome = await ctx.prisma.$transaction(
    async (tx) => {
      const locked = await lockOrderRow(tx, order.id);
      if (!locked) throw new NotFoundError("The order");
      const from = locked.status;
      if (moveKind(from, "CANCELLED", actor.kind) !== "cancellation")
        return invalidTransition(from, "CANCELLED", statusUpdateTargets(from));
      if (from === "PAID") {
        // Refund under the lock: nothing (shipping, the payment events) moves the order meanwhile,
        // and the refund's own event waits for this move, then finds the order CANCELLED.
        try {
          await services.refundPayment(ctx.services, order.id, REFUND_ON_CANCEL_REASON, call);
        } catch (err) {
          log.error({ err }, "cancelOrder: payments could not refund the order; it stays PAID");
          throw new UnavailableError("The refund cannot be made right now, so the order was not cancelled; try again in a moment.");
        }
      }
      const cancelled = await recordMove(tx, order.id, from, "CANCELLED", actor, null);
      await writeOutbox(tx, [
        stockJob(from === "PENDING_PAYMENT" ? "release" : "return", order.id),
        orderEmail("order-cancelled", cancelled),
      ]);
      return { from, order: cancelled };
    },
    // The refund call may take up to the service timeout.
    { maxWait: 10_000, timeout: ctx.serviceTimeoutMs + 5_000 },
  );
  if ("__typename" in outcome) return outcome;
  const { from, order: cancelled } = outcome;
  ctx.loaders.orderById.clear(cancelled.id).prime(cancelled.id, cancelled);

  if (from === "PENDING_PAYMENT") {
    await services.cancelPayment(ctx.services, order.id, call).catch((err: unknown) => {
      log.warn({ err }, "cancelOrder: could not cancel the PaymentIntent; a payment that still arrives is refunded automatically");
    });
  }
  log.info({ from, by: actor.kind }, "order cancelled");
  return cancelled;
}

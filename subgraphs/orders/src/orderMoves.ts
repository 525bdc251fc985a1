// One move of an order, the way every path makes it (checkout's compensation, cancelOrder, payment
// events, expiry): under a row lock on the order, asked of the state machine, with its history row
// in the same transaction. What follows a move (stock jobs, payment calls) happens after the commit.
import { parseRows } from "../../../lib/database.js";
import { z } from "zod";
import type { Order, Prisma } from "../../../prisma/orders/__generated__/client.js";
import { canTransition, ORDER_STATUSES, type OrderActorKind, type OrderStatus } from "./orderStatus.js";

export type Tx = Prisma.TransactionClient;

export interface OrderActor {
  kind: OrderActorKind;
  /** The person; null for SYSTEM. */
  id: string | null;
}

export const SYSTEM: OrderActor = { kind: "SYSTEM", id: null };

const lockedRow = z.object({ status: z.enum(ORDER_STATUSES), customerId: z.string() });

/** Locks the order row until the transaction ends; null when there is no such order. */
export async function lockOrderRow(tx: Tx, orderId: string): Promise<z.infer<typeof lockedRow> | null> {
  const [row] = parseRows(
    lockedRow,
    await tx.$queryRaw`SELECT status::text AS status, "customerId"::text AS "customerId" FROM "Order" WHERE id = ${orderId}::uuid FOR UPDATE`,
  );
  return row ?? null;
}

/**
 * Moves a locked order from `from` to `to` and records the move. The caller checked `from` under the
 * lock; the machine is asked again here, so no path can make a move the table does not allow.
 * Leaving PENDING_PAYMENT ends the unpaid order's expiry (expiresAt null).
 */
export async function recordMove(
  tx: Tx,
  orderId: string,
  from: OrderStatus,
  to: OrderStatus,
  actor: OrderActor,
  note: string | null,
  /** Given when one transaction makes two moves: now() is the transaction's start, the same for both. */
  at?: Date,
): Promise<Order> {
  if (!canTransition(from, to, actor.kind)) throw new Error(`${actor.kind} cannot move order ${orderId} from ${from} to ${to}`);
  const order = await tx.order.update({
    where: { id: orderId },
    data: { status: to, ...(from === "PENDING_PAYMENT" ? { expiresAt: null } : {}) },
  });
  await tx.orderStatusChange.create({
    data: { orderId, status: to, actorKind: actor.kind, actorId: actor.id, note, ...(at ? { at } : {}) },
  });
  return order;
}

/** A note in the history without a move (the status stays): for what happened to an order's money. */
export async function recordNote(tx: Tx, orderId: string, status: OrderStatus, note: string): Promise<void> {
  await tx.orderStatusChange.create({ data: { orderId, status, actorKind: "SYSTEM", actorId: null, note } });
}

/** Whether the order's history already has this note (so a replayed event writes it once). */
export async function hasNote(tx: Tx, orderId: string, note: string): Promise<boolean> {
  return (await tx.orderStatusChange.count({ where: { orderId, note } })) > 0;
}

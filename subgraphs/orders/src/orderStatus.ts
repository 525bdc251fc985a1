// The order state machine, in one place: which status may follow which, and who may make each move.
// Pure (no I/O), so the rules are tested pair by pair (test/unit/order-status.test.ts) and every
// path that moves an order (updateOrderStatus now; cancelOrder, payment events and expiry later)
// asks the same table.

export const ORDER_STATUSES = ["PENDING_PAYMENT", "PAID", "SHIPPED", "DELIVERED", "CANCELLED", "REFUNDED"] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/**
 * Who makes a move: the order's own customer (never another customer: access is checked before the
 * machine is asked), an administrator, or the system (payment events, reservation expiry).
 */
export const ORDER_ACTOR_KINDS = ["CUSTOMER", "ADMIN", "SYSTEM"] as const;
export type OrderActorKind = (typeof ORDER_ACTOR_KINDS)[number];

/**
 * How a move is made. `status-update`: a plain change of status (updateOrderStatus), nothing else happens.
 * `cancellation`: cancelOrder, which releases the reservation or refunds and returns stock.
 * `payment`: the payments subgraph's events (succeeded, refunded). `expiry`: an unpaid order timed out.
 */
export type OrderMoveKind = "status-update" | "cancellation" | "payment" | "expiry";

export interface OrderTransition {
  from: OrderStatus;
  to: OrderStatus;
  by: Partial<Record<OrderActorKind, OrderMoveKind>>;
}

/** Every allowed move; any pair not listed (including staying in the same status) is refused. */
export const ORDER_TRANSITIONS: readonly OrderTransition[] = [
  { from: "PENDING_PAYMENT", to: "PAID", by: { SYSTEM: "payment" } },
  { from: "PENDING_PAYMENT", to: "CANCELLED", by: { CUSTOMER: "cancellation", ADMIN: "cancellation", SYSTEM: "expiry" } },
  { from: "PAID", to: "SHIPPED", by: { ADMIN: "status-update" } },
  // Only before shipping; the refund follows and moves it on to REFUNDED.
  { from: "PAID", to: "CANCELLED", by: { CUSTOMER: "cancellation", ADMIN: "cancellation" } },
  { from: "PAID", to: "REFUNDED", by: { SYSTEM: "payment" } },
  { from: "SHIPPED", to: "DELIVERED", by: { ADMIN: "status-update" } },
  { from: "CANCELLED", to: "REFUNDED", by: { SYSTEM: "payment" } },
  // A return after delivery: the refund is issued through payments, whose event records it.
  { from: "DELIVERED", to: "REFUNDED", by: { SYSTEM: "payment" } },
];

/** Statuses no move leaves. */
export const isFinalStatus = (status: OrderStatus): boolean => !ORDER_TRANSITIONS.some((t) => t.from === status);

/** How `actor` may move an order from `from` to `to`, or null when the machine does not allow it. */
export function moveKind(from: OrderStatus, to: OrderStatus, actor: OrderActorKind): OrderMoveKind | null {
  return ORDER_TRANSITIONS.find((t) => t.from === from && t.to === to)?.by[actor] ?? null;
}

export function canTransition(from: OrderStatus, to: OrderStatus, actor: OrderActorKind): boolean {
  return moveKind(from, to, actor) !== null;
}

/** The statuses `actor` may move an order in `from` to, by any kind of move, in the order of ORDER_STATUSES. */
export function nextStatuses(from: OrderStatus, actor: OrderActorKind, kind?: OrderMoveKind): OrderStatus[] {
  return ORDER_STATUSES.filter((to) => {
    const move = moveKind(from, to, actor);
    return move !== null && (kind === undefined || move === kind);
  });
}

/** What updateOrderStatus (an administrator's plain status change) accepts from `from`. */
export const statusUpdateTargets = (from: OrderStatus): OrderStatus[] => nextStatuses(from, "ADMIN", "status-update");

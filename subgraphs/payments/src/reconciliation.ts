// Reconciliation: Stripe's own list of recent events, applied where no webhook did (an endpoint that was down,
// deliveries Stripe gave up on). Runs as a repeatable job of the payments worker and on an administrator's request.
import { z } from "zod";
import { requireAdmin } from "../../../lib/auth.js";
import { parseInput } from "../../../lib/validation.js";
import type { PaymentDeps, PaymentsContext } from "./context.js";
import { HANDLED_EVENT_TYPES, applyStripeEvent } from "./stripeEvents.js";
import { callStripe } from "./stripeCalls.js";
import type Stripe from "stripe";

export interface ReconciliationResult {
  eventsSeen: number;
  eventsApplied: number;
}

/** Stripe keeps events for 30 days; an hour to three days back is what an operator asks for. */
export const MAX_RECONCILE_HOURS = 72;

/**
 * Lists the handled events of the last `hours` (oldest first, as they happened) and applies each one
 * the StripeEvent table does not know (their jobs go through the outbox like a webhook's).
 */
export async function reconcile(deps: PaymentDeps, hours: number): Promise<ReconciliationResult> {
  const since = Math.floor(Date.now() / 1000) - hours * 3600;
  const events = await callStripe(deps.log, "events.list", async () => {
    const listed: Stripe.Event[] = [];
    // Auto-pagination: the SDK follows has_more with starting_after, 100 events a page.
    for await (const event of deps.stripe.events.list({ created: { gte: since }, types: [...HANDLED_EVENT_TYPES], limit: 100 })) {
      listed.push(event);
    }
    return listed;
  });
  const ids = events.map((event) => event.id);
  const known = new Set(
    (await deps.prisma.stripeEvent.findMany({ where: { id: { in: ids } }, select: { id: true } })).map((row) => row.id),
  );
  // Stripe lists newest first; apply in the order they happened (ties: the listing's order reversed).
  const missed: Stripe.Event[] = events.filter((event) => !known.has(event.id)).reverse();
  missed.sort((a, b) => a.created - b.created);
  let eventsApplied = 0;
  for (const event of missed) {
    if ((await applyStripeEvent(deps, event, "RECONCILIATION")) === "applied") eventsApplied++;
  }
  deps.log.info({ hours, eventsSeen: events.length, eventsApplied }, "payments reconciled");
  return { eventsSeen: events.length, eventsApplied };
}

/** `reconcilePayments(hours)`: administrators only, synchronously. */
export async function reconcileForAdmin(ctx: PaymentsContext, args: { hours?: number | null }): Promise<ReconciliationResult> {
  requireAdmin(ctx.viewer);
  const { hours } = parseInput(
    z.object({ hours: z.number().int().min(1, "must be at least 1").max(MAX_RECONCILE_HOURS, `must be at most ${MAX_RECONCILE_HOURS}`) }),
    { hours: args.hours ?? 24 },
    "",
  );
  return reconcile(ctx, hours);
}

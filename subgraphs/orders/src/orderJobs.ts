// What the orders subgraph puts on queues: stock changes for the inventory worker, the delayed expiry of
// unpaid orders for its own worker, and the customer's emails. None is queued directly: each is an outbox
// event (lib/outbox.ts) written in the transaction of the change it follows, and the orders worker's relay
// queues it. So a committed move always gets its follow-ups, and a rolled-back one never does.
import type { Logger } from "../../../lib/logger.js";
import { outboxEvent, writeOutbox, type OutboxEvent, type OutboxSql } from "../../../lib/outbox.js";
import { emailJobId, orderExpiryJobId, stockJobId, type EmailJobData, type EmailJobName, type StockJobName } from "../../../lib/queues.js";

/**
 * A stock change for an order. The job id makes a second request of the same kind a no-op while the
 * first is kept (the ledger's keys make a duplicate harmless anyway); `tag` gives a request its own id
 * when it must run even if an earlier one of the same kind already ran (the release after a reservation
 * whose answer was lost, which the reservation may overtake).
 */
export function stockJob(kind: Exclude<StockJobName, "reserve">, orderId: string, tag?: string): OutboxEvent {
  const jobId = tag ? `${stockJobId(kind, orderId)}-${tag}` : stockJobId(kind, orderId);
  return outboxEvent("stock", kind, { orderId }, { jobId });
}

/** The unpaid order's expiry, `delaySeconds` after the transaction that writes it; one per order id. */
export const expiryJob = (orderId: string, delaySeconds: number): OutboxEvent =>
  outboxEvent("order-expiry", "expire", { orderId }, { jobId: orderExpiryJobId(orderId), delayMs: delaySeconds * 1000 });

/** One email to the customer (the email worker in users sends it once per event and recipient). */
export const emailJob = (name: EmailJobName, data: EmailJobData): OutboxEvent =>
  outboxEvent("email", name, data, { jobId: emailJobId(name, data) });

/** An email about an order: `eventKey` is `<name>:<orderId>` unless the event needs its own (payment-failed, refund-issued). */
export const orderEmail = (
  name: Exclude<EmailJobName, "welcome">,
  order: { id: string; customerId: string },
  extra: Omit<EmailJobData, "userId" | "orderId" | "eventKey"> & { eventKey?: string } = {},
): OutboxEvent => emailJob(name, { eventKey: `${name}:${order.id}`, userId: order.customerId, orderId: order.id, ...extra });

/**
 * A stock job outside any other change (a compensation after a failed step): its own small transaction.
 * A failure is logged, not thrown: the order's expiry job releases its stock at the latest.
 */
export async function queueStockJob(
  prisma: OutboxSql,
  log: Logger,
  kind: Exclude<StockJobName, "reserve">,
  orderId: string,
  tag?: string,
): Promise<boolean> {
  try {
    await writeOutbox(prisma, [stockJob(kind, orderId, tag)]);
    return true;
  } catch (err) {
    log.error({ err, orderId, kind }, `could not queue the stock ${kind} job`);
    return false;
  }
}

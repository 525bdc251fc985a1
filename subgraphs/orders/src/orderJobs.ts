// What the orders subgraph puts on queues: stock changes for the inventory worker and the delayed
// expiry of unpaid orders for its own worker. Producers fail fast (lib/queues.ts): a caller decides
// whether a failed enqueue is fatal (checkout's expiry job) or logged and healed later.
import type { Config } from "../../../lib/config.js";
import type { Logger } from "../../../lib/logger.js";
import { createQueue, orderExpiryJobId, stockJobId, type StockJobName, type TypedQueue } from "../../../lib/queues.js";

export interface OrderQueues {
  stock: TypedQueue<"stock">;
  orderExpiry: TypedQueue<"order-expiry">;
  close(): Promise<void>;
}

export function createOrderQueues(config: Config, log: Logger): OrderQueues {
  const stock = createQueue("stock", config, log);
  const orderExpiry = createQueue("order-expiry", config, log);
  return {
    stock,
    orderExpiry,
    close: async () => {
      await Promise.all([stock.close(), orderExpiry.close()]);
    },
  };
}

/**
 * Queues a stock change for an order. The job id makes a second request of the same kind a no-op
 * while the first is kept (the ledger's keys make a duplicate harmless anyway); `tag` gives a
 * request its own id when it must run even if an earlier one of the same kind already ran (the
 * release after a reservation whose answer was lost, which the reservation may overtake).
 */
export async function enqueueStockJob(
  queues: Pick<OrderQueues, "stock">,
  kind: Exclude<StockJobName, "reserve">,
  orderId: string,
  tag?: string,
) {
  const jobId = tag ? `${stockJobId(kind, orderId)}-${tag}` : stockJobId(kind, orderId);
  await queues.stock.add(kind, { orderId }, { jobId });
}

/** As enqueueStockJob, but a failure is logged, not thrown: for steps another mechanism heals (see callers). */
export async function tryEnqueueStockJob(
  queues: Pick<OrderQueues, "stock">,
  log: Logger,
  kind: Exclude<StockJobName, "reserve">,
  orderId: string,
  tag?: string,
): Promise<boolean> {
  try {
    await enqueueStockJob(queues, kind, orderId, tag);
    return true;
  } catch (err) {
    log.error({ err, orderId, kind }, `could not queue the stock ${kind} job`);
    return false;
  }
}

/** The unpaid order's expiry, `delaySeconds` from now; one per order id. */
export async function scheduleExpiry(queues: Pick<OrderQueues, "orderExpiry">, orderId: string, delaySeconds: number): Promise<void> {
  await queues.orderExpiry.add("expire", { orderId }, { jobId: orderExpiryJobId(orderId), delay: delaySeconds * 1000 });
}

// What the stock worker does with each job of the `stock` queue.
import { UnrecoverableError, type Job } from "bullmq";
import { BadUserInputError } from "../../../lib/errors.js";
import type { StockJobData, StockJobName, StockJobResult } from "../../../lib/queues.js";
import type { StockDeps } from "./context.js";
import { commitReservation, releaseReservation, reserveStock, returnSale } from "./inventory.js";

export async function processStockJob(deps: StockDeps, job: Job<StockJobData, StockJobResult, StockJobName>): Promise<StockJobResult> {
  const jobDeps = { ...deps, log: deps.log.child({ jobId: job.id, job: job.name, orderId: job.data.orderId }) };
  try {
    switch (job.name) {
      case "reserve":
        return await reserveStock(jobDeps, { orderId: job.data.orderId, lines: job.data.lines ?? [] });
      case "release":
        return await releaseReservation(jobDeps, job.data);
      case "commit":
        return await commitReservation(jobDeps, job.data);
      case "return":
        return await returnSale(jobDeps, job.data);
      default:
        throw new UnrecoverableError(`Unknown stock job "${String(job.name)}"`);
    }
  } catch (error) {
    // A malformed payload fails the same way on every attempt: do not retry it.
    if (error instanceof BadUserInputError) throw new UnrecoverableError(`Invalid ${job.name} job: ${error.message}`);
    throw error;
  }
}

// The email worker's idempotency record: one EmailDelivery row per (eventKey, userId). A send is claimed
// before it starts and marked after it ends, so a retried job, a duplicated event under a new job id, or
// two workers at once send one email. Exactly once is out of reach over SMTP (it has no idempotency key):
// a crash after the server accepted the message and before the row is marked sends it once more, with the
// same Message-ID (the row's id), by which mail clients can recognise the repeat.
import type { EmailDelivery, PrismaClient } from "../../../../prisma/users/__generated__/client.js";

/** A claim older than this belongs to a worker that died mid-send; another may take it over. Longer than any send (timeouts). */
export const CLAIM_LEASE_MS = 2 * 60_000;

export type ClaimOutcome =
  /** This worker may send now. */
  | { kind: "claimed"; delivery: EmailDelivery }
  /** Sent before: nothing to do. */
  | { kind: "already-sent"; delivery: EmailDelivery }
  /** Another worker is sending it right now: retry later (it will be sent by then, or its claim stale). */
  | { kind: "in-progress"; delivery: EmailDelivery };

export interface DeliveryKey {
  eventKey: string;
  userId: string;
}

/**
 * Claims the (eventKey, userId) delivery: inserts its row if missing, then takes it with one conditional
 * UPDATE (unsent, and unclaimed or claimed longer ago than the lease), which PostgreSQL serialises on the row,
 * so of two concurrent claims exactly one wins.
 */
export async function claimDelivery(
  prisma: PrismaClient,
  key: DeliveryKey,
  details: { email: string; jobId: string | undefined },
  now = new Date(),
): Promise<ClaimOutcome> {
  await prisma.emailDelivery.createMany({ data: [{ ...key, email: details.email }], skipDuplicates: true });
  const claimed = await prisma.emailDelivery.updateMany({
    where: {
      ...key,
      sentAt: null,
      OR: [{ claimedAt: null }, { claimedAt: { lt: new Date(now.getTime() - CLAIM_LEASE_MS) } }],
    },
    data: { claimedAt: now, attempts: { increment: 1 }, jobId: details.jobId ?? null },
  });
  const delivery = await prisma.emailDelivery.findUniqueOrThrow({ where: { eventKey_userId: key } });
  if (claimed.count === 1) return { kind: "claimed", delivery };
  return delivery.sentAt ? { kind: "already-sent", delivery } : { kind: "in-progress", delivery };
}

/** The server accepted the message: it is never sent again. */
export async function markSent(prisma: PrismaClient, delivery: EmailDelivery, at = new Date()): Promise<void> {
  await prisma.emailDelivery.update({ where: { id: delivery.id }, data: { sentAt: at, claimedAt: null, lastError: null } });
}

/** The send failed: give the claim back at once, so the job's retry (or another job) need not wait for the lease. */
export async function releaseClaim(prisma: PrismaClient, delivery: EmailDelivery, error: string): Promise<void> {
  await prisma.emailDelivery.updateMany({
    where: { id: delivery.id, sentAt: null, claimedAt: delivery.claimedAt },
    data: { claimedAt: null, lastError: error.slice(0, 1000) },
  });
}

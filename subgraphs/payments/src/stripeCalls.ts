// Calls to Stripe's API from payments: Stripe being away is UNAVAILABLE (retry later), never an internal error.
import Stripe from "stripe";
import { UnavailableError } from "../../../lib/errors.js";
import type { Logger } from "../../../lib/logger.js";
import { isUuid } from "../../../lib/loaders.js";

/** Network failures, Stripe's own 5xx and rate limits: the request may succeed when retried. */
export function isStripeUnavailable(error: unknown): boolean {
  return (
    error instanceof Stripe.errors.StripeConnectionError ||
    error instanceof Stripe.errors.StripeAPIError ||
    error instanceof Stripe.errors.StripeRateLimitError
  );
}

/** Runs a Stripe call; if Stripe cannot be reached, throws UNAVAILABLE (logged), anything else as it came. */
export async function callStripe<T>(log: Logger, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isStripeUnavailable(error)) {
      log.warn({ err: error, stripeCall: what }, "Stripe is unavailable");
      throw new UnavailableError("The payment provider is unavailable; try again shortly.");
    }
    throw error;
  }
}

/** The PaymentIntent an event is about: the object itself, or the charge's or refund's payment_intent. */
export function paymentIntentIdOf(object: unknown): string | null {
  if (!object || typeof object !== "object") return null;
  const { object: kind, id, payment_intent: intent } = object as { object?: unknown; id?: unknown; payment_intent?: unknown };
  if (kind === "payment_intent") return typeof id === "string" ? id : null;
  if (typeof intent === "string") return intent;
  if (intent && typeof intent === "object" && "id" in intent && typeof intent.id === "string") return intent.id;
  return null;
}

/** Our payment id from the metadata we gave the PaymentIntent (copied to its charges), when well-formed. */
export function metadataPaymentIdOf(object: unknown): string | null {
  const metadata = (object as { metadata?: Record<string, unknown> } | null)?.metadata;
  const value = metadata?.payment_id;
  return typeof value === "string" && isUuid(value) ? value : null;
}

/** Every refund of a PaymentIntent (Stripe pages them, 100 at most per page). */
export async function listRefunds(stripe: Stripe, paymentIntentId: string): Promise<Stripe.Refund[]> {
  return stripe.refunds.list({ payment_intent: paymentIntentId, limit: 100 }).autoPagingToArray({ limit: 10_000 });
}

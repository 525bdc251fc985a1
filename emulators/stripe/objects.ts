// The Stripe objects the emulator keeps, as subsets of the SDK's own types (which Stripe generates from its OpenAPI
// spec), so a misspelt or mistyped field fails the type check instead of the payments code.
import { randomBytes } from "node:crypto";
import type Stripe from "stripe";

export type PaymentIntentObject = Pick<
  Stripe.PaymentIntent,
  | "id"
  | "object"
  | "amount"
  | "amount_capturable"
  | "amount_received"
  | "canceled_at"
  | "cancellation_reason"
  | "capture_method"
  | "client_secret"
  | "confirmation_method"
  | "created"
  | "currency"
  | "customer"
  | "description"
  | "last_payment_error"
  | "latest_charge"
  | "livemode"
  | "metadata"
  | "next_action"
  | "payment_method"
  | "payment_method_types"
  | "receipt_email"
  | "status"
>;

export type ChargeObject = Pick<
  Stripe.Charge,
  | "id"
  | "object"
  | "amount"
  | "amount_captured"
  | "amount_refunded"
  | "captured"
  | "created"
  | "currency"
  | "description"
  | "failure_code"
  | "failure_message"
  | "livemode"
  | "metadata"
  | "paid"
  | "payment_intent"
  | "payment_method"
  | "refunded"
  | "status"
> & { outcome: { network_status: string; reason: string | null; seller_message: string; type: string } };

export type RefundObject = Pick<
  Stripe.Refund,
  "id" | "object" | "amount" | "charge" | "created" | "currency" | "metadata" | "payment_intent" | "reason" | "status"
>;

export type StripeObject = PaymentIntentObject | ChargeObject | RefundObject;

export interface EventObject {
  id: string;
  object: "event";
  api_version: string;
  created: number;
  data: { object: StripeObject; previous_attributes?: Record<string, unknown> };
  livemode: false;
  pending_webhooks: number;
  /** The API request that caused the event; `id` null for out-of-band changes (as Stripe's dashboard). */
  request: { id: string | null; idempotency_key: string | null };
  type: string;
}

export interface ListObject<T> {
  object: "list";
  data: T[];
  has_more: boolean;
  url: string;
}

/** The body of every Stripe API error response. */
export interface StripeErrorBody {
  type: "api_error" | "card_error" | "idempotency_error" | "invalid_request_error";
  message: string;
  code?: string;
  decline_code?: string;
  param?: string;
  charge?: string;
  payment_intent?: PaymentIntentObject;
  doc_url?: string;
}

/** Thrown by the emulator's operations; the HTTP layer answers `{ error: body }` with `status`. */
export class StripeApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: StripeErrorBody,
  ) {
    super(body.message);
  }
}

export const invalidRequest = (message: string, extra: Partial<StripeErrorBody> = {}, status = 400) =>
  new StripeApiError(status, { type: "invalid_request_error", message, ...extra });

export const noSuch = (kind: string, id: string, param = "id") =>
  invalidRequest(`No such ${kind}: '${id}'`, { code: "resource_missing", param }, 404);

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** Random base62, as Stripe's ids look after their prefix. */
export function randomToken(length: number): string {
  const bytes = randomBytes(length * 2);
  let out = "";
  for (const byte of bytes) {
    if (byte >= 248) continue; // 248 = 4 * 62: keeps the distribution uniform
    out += ALPHABET[byte % 62];
    if (out.length === length) return out;
  }
  return out + randomToken(length - out.length);
}

export const newId = (prefix: "pi" | "ch" | "re" | "evt" | "req") => `${prefix}_${randomToken(24)}`;

export const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A deep copy, so an event keeps the object as it was when the event happened. */
export const snapshot = <T>(value: T): T => structuredClone(value);

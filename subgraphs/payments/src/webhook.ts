// POST /webhooks/stripe: Stripe's events, verified by their signature over the raw body.
//
// Trust: this route comes before the service assertion (lib/subgraph.ts) because Stripe, not a shopgraph
// service, is the caller; the `Stripe-Signature` HMAC with the endpoint's signing secret is what proves it,
// whichever way the request came (straight, or through the router's public /webhooks/stripe).
// Answers: 400 for a missing or bad signature (nothing changes), 200 once the event is applied or known,
// 500 when it could not be (Stripe delivers again, and reconciliation catches what it never does).
import express, { type Express, type Request, type Response } from "express";
import Stripe from "stripe";
import { asyncHandler } from "../../../lib/http.js";
import type { PaymentDeps } from "./context.js";
import { applyStripeEvent } from "./stripeEvents.js";

export const WEBHOOK_PATH = "/webhooks/stripe";
/** Stripe's events are a few kilobytes; the limit only keeps out abuse. */
export const WEBHOOK_BODY_LIMIT = "1mb";
/** Stripe's default tolerance: a signature older than this is refused, which stops replays of old captures. */
const SIGNATURE_TOLERANCE_SECONDS = 300;

export function mountStripeWebhook(app: Express, deps: PaymentDeps, webhookSecret: string): void {
  app.post(
    WEBHOOK_PATH,
    // Raw bytes whatever the content type: the signature is over them, and JSON parsing would change them.
    express.raw({ type: () => true, limit: WEBHOOK_BODY_LIMIT }),
    asyncHandler(async (req: Request, res: Response) => {
      const signature = req.headers["stripe-signature"];
      if (typeof signature !== "string" || !Buffer.isBuffer(req.body) || req.body.length === 0) {
        res.status(400).json({ error: "Missing Stripe-Signature header or body." });
        return;
      }
      let event: Stripe.Event;
      try {
        event = deps.stripe.webhooks.constructEvent(req.body, signature, webhookSecret, SIGNATURE_TOLERANCE_SECONDS);
      } catch (error) {
        deps.log.warn({ requestId: req.id, reason: (error as Error).message }, "refused a webhook with a bad Stripe signature");
        res.status(400).json({ error: "The Stripe signature is not valid." });
        return;
      }
      try {
        const outcome = await applyStripeEvent({ ...deps, log: deps.log.child({ requestId: req.id }) }, event, "WEBHOOK");
        res.json({ received: true, outcome });
      } catch (error) {
        deps.log.error({ err: error, requestId: req.id, eventId: event.id, type: event.type }, "could not apply a Stripe event");
        res.status(500).json({ error: "The event could not be processed; Stripe will deliver it again." });
      }
    }),
  );
}

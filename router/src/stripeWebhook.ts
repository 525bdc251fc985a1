// POST /webhooks/stripe on the router, the public edge Stripe calls: the raw body and its Stripe-Signature are
// passed to the payments subgraph unchanged (the signature covers those exact bytes), and its answer comes back.
// The router adds no trust of its own: payments verifies Stripe's signature, and its webhook route needs no
// service assertion (subgraphs/payments/src/webhook.ts).
import express, { type RequestHandler } from "express";
import { asyncHandler } from "../../lib/http.js";
import { REQUEST_ID_HEADER } from "../../lib/http.js";
import type { Logger } from "../../lib/logger.js";

export const STRIPE_WEBHOOK_PATH = "/webhooks/stripe";
/** The same limit as payments' own: Stripe's events are a few kilobytes. */
const BODY_LIMIT = "1mb";
const FORWARD_TIMEOUT_MS = 15_000;

export function forwardStripeWebhooks(paymentsWebhookUrl: string, logger: Logger): RequestHandler[] {
  return [
    // Bytes, not JSON, whatever the content type claims.
    express.raw({ type: () => true, limit: BODY_LIMIT }),
    asyncHandler(async (req, res) => {
      const headers: Record<string, string> = {
        "content-type": req.headers["content-type"] ?? "application/json",
        [REQUEST_ID_HEADER]: String(req.id),
      };
      const signature = req.headers["stripe-signature"];
      if (typeof signature === "string") headers["stripe-signature"] = signature;
      const upstream = await fetch(paymentsWebhookUrl, {
        method: "POST",
        headers,
        body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
        signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS),
        redirect: "manual",
      }).catch((error: unknown) => {
        logger.error({ err: error, requestId: req.id }, "payments did not answer a Stripe webhook");
        return null;
      });
      if (!upstream) {
        // Not 2xx: Stripe delivers it again later.
        res.status(502).json({ error: "The payments service is unavailable; deliver again later." });
        return;
      }
      res.status(upstream.status).type(upstream.headers.get("content-type") ?? "application/json");
      res.send(Buffer.from(await upstream.arrayBuffer()));
    }),
  ];
}

// A local emulator of the part of Stripe's v1 API that shopgraph uses (PaymentIntents, refunds, events, webhooks),
// behaving as Stripe documents it, so the real `stripe` SDK can talk to it offline. State lives in memory.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import path from "node:path";
import type { AddressInfo } from "node:net";
import express, { type NextFunction, type Request, type Response } from "express";
import type Stripe from "stripe";
import {
  type ChargeObject,
  type EventObject,
  type ListObject,
  type PaymentIntentObject,
  type RefundObject,
  type StripeObject,
  StripeApiError,
  invalidRequest,
  newId,
  noSuch,
  nowSeconds,
  randomToken,
  snapshot,
} from "./objects.js";
import { type DeliveryAttempt, type DeliveryRecord, WebhookDeliverer } from "./webhooks.js";

/** The API version the emulator speaks: the one the installed SDK pins (a type error when the SDK moves on). */
export const EMULATED_API_VERSION: Stripe.LatestApiVersion = "2026-10-28.endive";

export interface StripeEmulatorOptions {
  /** Where events are POSTed; without one, events are only listed. Can be changed later with `setWebhookUrl`. */
  webhookUrl?: string;
  /** Signs webhook payloads (Stripe's `whsec_...`). */
  webhookSecret: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Browser origins allowed to call the API with a publishable key (Stripe.js-style confirmation); "*" for any. */
  allowedOrigins?: string[];
  /** When set, the only secret key accepted; otherwise any `sk_test_...` key is. */
  secretKey?: string;
  /** Pauses between webhook attempts (one attempt more than entries). */
  webhookRetryDelaysMs?: number[];
  webhookTimeoutMs?: number;
  /**
   * JSON file the state is kept in across restarts (read at creation, rewritten after every change), so a restarted
   * emulator still knows the PaymentIntents the payments database refers to. Webhook deliveries under way are lost.
   */
  stateFile?: string;
}

interface TestCard {
  brand: string;
  last4: string;
  decline?: { code: string; declineCode: string; message: string };
}

// Stripe's documented test PaymentMethods (https://docs.stripe.com/testing).
const TEST_PAYMENT_METHODS: Record<string, TestCard> = {
  pm_card_visa: { brand: "visa", last4: "4242" },
  pm_card_mastercard: { brand: "mastercard", last4: "4444" },
  pm_card_chargeDeclined: {
    brand: "visa",
    last4: "0002",
    decline: { code: "card_declined", declineCode: "generic_decline", message: "Your card was declined." },
  },
  pm_card_chargeDeclinedInsufficientFunds: {
    brand: "visa",
    last4: "9995",
    decline: { code: "card_declined", declineCode: "insufficient_funds", message: "Your card has insufficient funds." },
  },
};

const CANCELABLE = ["requires_payment_method", "requires_capture", "requires_confirmation", "requires_action", "processing"];
const CANCELLATION_REASONS = ["duplicate", "fraudulent", "requested_by_customer", "abandoned"];
const REFUND_REASONS = ["duplicate", "fraudulent", "requested_by_customer"];
const MAX_AMOUNT = 99_999_999; // Stripe's limit for most currencies: eight digits

type Params = Record<string, unknown>;

interface RequestContext {
  requestId: string | null;
  idempotencyKey: string | null;
}

interface SavedResponse {
  method: string;
  path: string;
  params: string;
  status: number;
  body: unknown;
  savedAt: number;
}

/** Stripe prunes idempotency keys after at least 24 hours; the SDK sends one with every POST, so prune them too. */
const IDEMPOTENCY_KEY_LIFETIME_MS = 24 * 3600 * 1000;

interface PersistedState {
  paymentIntents: PaymentIntentObject[];
  charges: ChargeObject[];
  refunds: RefundObject[];
  events: EventObject[];
  idempotency: Array<[string, SavedResponse]>;
}

export interface StripeEmulator {
  /** The API base URL, e.g. http://127.0.0.1:12111 (set after `listen`). */
  readonly url: string;
  readonly app: express.Express;
  listen(): Promise<string>;
  close(): Promise<void>;
  setWebhookUrl(url: string | undefined): void;
  /** Webhook deliveries and each attempt's result, oldest first. */
  deliveries(eventId?: string): DeliveryRecord[];
  redeliver(eventId: string): Promise<DeliveryAttempt>;
  /** Hold deliveries of events from now on (they are still created and listed). */
  pauseDeliveries(): void;
  /** Stop holding and deliver everything held, oldest first. */
  resumeDeliveries(): Promise<void>;
  heldEvents(): string[];
  /** Deliver these held events one after the other in this order. */
  releaseHeld(eventIds?: string[]): Promise<DeliveryRecord[]>;
  /** Resolves when no webhook attempt is running or scheduled. */
  deliveriesIdle(): Promise<void>;
  /** Succeeded charges of a PaymentIntent: more than one would mean the customer paid twice. */
  succeededCharges(paymentIntentId: string): ChargeObject[];
  /** A refund made outside the API client's control, as from Stripe's dashboard (its events carry no request id). */
  refundOutOfBand(params: { payment_intent: string; amount?: number; reason?: string }): RefundObject;
  events(): EventObject[];
  reset(): void;
}

export function createStripeEmulator(options: StripeEmulatorOptions): StripeEmulator {
  const host = options.host ?? "127.0.0.1";
  const allowedOrigins = options.allowedOrigins ?? [];

  let paymentIntents = new Map<string, PaymentIntentObject>();
  let charges = new Map<string, ChargeObject>();
  let refunds = new Map<string, RefundObject>();
  let events: EventObject[] = [];
  let eventsById = new Map<string, EventObject>();
  let idempotency = new Map<string, SavedResponse>();

  function load(file: string): void {
    let state: PersistedState;
    try {
      state = JSON.parse(readFileSync(file, "utf8")) as PersistedState;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw new Error(`cannot read the Stripe emulator's state file ${file}: ${(error as Error).message}`, { cause: error });
    }
    paymentIntents = new Map(state.paymentIntents.map((item) => [item.id, item]));
    charges = new Map(state.charges.map((item) => [item.id, item]));
    refunds = new Map(state.refunds.map((item) => [item.id, item]));
    events = state.events.map((event) => ({ ...event, pending_webhooks: 0 }));
    eventsById = new Map(events.map((event) => [event.id, event]));
    idempotency = new Map(state.idempotency);
  }

  function persist(): void {
    if (!options.stateFile) return;
    const state: PersistedState = {
      paymentIntents: [...paymentIntents.values()],
      charges: [...charges.values()],
      refunds: [...refunds.values()],
      events,
      idempotency: [...idempotency.entries()],
    };
    mkdirSync(path.dirname(options.stateFile), { recursive: true });
    const temporary = `${options.stateFile}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(state));
    renameSync(temporary, options.stateFile); // atomic: a crash leaves the old state or the new one, never half
  }

  if (options.stateFile) load(options.stateFile);

  const deliverer = new WebhookDeliverer({
    url: options.webhookUrl,
    secret: options.webhookSecret,
    retryDelaysMs: options.webhookRetryDelaysMs,
    timeoutMs: options.webhookTimeoutMs,
    onSettled: (eventId) => {
      const event = eventsById.get(eventId);
      if (event) event.pending_webhooks = 0;
    },
  });

  function emit(type: string, object: StripeObject, ctx: RequestContext, previous?: Record<string, unknown>): void {
    const event: EventObject = {
      id: newId("evt"),
      object: "event",
      api_version: EMULATED_API_VERSION,
      created: nowSeconds(),
      data: previous ? { object: snapshot(object), previous_attributes: previous } : { object: snapshot(object) },
      livemode: false,
      pending_webhooks: deliverer.webhookUrl ? 1 : 0,
      request: { id: ctx.requestId, idempotency_key: ctx.idempotencyKey },
      type,
    };
    events.push(event);
    eventsById.set(event.id, event);
    deliverer.enqueue(snapshot(event));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Operations, as Stripe documents them
  // ---------------------------------------------------------------------------------------------------------------

  function createPaymentIntent(params: Params, ctx: RequestContext): PaymentIntentObject {
    allowOnly(params, [
      "amount",
      "currency",
      "metadata",
      "description",
      "payment_method",
      "payment_method_types",
      "automatic_payment_methods",
      "confirm",
      "receipt_email",
      "capture_method",
      "return_url",
      "expand",
    ]);
    const amount = parseAmount(params.amount, "amount", true)!;
    const currency = parseCurrency(params.currency);
    if (params.capture_method !== undefined && params.capture_method !== "automatic") {
      throw invalidRequest("The emulator supports only capture_method=automatic.", { param: "capture_method" });
    }
    const paymentMethod = optionalString(params.payment_method, "payment_method");
    if (paymentMethod !== undefined) findTestCard(paymentMethod);
    const id = newId("pi");
    const intent: PaymentIntentObject = {
      id,
      object: "payment_intent",
      amount,
      amount_capturable: 0,
      amount_received: 0,
      canceled_at: null,
      cancellation_reason: null,
      capture_method: "automatic",
      client_secret: `${id}_secret_${randomToken(25)}`,
      confirmation_method: "automatic",
      created: nowSeconds(),
      currency,
      customer: null,
      description: optionalString(params.description, "description") ?? null,
      last_payment_error: null,
      latest_charge: null,
      livemode: false,
      metadata: parseMetadata(params.metadata),
      next_action: null,
      payment_method: paymentMethod ?? null,
      payment_method_types: parsePaymentMethodTypes(params.payment_method_types),
      receipt_email: optionalString(params.receipt_email, "receipt_email") ?? null,
      status: paymentMethod ? "requires_confirmation" : "requires_payment_method",
    };
    paymentIntents.set(id, intent);
    emit("payment_intent.created", intent, ctx);
    if (parseBoolean(params.confirm, "confirm")) return confirmPaymentIntent(id, {}, ctx);
    return intent;
  }

  function findPaymentIntent(id: string): PaymentIntentObject {
    const intent = paymentIntents.get(id);
    if (!intent) throw noSuch("payment_intent", id, "intent");
    return intent;
  }

  function confirmPaymentIntent(id: string, params: Params, ctx: RequestContext): PaymentIntentObject {
    allowOnly(params, ["payment_method", "return_url", "receipt_email", "client_secret", "expand", "use_stripe_sdk"]);
    const intent = findPaymentIntent(id);
    if (intent.status !== "requires_payment_method" && intent.status !== "requires_confirmation") {
      throw invalidRequest(
        `You cannot confirm this PaymentIntent because it has a status of ${intent.status}. ` +
          "Only a PaymentIntent with one of the following statuses may be confirmed: requires_confirmation, requires_payment_method.",
        { code: "payment_intent_unexpected_state", payment_intent: snapshot(intent) },
      );
    }
    const paymentMethod = optionalString(params.payment_method, "payment_method") ?? intent.payment_method;
    if (typeof paymentMethod !== "string") {
      throw invalidRequest(
        "You cannot confirm this PaymentIntent because it's missing a payment method. " +
          "To confirm the PaymentIntent with a test card, pass payment_method=pm_card_visa.",
        { code: "payment_intent_unexpected_state", param: "payment_method", payment_intent: snapshot(intent) },
      );
    }
    const card = findTestCard(paymentMethod);
    if (params.receipt_email !== undefined) intent.receipt_email = optionalString(params.receipt_email, "receipt_email") ?? null;

    const charge: ChargeObject = {
      id: newId("ch"),
      object: "charge",
      amount: intent.amount,
      amount_captured: card.decline ? 0 : intent.amount,
      amount_refunded: 0,
      captured: !card.decline,
      created: nowSeconds(),
      currency: intent.currency,
      description: intent.description,
      failure_code: card.decline?.code ?? null,
      failure_message: card.decline?.message ?? null,
      livemode: false,
      metadata: { ...intent.metadata },
      outcome: card.decline
        ? {
            network_status: "declined_by_network",
            reason: card.decline.declineCode,
            seller_message: "The bank did not return any further details with this decline.",
            type: "issuer_declined",
          }
        : { network_status: "approved_by_network", reason: null, seller_message: "Payment complete.", type: "authorized" },
      paid: !card.decline,
      payment_intent: intent.id,
      payment_method: paymentMethod,
      refunded: false,
      status: card.decline ? "failed" : "succeeded",
    };
    charges.set(charge.id, charge);
    intent.latest_charge = charge.id;

    if (card.decline) {
      const error = {
        type: "card_error" as const,
        code: card.decline.code,
        decline_code: card.decline.declineCode,
        message: card.decline.message,
        charge: charge.id,
        doc_url: `https://stripe.com/docs/error-codes/${card.decline.code.replaceAll("_", "-")}`,
      };
      // A declined PaymentIntent drops the payment method and waits for another one.
      intent.status = "requires_payment_method";
      intent.payment_method = null;
      intent.last_payment_error = { ...error };
      emit("charge.failed", charge, ctx);
      emit("payment_intent.payment_failed", intent, ctx);
      throw new StripeApiError(402, { ...error, payment_intent: snapshot(intent) });
    }
    intent.status = "succeeded";
    intent.payment_method = paymentMethod;
    intent.amount_received = intent.amount;
    intent.last_payment_error = null;
    emit("charge.succeeded", charge, ctx);
    emit("payment_intent.succeeded", intent, ctx);
    return intent;
  }

  function cancelPaymentIntent(id: string, params: Params, ctx: RequestContext): PaymentIntentObject {
    allowOnly(params, ["cancellation_reason", "expand"]);
    const intent = findPaymentIntent(id);
    const reason = optionalString(params.cancellation_reason, "cancellation_reason");
    if (reason !== undefined && !CANCELLATION_REASONS.includes(reason)) {
      throw invalidRequest(`Invalid cancellation_reason: must be one of ${CANCELLATION_REASONS.join(", ")}`, {
        param: "cancellation_reason",
      });
    }
    if (!CANCELABLE.includes(intent.status)) {
      throw invalidRequest(
        `You cannot cancel this PaymentIntent because it has a status of ${intent.status}. ` +
          `Only a PaymentIntent with one of the following statuses may be canceled: ${CANCELABLE.join(", ")}.`,
        { code: "payment_intent_unexpected_state", payment_intent: snapshot(intent) },
      );
    }
    intent.status = "canceled";
    intent.canceled_at = nowSeconds();
    intent.cancellation_reason = reason ?? null;
    emit("payment_intent.canceled", intent, ctx);
    return intent;
  }

  function createRefund(params: Params, ctx: RequestContext): RefundObject {
    allowOnly(params, ["payment_intent", "charge", "amount", "reason", "metadata", "expand"]);
    const intentId = optionalString(params.payment_intent, "payment_intent");
    const chargeId = optionalString(params.charge, "charge");
    if (!intentId && !chargeId)
      throw invalidRequest("One of the following params should be provided for this request: payment_intent or charge.");
    let charge: ChargeObject | undefined;
    if (chargeId) {
      charge = charges.get(chargeId);
      if (!charge) throw noSuch("charge", chargeId, "charge");
      if (intentId && charge.payment_intent !== intentId) {
        throw invalidRequest(`Charge ${chargeId} does not belong to PaymentIntent ${intentId}.`, { param: "charge" });
      }
    } else {
      const intent = paymentIntents.get(intentId!);
      if (!intent) throw noSuch("payment_intent", intentId!, "payment_intent");
      charge = intent.status === "succeeded" && typeof intent.latest_charge === "string" ? charges.get(intent.latest_charge) : undefined;
      if (!charge) {
        throw invalidRequest(`This PaymentIntent (${intent.id}) does not have a successful charge to refund.`, { param: "payment_intent" });
      }
    }
    if (charge.status !== "succeeded")
      throw invalidRequest(`Charge ${charge.id} has not succeeded, so it cannot be refunded.`, { param: "charge" });
    const remaining = charge.amount_captured - charge.amount_refunded;
    if (remaining <= 0) {
      throw invalidRequest(`Charge ${charge.id} has already been refunded.`, { code: "charge_already_refunded", charge: charge.id });
    }
    const amount = parseAmount(params.amount, "amount", false) ?? remaining;
    if (amount > remaining) {
      throw invalidRequest(`Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining})`, {
        code: "amount_too_large",
        param: "amount",
      });
    }
    const reason = optionalString(params.reason, "reason");
    if (reason !== undefined && !REFUND_REASONS.includes(reason)) {
      throw invalidRequest(`Invalid reason: must be one of ${REFUND_REASONS.join(", ")}`, { param: "reason" });
    }
    const refund: RefundObject = {
      id: newId("re"),
      object: "refund",
      amount,
      charge: charge.id,
      created: nowSeconds(),
      currency: charge.currency,
      metadata: parseMetadata(params.metadata),
      payment_intent: charge.payment_intent,
      reason: reason ?? null,
      status: "succeeded",
    };
    refunds.set(refund.id, refund);
    const previous = { amount_refunded: charge.amount_refunded, refunded: charge.refunded };
    charge.amount_refunded += amount;
    charge.refunded = charge.amount_refunded === charge.amount_captured;
    emit("refund.created", refund, ctx);
    emit("charge.refunded", charge, ctx, previous);
    return refund;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // HTTP
  // ---------------------------------------------------------------------------------------------------------------

  const app = express();
  app.disable("x-powered-by");
  app.set("query parser", "extended"); // Stripe's nested query parameters: created[gte]=...
  app.use((req, res, next) => {
    res.setHeader("request-id", `req_${randomToken(14)}`);
    res.setHeader("stripe-version", EMULATED_API_VERSION);
    cors(req, res);
    if (req.method === "OPTIONS") {
      res.status(204).end();
      return;
    }
    next();
  });
  app.use(express.urlencoded({ extended: true, limit: "100kb", parameterLimit: 1000 }));

  function cors(req: Request, res: Response): void {
    const origin = req.headers.origin;
    if (!origin || !req.path.startsWith("/v1/")) return;
    if (!allowedOrigins.includes("*") && !allowedOrigins.includes(origin)) return;
    res.setHeader("access-control-allow-origin", origin);
    res.setHeader("vary", "Origin");
    res.setHeader("access-control-allow-methods", "GET, POST, OPTIONS");
    res.setHeader("access-control-allow-headers", "Authorization, Content-Type, Stripe-Version, Idempotency-Key");
    res.setHeader("access-control-max-age", "600");
  }

  type Auth = { kind: "secret"; key: string } | { kind: "publishable"; key: string };

  function authenticate(req: Request): Auth {
    const header = req.headers.authorization ?? "";
    let key: string | undefined;
    const bearer = /^Bearer (\S+)$/i.exec(header);
    const basic = /^Basic (\S+)$/i.exec(header);
    if (bearer) key = bearer[1];
    else if (basic) key = Buffer.from(basic[1]!, "base64").toString("utf8").split(":")[0];
    if (!key) {
      throw invalidRequest(
        "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth " +
          "(e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
        {},
        401,
      );
    }
    if (key.startsWith("pk_test_")) return { kind: "publishable", key };
    const accepted = options.secretKey ? key === options.secretKey : /^sk_test_\w+$/.test(key);
    if (!accepted) {
      const shown = key.length > 12 ? `${key.slice(0, 8)}${"*".repeat(8)}${key.slice(-4)}` : "****";
      throw invalidRequest(`Invalid API Key provided: ${shown}`, {}, 401);
    }
    return { kind: "secret", key };
  }

  function requireSecretKey(auth: Auth): void {
    if (auth.kind !== "secret") {
      throw invalidRequest("This API call cannot be made with a publishable API key. Please use a secret API key.", {}, 401);
    }
  }

  /** Stripe.js calls with a publishable key may reach one PaymentIntent, proven by its client secret. */
  function requireSecretOrClientSecret(auth: Auth, intentId: string, clientSecret: unknown): void {
    if (auth.kind === "secret") return;
    const intent = paymentIntents.get(intentId);
    if (!intent || typeof clientSecret !== "string" || clientSecret !== intent.client_secret) {
      throw noSuch("payment_intent", intentId, "intent");
    }
  }

  type Handler = (req: Request, auth: Auth, ctx: RequestContext) => unknown;

  /** Wraps an API operation: authentication, idempotency (POST), Stripe's error shape. */
  function api(handler: Handler) {
    return (req: Request, res: Response) => {
      const requestId = String(res.getHeader("request-id"));
      try {
        const auth = authenticate(req);
        if (req.method === "POST" && req.headers["content-type"] && !req.is("application/x-www-form-urlencoded")) {
          throw invalidRequest("Invalid request: the body must be application/x-www-form-urlencoded, as Stripe's v1 API expects.");
        }
        const key = req.method === "POST" ? req.get("idempotency-key") : undefined;
        const ctx: RequestContext = { requestId, idempotencyKey: key ?? null };
        if (key === undefined) {
          res.json(handler(req, auth, ctx));
          return;
        }
        if (key.length > 255) throw invalidRequest("Idempotency keys can be up to 255 characters long.", { param: "Idempotency-Key" });
        const scopedKey = `${auth.key}\u0000${key}`;
        const params = JSON.stringify(req.body ?? {});
        const saved = idempotency.get(scopedKey);
        if (saved) {
          if (saved.method !== req.method || saved.path !== req.path || saved.params !== params) {
            throw new StripeApiError(400, {
              type: "idempotency_error",
              message:
                "Keys for idempotent requests can only be used with the same parameters they were first used with. " +
                `Try using a key other than '${key}' if you meant to execute a different request.`,
            });
          }
          res.setHeader("idempotent-replayed", "true");
          res.status(saved.status).json(saved.body);
          return;
        }
        const remember = (status: number, body: unknown) => {
          const now = Date.now();
          for (const [oldKey, old] of idempotency) {
            if (old.savedAt > now - IDEMPOTENCY_KEY_LIFETIME_MS) break; // insertion order: the rest are newer
            idempotency.delete(oldKey);
          }
          idempotency.set(scopedKey, { method: req.method, path: req.path, params, status, body: snapshot(body), savedAt: now });
        };
        try {
          const body = handler(req, auth, ctx);
          remember(200, body);
          res.json(body);
        } catch (error) {
          // Stripe saves a result once the operation ran; a card decline did run, parameter errors did not.
          if (error instanceof StripeApiError && error.status === 402) remember(402, { error: error.body });
          throw error;
        }
      } catch (error) {
        if (error instanceof StripeApiError) {
          res.status(error.status).json({ error: error.body });
          return;
        }
        throw error;
      } finally {
        if (req.method === "POST") persist();
      }
    };
  }

  function expandIntent(intent: PaymentIntentObject, params: Params): PaymentIntentObject | Record<string, unknown> {
    const expand = params.expand;
    const wanted = Array.isArray(expand) ? expand : expand === undefined ? [] : [expand];
    for (const path of wanted) {
      if (path !== "latest_charge") throw invalidRequest(`The emulator cannot expand '${String(path)}'.`, { param: "expand" });
    }
    if (wanted.includes("latest_charge") && typeof intent.latest_charge === "string") {
      return { ...snapshot(intent), latest_charge: snapshot(charges.get(intent.latest_charge) ?? null) };
    }
    return snapshot(intent);
  }

  const body = (req: Request): Params => (req.body && typeof req.body === "object" ? (req.body as Params) : {});
  const query = (req: Request): Params => req.query;
  const pathId = (req: Request, name: string) => String(req.params[name]);

  app.post(
    "/v1/payment_intents",
    api((req, auth, ctx) => {
      requireSecretKey(auth);
      return expandIntent(createPaymentIntent(body(req), ctx), body(req));
    }),
  );
  app.get(
    "/v1/payment_intents/:intent",
    api((req, auth) => {
      const id = pathId(req, "intent");
      requireSecretOrClientSecret(auth, id, query(req).client_secret);
      allowOnly(query(req), ["client_secret", "expand"]);
      return expandIntent(findPaymentIntent(id), query(req));
    }),
  );
  app.post(
    "/v1/payment_intents/:intent/confirm",
    api((req, auth, ctx) => {
      const id = pathId(req, "intent");
      requireSecretOrClientSecret(auth, id, body(req).client_secret);
      return expandIntent(confirmPaymentIntent(id, body(req), ctx), body(req));
    }),
  );
  app.post(
    "/v1/payment_intents/:intent/cancel",
    api((req, auth, ctx) => {
      requireSecretKey(auth);
      return expandIntent(cancelPaymentIntent(pathId(req, "intent"), body(req), ctx), body(req));
    }),
  );
  app.post(
    "/v1/refunds",
    api((req, auth, ctx) => {
      requireSecretKey(auth);
      return createRefund(body(req), ctx);
    }),
  );
  app.get(
    "/v1/refunds",
    api((req, auth) => {
      requireSecretKey(auth);
      const params = query(req);
      allowOnly(params, ["payment_intent", "charge", "limit", "starting_after", "ending_before", "created", "expand"]);
      const intentId = optionalString(params.payment_intent, "payment_intent");
      const chargeId = optionalString(params.charge, "charge");
      const matching = [...refunds.values()]
        .filter((refund) => (!intentId || refund.payment_intent === intentId) && (!chargeId || refund.charge === chargeId))
        .filter(createdFilter(params.created))
        .reverse();
      return paginate(matching, params, "/v1/refunds");
    }),
  );
  app.get(
    "/v1/refunds/:refund",
    api((req, auth) => {
      requireSecretKey(auth);
      const refund = refunds.get(pathId(req, "refund"));
      if (!refund) throw noSuch("refund", pathId(req, "refund"), "refund");
      return refund;
    }),
  );
  app.get(
    "/v1/charges/:charge",
    api((req, auth) => {
      requireSecretKey(auth);
      const charge = charges.get(pathId(req, "charge"));
      if (!charge) throw noSuch("charge", pathId(req, "charge"), "charge");
      return charge;
    }),
  );
  app.get(
    "/v1/events",
    api((req, auth) => {
      requireSecretKey(auth);
      const params = query(req);
      allowOnly(params, ["type", "types", "created", "limit", "starting_after", "ending_before", "delivery_success", "expand"]);
      if (params.type !== undefined && params.types !== undefined)
        throw invalidRequest("You may pass either type or types, but not both.", { param: "types" });
      const patterns =
        params.types !== undefined ? stringArray(params.types, "types") : params.type !== undefined ? [String(params.type)] : [];
      // delivery_success=false: events not (yet) delivered to the endpoint, as Stripe's reconciliation hint.
      const deliverySuccess = params.delivery_success === undefined ? undefined : parseBoolean(params.delivery_success, "delivery_success");
      const delivered = new Set(
        deliverer
          .list()
          .filter((record) => record.state === "succeeded")
          .map((record) => record.eventId),
      );
      const matching = events
        .filter((event) => patterns.length === 0 || patterns.some((pattern) => typeMatches(pattern, event.type)))
        .filter(createdFilter(params.created))
        .filter((event) => deliverySuccess === undefined || delivered.has(event.id) === deliverySuccess)
        .reverse(); // newest first, as Stripe lists
      return paginate(matching, params, "/v1/events");
    }),
  );
  app.get(
    "/v1/events/:id",
    api((req, auth) => {
      requireSecretKey(auth);
      const event = eventsById.get(pathId(req, "id"));
      if (!event) throw noSuch("event", pathId(req, "id"));
      return event;
    }),
  );

  // ---------------------------------------------------------------------------------------------------------------
  // Test controls: not part of Stripe's API. Same secret key as the API, never reachable from browsers (no CORS).
  // ---------------------------------------------------------------------------------------------------------------

  const control = express.Router();
  control.use((req, res, next) => {
    try {
      requireSecretKey(authenticate(req));
      next();
    } catch (error) {
      const apiError = error as StripeApiError;
      res.status(apiError.status).json({ error: apiError.body });
    }
  });
  const controlJson = (fn: (req: Request) => unknown) => async (req: Request, res: Response, next: NextFunction) => {
    try {
      res.json(await fn(req));
    } catch (error) {
      if (error instanceof StripeApiError) res.status(error.status).json({ error: error.body });
      else if (error instanceof Error) res.status(400).json({ error: { type: "invalid_request_error", message: error.message } });
      else next(error);
    }
  };
  control.get(
    "/health",
    controlJson(() => ({ status: "ok" })),
  );
  control.get(
    "/deliveries",
    controlJson((req) => ({ data: emulator.deliveries(optionalString(query(req).event, "event")) })),
  );
  control.post(
    "/deliveries/pause",
    controlJson(() => (emulator.pauseDeliveries(), { paused: true })),
  );
  control.post(
    "/deliveries/resume",
    controlJson(async () => (await emulator.resumeDeliveries(), { paused: false })),
  );
  control.get(
    "/deliveries/held",
    controlJson(() => ({ data: emulator.heldEvents() })),
  );
  control.post(
    "/deliveries/release",
    controlJson(async (req) => ({
      data: await emulator.releaseHeld(body(req).events === undefined ? undefined : stringArray(body(req).events, "events")),
    })),
  );
  control.post(
    "/events/:id/redeliver",
    controlJson((req) => emulator.redeliver(pathId(req, "id"))),
  );
  control.get(
    "/payment_intents/:intent/charges",
    controlJson((req) => {
      const succeeded = emulator.succeededCharges(pathId(req, "intent"));
      return { payment_intent: pathId(req, "intent"), succeeded: succeeded.length, data: succeeded };
    }),
  );
  control.post(
    "/refunds",
    controlJson((req) => {
      const params = body(req);
      return emulator.refundOutOfBand({
        payment_intent: String(params.payment_intent ?? ""),
        amount: parseAmount(params.amount, "amount", false),
        reason: optionalString(params.reason, "reason"),
      });
    }),
  );
  control.post(
    "/reset",
    controlJson(() => (emulator.reset(), { reset: true })),
  );
  app.use("/_emulator", control);

  app.use((req, res) => {
    res.status(404).json({ error: { type: "invalid_request_error", message: `Unrecognized request URL (${req.method}: ${req.path}).` } });
  });
  // Malformed bodies and anything unexpected: Stripe's error shape, never a stack trace.
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = typeof error === "object" && error && "status" in error && typeof error.status === "number" ? error.status : 500;
    const type = status >= 500 ? "api_error" : "invalid_request_error";
    res
      .status(status)
      .json({ error: { type, message: status >= 500 ? "An unexpected error occurred in the emulator." : "Invalid request body." } });
  });

  let server: Server | undefined;
  let emulatorUrl = `http://${host}:${options.port ?? 0}`;

  const emulator: StripeEmulator = {
    get url() {
      return emulatorUrl;
    },
    app,
    listen: () =>
      new Promise<string>((resolve, reject) => {
        const listening = app.listen(options.port ?? 0, host, (error?: Error) => {
          if (error) return reject(error);
          const address = listening.address() as AddressInfo;
          emulatorUrl = `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`;
          resolve(emulatorUrl);
        });
        server = listening;
      }),
    close: async () => {
      deliverer.close();
      if (!server) return;
      const closing = server;
      server = undefined;
      closing.closeAllConnections();
      await new Promise<void>((resolve) => closing.close(() => resolve()));
    },
    setWebhookUrl: (url) => deliverer.setUrl(url),
    deliveries: (eventId) => deliverer.list(eventId),
    redeliver: (eventId) => {
      if (!eventsById.has(eventId)) return Promise.reject(noSuch("event", eventId));
      return deliverer.redeliver(eventId);
    },
    pauseDeliveries: () => deliverer.pause(),
    resumeDeliveries: () => deliverer.resume(),
    heldEvents: () => deliverer.held(),
    releaseHeld: (eventIds) => deliverer.release(eventIds),
    deliveriesIdle: () => deliverer.idle(),
    succeededCharges: (paymentIntentId) =>
      snapshot([...charges.values()].filter((charge) => charge.payment_intent === paymentIntentId && charge.status === "succeeded")),
    refundOutOfBand: (params) => {
      // The same parameters an API request would carry: form values are strings.
      const formParams = Object.fromEntries(
        Object.entries(params)
          .filter(([, value]) => value !== undefined)
          .map(([name, value]) => [name, String(value)]),
      );
      const refund = createRefund(formParams, { requestId: null, idempotencyKey: null });
      persist();
      return snapshot(refund);
    },
    events: () => snapshot(events),
    reset: () => {
      paymentIntents = new Map();
      charges = new Map();
      refunds = new Map();
      events = [];
      eventsById = new Map();
      idempotency = new Map();
      deliverer.reset();
      persist();
    },
  };
  return emulator;
}

// -------------------------------------------------------------------------------------------------------------------
// Parameter parsing, with Stripe's messages
// -------------------------------------------------------------------------------------------------------------------

function allowOnly(params: Params, allowed: string[]): void {
  for (const name of Object.keys(params)) {
    if (!allowed.includes(name)) {
      throw invalidRequest(`Received unknown parameter: ${name}`, { code: "parameter_unknown", param: name });
    }
  }
}

function optionalString(value: unknown, param: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw invalidRequest(`Invalid ${param}: must be a string`, { code: "parameter_invalid_string", param });
  return value;
}

function stringArray(value: unknown, param: string): string[] {
  const values = Array.isArray(value) ? value : typeof value === "object" && value ? Object.values(value) : [value];
  if (!values.every((item) => typeof item === "string")) throw invalidRequest(`Invalid array: ${param}`, { param });
  return values;
}

function parseBoolean(value: unknown, param: string): boolean {
  if (value === undefined || value === "false") return false;
  if (value === "true") return true;
  throw invalidRequest(`Invalid boolean: ${String(value)}`, { param });
}

function parseAmount(value: unknown, param: string, required: boolean): number | undefined {
  if (value === undefined) {
    if (required) throw invalidRequest(`Missing required param: ${param}.`, { code: "parameter_missing", param });
    return undefined;
  }
  if (typeof value !== "string" || !/^\d{1,12}$/.test(value)) {
    throw invalidRequest(`Invalid integer: ${typeof value === "string" ? value : "(not a string)"}`, {
      code: "parameter_invalid_integer",
      param,
    });
  }
  const amount = Number(value);
  if (amount < 1) throw invalidRequest("This value must be greater than or equal to 1.", { code: "amount_too_small", param });
  if (amount > MAX_AMOUNT) throw invalidRequest(`Amount must be no more than ${MAX_AMOUNT}`, { code: "amount_too_large", param });
  return amount;
}

function parseCurrency(value: unknown): string {
  if (value === undefined) throw invalidRequest("Missing required param: currency.", { code: "parameter_missing", param: "currency" });
  if (typeof value !== "string" || !/^[a-zA-Z]{3}$/.test(value)) {
    throw invalidRequest(`Invalid currency: ${typeof value === "string" ? value : ""}.`, { param: "currency" });
  }
  return value.toLowerCase();
}

function parseMetadata(value: unknown): Record<string, string> {
  if (value === undefined || value === "") return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalidRequest("Invalid object", { param: "metadata" });
  const entries = Object.entries(value);
  // Stripe's documented limits: 50 keys, names up to 40 characters, values up to 500, no square brackets in names.
  if (entries.length > 50) throw invalidRequest("Metadata can have up to 50 keys.", { param: "metadata" });
  for (const [key, item] of entries) {
    if (key.length > 40 || /[[\]]/.test(key))
      throw invalidRequest(`Invalid metadata key: ${key.slice(0, 40)}`, { param: `metadata[${key.slice(0, 40)}]` });
    if (typeof item !== "string" || item.length > 500) {
      throw invalidRequest("Metadata values must be strings of up to 500 characters.", { param: `metadata[${key}]` });
    }
  }
  return Object.fromEntries(entries);
}

function parsePaymentMethodTypes(value: unknown): string[] {
  if (value === undefined) return ["card"];
  const types = stringArray(value, "payment_method_types");
  if (types.some((type) => type !== "card"))
    throw invalidRequest("The emulator supports only card payments.", { param: "payment_method_types" });
  return types;
}

function findTestCard(paymentMethod: string): TestCard {
  const card = TEST_PAYMENT_METHODS[paymentMethod];
  if (!card) throw invalidRequest(`No such PaymentMethod: '${paymentMethod}'`, { code: "resource_missing", param: "payment_method" });
  return card;
}

/** `type` filters take `*` wildcards, e.g. `payment_intent.*`. */
function typeMatches(pattern: string, type: string): boolean {
  if (!pattern.includes("*")) return pattern === type;
  const regex = new RegExp(
    `^${pattern
      .split("*")
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  );
  return regex.test(type);
}

function createdFilter(created: unknown): (item: { created: number }) => boolean {
  if (created === undefined) return () => true;
  const bound = (value: unknown, name: string): number | undefined => {
    if (value === undefined) return undefined;
    if (typeof value !== "string" || !/^\d{1,12}$/.test(value))
      throw invalidRequest(`Invalid timestamp: created${name}`, { param: `created${name}` });
    return Number(value);
  };
  if (typeof created === "string") {
    const exact = bound(created, "");
    return (item) => item.created === exact;
  }
  if (typeof created !== "object" || created === null) throw invalidRequest("Invalid created filter", { param: "created" });
  const range = created as Record<string, unknown>;
  allowOnly(range, ["gt", "gte", "lt", "lte"]);
  const gt = bound(range.gt, "[gt]");
  const gte = bound(range.gte, "[gte]");
  const lt = bound(range.lt, "[lt]");
  const lte = bound(range.lte, "[lte]");
  return (item) =>
    (gt === undefined || item.created > gt) &&
    (gte === undefined || item.created >= gte) &&
    (lt === undefined || item.created < lt) &&
    (lte === undefined || item.created <= lte);
}

/** Stripe's cursor pagination over a newest-first list: `starting_after` goes to older objects, `ending_before` to newer. */
function paginate<T extends { id: string }>(items: T[], params: Params, url: string): ListObject<T> {
  let limit = 10;
  if (params.limit !== undefined) {
    if (typeof params.limit !== "string" || !/^\d{1,3}$/.test(params.limit) || Number(params.limit) < 1 || Number(params.limit) > 100) {
      throw invalidRequest("This value must be between 1 and 100.", { param: "limit" });
    }
    limit = Number(params.limit);
  }
  const startingAfter = optionalString(params.starting_after, "starting_after");
  const endingBefore = optionalString(params.ending_before, "ending_before");
  if (startingAfter && endingBefore) throw invalidRequest("You may only specify one of these parameters: starting_after, ending_before.");
  const indexOf = (id: string, param: string) => {
    const index = items.findIndex((item) => item.id === id);
    if (index < 0) throw noSuch("object", id, param);
    return index;
  };
  let page: T[];
  let hasMore: boolean;
  if (startingAfter) {
    const start = indexOf(startingAfter, "starting_after") + 1;
    page = items.slice(start, start + limit);
    hasMore = start + limit < items.length;
  } else if (endingBefore) {
    const end = indexOf(endingBefore, "ending_before");
    page = items.slice(Math.max(0, end - limit), end);
    hasMore = end - limit > 0;
  } else {
    page = items.slice(0, limit);
    hasMore = limit < items.length;
  }
  return { object: "list", data: snapshot(page), has_more: hasMore, url };
}

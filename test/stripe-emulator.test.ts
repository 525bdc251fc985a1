// The offline Stripe API emulator (emulators/stripe), driven by the real `stripe` SDK in-process: no shopgraph stack.
import { after, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import Stripe from "stripe";
import { EMULATED_API_VERSION, createStripeEmulator, type StripeEmulator } from "../emulators/stripe/emulator.js";
import { emulatorOptionsFromEnv, resolveWebhookSecret } from "../emulators/stripe/config.js";
import { startStripeEmulatorFromEnv } from "../emulators/stripe/main.js";

const WEBHOOK_SECRET = "whsec_test_emulator_secret_0123456789";
const STOREFRONT = "http://localhost:5173";

interface Received {
  rawBody: string;
  signature: string;
  event: Stripe.Event;
}

/** A webhook endpoint as the payments subgraph will have one: keeps the raw body and signature of each POST. */
function startReceiver() {
  const received: Received[] = [];
  let failuresToAnswer = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const rawBody = Buffer.concat(chunks).toString("utf8");
      if (failuresToAnswer > 0) {
        failuresToAnswer--;
        res.writeHead(500).end();
        return;
      }
      received.push({ rawBody, signature: String(req.headers["stripe-signature"]), event: JSON.parse(rawBody) as Stripe.Event });
      res.writeHead(200).end();
    });
  });
  return {
    received,
    failNext: (count: number) => (failuresToAnswer = count),
    listen: () =>
      new Promise<string>((resolve) =>
        server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`)),
      ),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    async waitFor(predicate: (item: Received) => boolean, count = 1): Promise<Received[]> {
      for (let i = 0; i < 200; i++) {
        const matching = received.filter(predicate);
        if (matching.length >= count) return matching;
        await delay(25);
      }
      assert.fail(`webhook not received; got ${received.map((item) => item.event.type).join(", ")}`);
    },
  };
}

let emulator: StripeEmulator;
let receiver: ReturnType<typeof startReceiver>;
let stripe: Stripe;
let port: number;

const sdk = (key: string) =>
  new Stripe(key, { host: "127.0.0.1", port, protocol: "http", apiVersion: EMULATED_API_VERSION, maxNetworkRetries: 0 });

before(async () => {
  receiver = startReceiver();
  const webhookUrl = await receiver.listen();
  emulator = createStripeEmulator({
    webhookSecret: WEBHOOK_SECRET,
    webhookUrl,
    port: 0,
    allowedOrigins: [STOREFRONT],
    webhookRetryDelaysMs: [20, 20],
  });
  port = Number(new URL(await emulator.listen()).port);
  stripe = sdk("sk_test_shopgraph_emulator");
});

after(async () => {
  await emulator.deliveriesIdle();
  await emulator.close();
  await receiver.close();
});

beforeEach(async () => {
  await emulator.deliveriesIdle();
  emulator.reset();
  receiver.received.length = 0;
});

async function rejects<T extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => T): Promise<T> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`);
    return error;
  }
  assert.fail(`expected ${type.name}, but the call succeeded`);
}

const api = (pathAndQuery: string, init: RequestInit = {}) => fetch(`${emulator.url}${pathAndQuery}`, init);

describe("Stripe emulator: authentication", () => {
  it("refuses requests without a key, with a live or made-up key, in Stripe's error shape", async () => {
    const response = await api("/v1/payment_intents/pi_123");
    assert.equal(response.status, 401);
    const body = (await response.json()) as { error: { type: string; message: string } };
    assert.equal(body.error.type, "invalid_request_error");
    assert.match(body.error.message, /API key/);
    for (const key of ["sk_live_123456789012", "rk_test_123", "sk_test_", "nonsense"]) {
      const error = await rejects(
        sdk(key).paymentIntents.create({ amount: 1000, currency: "eur" }),
        Stripe.errors.StripeAuthenticationError,
      );
      assert.equal(error.statusCode, 401);
      assert.ok(!error.message.includes("123456789012"), "the key is not echoed back whole");
    }
    assert.equal(emulator.events().length, 0);
  });

  it("keeps test controls behind the secret key too", async () => {
    assert.equal((await api("/_emulator/reset", { method: "POST" })).status, 401);
    assert.equal((await api("/_emulator/deliveries", { headers: { authorization: "Bearer pk_test_abc" } })).status, 401);
  });
});

describe("Stripe emulator: PaymentIntents", () => {
  it("creates with metadata and a client secret, and retrieves", async () => {
    const intent = await stripe.paymentIntents.create({ amount: 2599, currency: "EUR", metadata: { order_id: "ord_42" } });
    assert.match(intent.id, /^pi_\w{24}$/);
    assert.match(intent.client_secret ?? "", new RegExp(`^${intent.id}_secret_\\w+$`));
    assert.equal(intent.object, "payment_intent");
    assert.equal(intent.status, "requires_payment_method");
    assert.equal(intent.currency, "eur");
    assert.equal(intent.amount_received, 0);
    assert.equal(intent.latest_charge, null);
    assert.deepEqual(intent.metadata, { order_id: "ord_42" });
    const again = await stripe.paymentIntents.retrieve(intent.id);
    assert.deepEqual(again, intent);
    const missing = await rejects(stripe.paymentIntents.retrieve("pi_doesnotexist"), Stripe.errors.StripeInvalidRequestError);
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.code, "resource_missing");
  });

  it("replays a create with the same Idempotency-Key and refuses the key with other parameters", async () => {
    const first = await stripe.paymentIntents.create(
      { amount: 1000, currency: "eur", metadata: { order_id: "a" } },
      { idempotencyKey: "order-a" },
    );
    const replay = await stripe.paymentIntents.create(
      { amount: 1000, currency: "eur", metadata: { order_id: "a" } },
      { idempotencyKey: "order-a" },
    );
    assert.equal(replay.id, first.id);
    assert.equal(replay.lastResponse.headers["idempotent-replayed"], "true");
    const error = await rejects(
      stripe.paymentIntents.create({ amount: 2000, currency: "eur", metadata: { order_id: "a" } }, { idempotencyKey: "order-a" }),
      Stripe.errors.StripeIdempotencyError,
    );
    assert.equal(error.type, "StripeIdempotencyError");
    assert.equal(error.statusCode, 400);
    const other = await stripe.paymentIntents.create(
      { amount: 1000, currency: "eur", metadata: { order_id: "a" } },
      { idempotencyKey: "order-b" },
    );
    assert.notEqual(other.id, first.id);
    const created = emulator.events().filter((event) => event.type === "payment_intent.created");
    assert.equal(created.length, 2, "the replay created nothing");
  });

  it("confirms with pm_card_visa: succeeded, one charge, and never a second one", async () => {
    const intent = await stripe.paymentIntents.create({ amount: 1500, currency: "eur" });
    const paid = await stripe.paymentIntents.confirm(intent.id, { payment_method: "pm_card_visa" });
    assert.equal(paid.status, "succeeded");
    assert.equal(paid.amount_received, 1500);
    assert.equal(paid.payment_method, "pm_card_visa");
    assert.match(String(paid.latest_charge), /^ch_/);
    const error = await rejects(
      stripe.paymentIntents.confirm(intent.id, { payment_method: "pm_card_visa" }),
      Stripe.errors.StripeInvalidRequestError,
    );
    assert.equal(error.code, "payment_intent_unexpected_state");
    assert.equal(emulator.succeededCharges(intent.id).length, 1);
    const expanded = await stripe.paymentIntents.retrieve(intent.id, { expand: ["latest_charge"] });
    const charge = expanded.latest_charge as Stripe.Charge;
    assert.equal(charge.status, "succeeded");
    assert.equal(charge.amount_captured, 1500);
    assert.equal(charge.payment_intent, intent.id);
  });

  it("declines pm_card_chargeDeclined with card_declined (402), back to requires_payment_method, then pays with visa", async () => {
    const intent = await stripe.paymentIntents.create({ amount: 990, currency: "eur", metadata: { order_id: "o1" } });
    const error = await rejects(
      stripe.paymentIntents.confirm(intent.id, { payment_method: "pm_card_chargeDeclined" }),
      Stripe.errors.StripeCardError,
    );
    assert.equal(error.statusCode, 402);
    assert.equal(error.code, "card_declined");
    assert.equal(error.decline_code, "generic_decline");
    assert.equal(error.payment_intent?.id, intent.id);
    const after = await stripe.paymentIntents.retrieve(intent.id);
    assert.equal(after.status, "requires_payment_method");
    assert.equal(after.last_payment_error?.code, "card_declined");
    assert.equal(after.amount_received, 0);
    assert.equal(emulator.succeededCharges(intent.id).length, 0);
    const paid = await stripe.paymentIntents.confirm(intent.id, { payment_method: "pm_card_visa" });
    assert.equal(paid.status, "succeeded");
    assert.equal(paid.last_payment_error, null);
    assert.equal(emulator.succeededCharges(intent.id).length, 1);
  });

  it("replays a declined confirmation under the same Idempotency-Key without charging again", async () => {
    const intent = await stripe.paymentIntents.create({ amount: 500, currency: "eur" });
    const params = { payment_method: "pm_card_chargeDeclined" };
    await rejects(stripe.paymentIntents.confirm(intent.id, params, { idempotencyKey: "confirm-1" }), Stripe.errors.StripeCardError);
    await rejects(stripe.paymentIntents.confirm(intent.id, params, { idempotencyKey: "confirm-1" }), Stripe.errors.StripeCardError);
    assert.equal(emulator.events().filter((event) => event.type === "charge.failed").length, 1);
  });

  it("creates and confirms at once with confirm=true", async () => {
    const intent = await stripe.paymentIntents.create({ amount: 700, currency: "usd", payment_method: "pm_card_visa", confirm: true });
    assert.equal(intent.status, "succeeded");
  });

  it("cancels, and refuses to cancel a paid or confirm a canceled PaymentIntent", async () => {
    const intent = await stripe.paymentIntents.create({ amount: 1000, currency: "eur" });
    const canceled = await stripe.paymentIntents.cancel(intent.id, { cancellation_reason: "abandoned" });
    assert.equal(canceled.status, "canceled");
    assert.equal(canceled.cancellation_reason, "abandoned");
    assert.ok(canceled.canceled_at);
    await rejects(stripe.paymentIntents.confirm(intent.id, { payment_method: "pm_card_visa" }), Stripe.errors.StripeInvalidRequestError);
    const paid = await stripe.paymentIntents.create({ amount: 1000, currency: "eur", payment_method: "pm_card_visa", confirm: true });
    const error = await rejects(stripe.paymentIntents.cancel(paid.id), Stripe.errors.StripeInvalidRequestError);
    assert.equal(error.code, "payment_intent_unexpected_state");
    assert.equal(emulator.succeededCharges(intent.id).length, 0);
  });

  it("refuses careless and hostile parameters with 400 and Stripe's param", async () => {
    const cases: Array<[Stripe.PaymentIntentCreateParams, string]> = [
      [{ amount: -5, currency: "eur" }, "amount"],
      [{ amount: 0, currency: "eur" }, "amount"],
      [{ amount: 10.5, currency: "eur" }, "amount"],
      [{ amount: 100_000_000, currency: "eur" }, "amount"],
      [{ amount: 100, currency: "euro" }, "currency"],
      [{ amount: 100, currency: "eur", payment_method: "pm_card_stolen" }, "payment_method"],
      [{ amount: 100, currency: "eur", metadata: { ["k".repeat(41)]: "v" } }, "metadata[kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk]"],
      [{ amount: 100, currency: "eur", metadata: { order_id: "x".repeat(501) } }, "metadata[order_id]"],
      [{ amount: 100, currency: "eur", capture_method: "manual" }, "capture_method"],
      [{ amount: 100, currency: "eur", unknown_thing: "1" } as Stripe.PaymentIntentCreateParams, "unknown_thing"],
    ];
    for (const [params, param] of cases) {
      const error = await rejects(stripe.paymentIntents.create(params), Stripe.errors.StripeInvalidRequestError);
      assert.equal(error.statusCode, 400, JSON.stringify(params).slice(0, 80));
      assert.equal(error.param, param);
    }
    const json = await api("/v1/payment_intents", {
      method: "POST",
      headers: { authorization: "Bearer sk_test_x1", "content-type": "application/json" },
      body: JSON.stringify({ amount: 100, currency: "eur" }),
    });
    assert.equal(json.status, 400);
    const longKey = await rejects(
      stripe.paymentIntents.create({ amount: 100, currency: "eur" }, { idempotencyKey: "k".repeat(256) }),
      Stripe.errors.StripeInvalidRequestError,
    );
    assert.equal(longKey.statusCode, 400);
    // Control characters in metadata are data to Stripe, and come back unchanged.
    const odd = await stripe.paymentIntents.create({ amount: 100, currency: "eur", metadata: { note: "a\u0000b\nc\u202e" } });
    assert.equal(odd.metadata.note, "a\u0000b\nc\u202e");
    assert.equal(emulator.events().length, 1);
  });
});

describe("Stripe emulator: refunds", () => {
  it("refunds partially and fully, bounded by the charged amount, and lists them", async () => {
    const intent = await stripe.paymentIntents.create({ amount: 1000, currency: "eur", payment_method: "pm_card_visa", confirm: true });
    const partial = await stripe.refunds.create({ payment_intent: intent.id, amount: 300, reason: "requested_by_customer" });
    assert.match(partial.id, /^re_/);
    assert.equal(partial.status, "succeeded");
    assert.equal(partial.amount, 300);
    assert.equal(partial.charge, intent.latest_charge);
    const tooMuch = await rejects(
      stripe.refunds.create({ payment_intent: intent.id, amount: 701 }),
      Stripe.errors.StripeInvalidRequestError,
    );
    assert.equal(tooMuch.code, "amount_too_large");
    const rest = await stripe.refunds.create({ payment_intent: intent.id });
    assert.equal(rest.amount, 700);
    const again = await rejects(stripe.refunds.create({ payment_intent: intent.id, amount: 1 }), Stripe.errors.StripeInvalidRequestError);
    assert.equal(again.code, "charge_already_refunded");
    const charge = (await stripe.paymentIntents.retrieve(intent.id, { expand: ["latest_charge"] })).latest_charge as Stripe.Charge;
    assert.equal(charge.amount_refunded, 1000);
    assert.equal(charge.refunded, true);

    const list = await stripe.refunds.list({ payment_intent: intent.id });
    assert.equal(list.object, "list");
    assert.deepEqual(
      list.data.map((refund) => refund.id),
      [rest.id, partial.id],
    );
    const firstPage = await stripe.refunds.list({ payment_intent: intent.id, limit: 1 });
    assert.equal(firstPage.has_more, true);
    const secondPage = await stripe.refunds.list({ payment_intent: intent.id, limit: 1, starting_after: firstPage.data[0]!.id });
    assert.deepEqual(
      secondPage.data.map((refund) => refund.id),
      [partial.id],
    );
    assert.equal(secondPage.has_more, false);
  });

  it("refuses to refund an unpaid, unknown or someone else's charge", async () => {
    const unpaid = await stripe.paymentIntents.create({ amount: 1000, currency: "eur" });
    await rejects(stripe.refunds.create({ payment_intent: unpaid.id }), Stripe.errors.StripeInvalidRequestError);
    await rejects(stripe.refunds.create({ payment_intent: "pi_unknown" }), Stripe.errors.StripeInvalidRequestError);
    await rejects(stripe.refunds.create({}), Stripe.errors.StripeInvalidRequestError);
    const a = await stripe.paymentIntents.create({ amount: 1000, currency: "eur", payment_method: "pm_card_visa", confirm: true });
    const b = await stripe.paymentIntents.create({ amount: 1000, currency: "eur", payment_method: "pm_card_visa", confirm: true });
    await rejects(
      stripe.refunds.create({ payment_intent: a.id, charge: String(b.latest_charge) }),
      Stripe.errors.StripeInvalidRequestError,
    );
    assert.equal((await stripe.refunds.list()).data.length, 0);
  });

  it("records a refund made out of band (as in Stripe's dashboard) with a charge.refunded event without request id", async () => {
    const intent = await stripe.paymentIntents.create({ amount: 1000, currency: "eur", payment_method: "pm_card_visa", confirm: true });
    emulator.refundOutOfBand({ payment_intent: intent.id, amount: 400 });
    const response = await api("/_emulator/refunds", {
      method: "POST",
      headers: { authorization: "Bearer sk_test_x1", "content-type": "application/x-www-form-urlencoded" },
      body: `payment_intent=${intent.id}&amount=600`,
    });
    assert.equal(response.status, 200);
    const refunded = await receiver.waitFor((item) => item.event.type === "charge.refunded", 2);
    const last = refunded.map((item) => item.event).find((event) => (event.data.object as Stripe.Charge).refunded);
    assert.ok(last);
    assert.equal(last.request?.id, null);
    assert.equal((last.data.object as Stripe.Charge).amount_refunded, 1000);
    assert.deepEqual(last.data.previous_attributes, { amount_refunded: 400, refunded: false });
  });
});

describe("Stripe emulator: events", () => {
  it("lists newest first with limit, starting_after, has_more, type and created filters, and retrieves", async () => {
    const since = Math.floor(Date.now() / 1000);
    const intents = [];
    for (let i = 0; i < 3; i++) intents.push(await stripe.paymentIntents.create({ amount: 100 + i, currency: "eur" }));
    await stripe.paymentIntents.confirm(intents[0]!.id, { payment_method: "pm_card_visa" });

    const all = await stripe.events.list({ limit: 100 });
    assert.equal(all.data.length, 5); // 3 payment_intent.created, charge.succeeded, payment_intent.succeeded
    assert.equal(all.data[0]!.type, "payment_intent.succeeded");
    const created = await stripe.events.list({ type: "payment_intent.created", limit: 2 });
    assert.equal(created.has_more, true);
    assert.deepEqual(
      created.data.map((event) => (event.data.object as Stripe.PaymentIntent).id),
      [intents[2]!.id, intents[1]!.id],
    );
    const next = await stripe.events.list({ type: "payment_intent.created", limit: 2, starting_after: created.data[1]!.id });
    assert.equal(next.has_more, false);
    assert.deepEqual(
      next.data.map((event) => (event.data.object as Stripe.PaymentIntent).id),
      [intents[0]!.id],
    );
    const previous = await stripe.events.list({ type: "payment_intent.created", ending_before: next.data[0]!.id });
    assert.equal(previous.data.length, 2);

    const wildcard = await stripe.events.list({ type: "payment_intent.*", created: { gte: since } });
    assert.equal(wildcard.data.length, 4);
    const types = await stripe.events.list({ types: ["charge.succeeded", "payment_intent.succeeded"] });
    assert.equal(types.data.length, 2);
    const future = await stripe.events.list({ created: { gte: since + 3600 } });
    assert.equal(future.data.length, 0);

    const paginated: string[] = [];
    for await (const event of stripe.events.list({ limit: 2 })) paginated.push(event.id);
    assert.deepEqual(
      paginated,
      all.data.map((event) => event.id),
    );

    const one = await stripe.events.retrieve(all.data[0]!.id);
    assert.equal(one.id, all.data[0]!.id);
    assert.equal(one.object, "event");
    assert.equal(one.api_version, EMULATED_API_VERSION);
    assert.ok(one.request?.id?.startsWith("req_"));
    const missing = await rejects(stripe.events.retrieve("evt_nope"), Stripe.errors.StripeInvalidRequestError);
    assert.equal(missing.statusCode, 404);
    await rejects(stripe.events.list({ limit: 101 }), Stripe.errors.StripeInvalidRequestError);
    await rejects(stripe.events.list({ starting_after: "evt_nope" }), Stripe.errors.StripeInvalidRequestError);
  });
});

describe("Stripe emulator: webhooks", () => {
  it("delivers every event signed with Stripe's v1 scheme, verifiable with constructEvent", async () => {
    const intent = await stripe.paymentIntents.create({ amount: 1200, currency: "eur", metadata: { order_id: "o9" } });
    await stripe.paymentIntents.confirm(intent.id, { payment_method: "pm_card_visa" });
    const [delivery] = await receiver.waitFor((item) => item.event.type === "payment_intent.succeeded");
    const event = stripe.webhooks.constructEvent(delivery!.rawBody, delivery!.signature, WEBHOOK_SECRET);
    assert.equal(event.type, "payment_intent.succeeded");
    const object = event.data.object as Stripe.PaymentIntent;
    assert.equal(object.id, intent.id);
    assert.equal(object.metadata.order_id, "o9");
    assert.throws(
      () => stripe.webhooks.constructEvent(delivery!.rawBody, delivery!.signature, "whsec_some_other_secret_value"),
      Stripe.errors.StripeSignatureVerificationError,
    );
    const tampered = delivery!.rawBody.replace('"amount": 1200', '"amount": 1');
    assert.notEqual(tampered, delivery!.rawBody);
    assert.throws(
      () => stripe.webhooks.constructEvent(tampered, delivery!.signature, WEBHOOK_SECRET),
      Stripe.errors.StripeSignatureVerificationError,
    );
    await receiver.waitFor((item) => item.event.type === "payment_intent.created");
    await receiver.waitFor((item) => item.event.type === "charge.succeeded");
  });

  it("delivers payment_failed and canceled events", async () => {
    const intent = await stripe.paymentIntents.create({ amount: 1200, currency: "eur" });
    await rejects(stripe.paymentIntents.confirm(intent.id, { payment_method: "pm_card_chargeDeclined" }), Stripe.errors.StripeCardError);
    await stripe.paymentIntents.cancel(intent.id);
    const [failed] = await receiver.waitFor((item) => item.event.type === "payment_intent.payment_failed");
    assert.equal((failed!.event.data.object as Stripe.PaymentIntent).last_payment_error?.code, "card_declined");
    const [canceled] = await receiver.waitFor((item) => item.event.type === "payment_intent.canceled");
    assert.equal((canceled!.event.data.object as Stripe.PaymentIntent).status, "canceled");
  });

  it("retries a failed delivery and reports each attempt", async () => {
    receiver.failNext(1);
    const intent = await stripe.paymentIntents.create({ amount: 100, currency: "eur" });
    const [created] = await receiver.waitFor((item) => item.event.type === "payment_intent.created");
    await emulator.deliveriesIdle();
    const [record] = emulator.deliveries(created!.event.id);
    assert.equal(record!.state, "succeeded");
    assert.deepEqual(
      record!.attempts.map((attempt) => attempt.status),
      [500, 200],
    );
    assert.equal((await stripe.events.retrieve(created!.event.id)).pending_webhooks, 0);
    assert.equal((created!.event.data.object as Stripe.PaymentIntent).id, intent.id);
  });

  it("gives up after the configured retries when the endpoint keeps failing", async () => {
    receiver.failNext(3);
    await stripe.paymentIntents.create({ amount: 100, currency: "eur" });
    await emulator.deliveriesIdle();
    const [record] = emulator.deliveries();
    assert.equal(record!.state, "failed");
    assert.equal(record!.attempts.length, 3);
    assert.equal(receiver.received.length, 0);
    const undelivered = await stripe.events.list({ delivery_success: false });
    assert.deepEqual(
      undelivered.data.map((event) => event.id),
      [record!.eventId],
    );
    assert.equal((await stripe.events.list({ delivery_success: true })).data.length, 0);
  });

  it("redelivers an event on request (a replay the handler must tolerate)", async () => {
    await stripe.paymentIntents.create({ amount: 100, currency: "eur" });
    const [first] = await receiver.waitFor(() => true);
    const attempt = await emulator.redeliver(first!.event.id);
    assert.equal(attempt.status, 200);
    const response = await api(`/_emulator/events/${first!.event.id}/redeliver`, {
      method: "POST",
      headers: { authorization: "Bearer sk_test_x1" },
    });
    assert.equal(response.status, 200);
    const copies = await receiver.waitFor((item) => item.event.id === first!.event.id, 3);
    for (const copy of copies)
      assert.equal(stripe.webhooks.constructEvent(copy.rawBody, copy.signature, WEBHOOK_SECRET).id, first!.event.id);
    assert.equal(emulator.deliveries(first!.event.id)[0]!.attempts.length, 3);
    await assert.rejects(emulator.redeliver("evt_unknown"));
  });

  it("holds deliveries and releases them in a chosen order", async () => {
    emulator.pauseDeliveries();
    const intent = await stripe.paymentIntents.create({ amount: 100, currency: "eur", payment_method: "pm_card_visa", confirm: true });
    const held = emulator.heldEvents();
    assert.equal(held.length, 3);
    assert.equal(receiver.received.length, 0);
    const byType = new Map(emulator.events().map((event) => [event.type, event.id]));
    // payment_intent.succeeded before payment_intent.created: out of order, as Stripe may deliver.
    await emulator.releaseHeld([byType.get("payment_intent.succeeded")!, byType.get("payment_intent.created")!]);
    assert.deepEqual(
      receiver.received.map((item) => item.event.type),
      ["payment_intent.succeeded", "payment_intent.created"],
    );
    assert.deepEqual(emulator.heldEvents(), [byType.get("charge.succeeded")]);
    const stillHeld = await api("/_emulator/deliveries/held", { headers: { authorization: "Bearer sk_test_x1" } });
    assert.deepEqual(((await stillHeld.json()) as { data: string[] }).data, [byType.get("charge.succeeded")]);
    await emulator.resumeDeliveries();
    assert.equal(receiver.received.at(-1)!.event.type, "charge.succeeded");
    assert.equal(emulator.heldEvents().length, 0);
    await stripe.paymentIntents.create({ amount: 100, currency: "eur" });
    await receiver.waitFor((item) => item.event.type === "payment_intent.created", 2);
    await assert.rejects(emulator.releaseHeld(["evt_unknown"]));
    assert.equal(emulator.succeededCharges(intent.id).length, 1);
  });
});

describe("Stripe emulator: browser confirmation (publishable key + client secret)", () => {
  it("answers CORS preflights for the storefront only", async () => {
    const preflight = (origin: string) =>
      api("/v1/payment_intents/pi_x/confirm", {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization" },
      });
    const allowed = await preflight(STOREFRONT);
    assert.equal(allowed.status, 204);
    assert.equal(allowed.headers.get("access-control-allow-origin"), STOREFRONT);
    assert.match(allowed.headers.get("access-control-allow-headers") ?? "", /Authorization/);
    const other = await preflight("https://evil.example");
    assert.equal(other.headers.get("access-control-allow-origin"), null);
  });

  it("lets a publishable key retrieve and confirm one PaymentIntent with its client secret, and nothing else", async () => {
    const intent = await stripe.paymentIntents.create({ amount: 1000, currency: "eur" });
    const otherIntent = await stripe.paymentIntents.create({ amount: 1000, currency: "eur" });
    const browser = (pathAndQuery: string, body?: string) =>
      api(pathAndQuery, {
        method: body === undefined ? "GET" : "POST",
        headers: { authorization: "Bearer pk_test_storefront", origin: STOREFRONT, "content-type": "application/x-www-form-urlencoded" },
        body,
      });
    const secret = encodeURIComponent(intent.client_secret!);
    const seen = await browser(`/v1/payment_intents/${intent.id}?client_secret=${secret}`);
    assert.equal(seen.status, 200);
    assert.equal(seen.headers.get("access-control-allow-origin"), STOREFRONT);
    assert.equal((await browser(`/v1/payment_intents/${intent.id}`)).status, 404);
    assert.equal((await browser(`/v1/payment_intents/${otherIntent.id}?client_secret=${secret}`)).status, 404);
    assert.equal(
      (await browser(`/v1/payment_intents/${otherIntent.id}/confirm`, `payment_method=pm_card_visa&client_secret=${secret}`)).status,
      404,
    );
    assert.equal((await browser("/v1/payment_intents", "amount=100&currency=eur")).status, 401);
    assert.equal((await browser("/v1/refunds", `payment_intent=${intent.id}`)).status, 401);
    assert.equal((await browser("/v1/events")).status, 401);
    const confirmed = await browser(`/v1/payment_intents/${intent.id}/confirm`, `payment_method=pm_card_visa&client_secret=${secret}`);
    assert.equal(confirmed.status, 200);
    assert.equal(((await confirmed.json()) as { status: string }).status, "succeeded");
    assert.equal((await stripe.paymentIntents.retrieve(otherIntent.id)).status, "requires_payment_method");
  });
});

describe("Stripe emulator: test controls and configuration", () => {
  it("counts succeeded charges per PaymentIntent and resets over HTTP", async () => {
    const intent = await stripe.paymentIntents.create({ amount: 100, currency: "eur" });
    await rejects(stripe.paymentIntents.confirm(intent.id, { payment_method: "pm_card_chargeDeclined" }), Stripe.errors.StripeCardError);
    await stripe.paymentIntents.confirm(intent.id, { payment_method: "pm_card_visa" });
    const headers = { authorization: "Bearer sk_test_x1" };
    const counted = (await (await api(`/_emulator/payment_intents/${intent.id}/charges`, { headers })).json()) as { succeeded: number };
    assert.equal(counted.succeeded, 1);
    const deliveries = (await (await api("/_emulator/deliveries", { headers })).json()) as { data: unknown[] };
    assert.equal(deliveries.data.length, emulator.events().length);
    await emulator.deliveriesIdle();
    assert.equal((await api("/_emulator/reset", { method: "POST", headers })).status, 200);
    await rejects(stripe.paymentIntents.retrieve(intent.id), Stripe.errors.StripeInvalidRequestError);
  });

  it("reads its settings from the environment and generates the webhook secret once", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "stripe-emulator-"));
    try {
      const file = path.join(dir, "nested", "stripe-webhook-secret");
      const generated = resolveWebhookSecret(undefined, file);
      assert.match(generated, /^whsec_\w{43}$/);
      assert.equal(resolveWebhookSecret(undefined, file), generated);
      assert.equal(readFileSync(file, "utf8").trim(), generated);
      assert.equal(resolveWebhookSecret("whsec_from_env_0123456789", file), "whsec_from_env_0123456789");
      const options = emulatorOptionsFromEnv({
        STRIPE_API_URL: "http://127.0.0.1:12999",
        STRIPE_WEBHOOK_SECRET_FILE: file,
        STRIPE_WEBHOOK_URL: "http://127.0.0.1:4005/webhooks/stripe",
        STRIPE_EMULATOR_ALLOWED_ORIGINS: "http://localhost:5173, https://shop.example",
      });
      assert.equal(options.host, "127.0.0.1");
      assert.equal(options.port, 12999);
      assert.equal(options.webhookSecret, generated);
      assert.deepEqual(options.allowedOrigins, ["http://localhost:5173", "https://shop.example"]);
      assert.throws(() => emulatorOptionsFromEnv({ STRIPE_API_URL: "ftp://x", STRIPE_WEBHOOK_SECRET_FILE: file }), /STRIPE_API_URL/);
      assert.throws(() => emulatorOptionsFromEnv({ STRIPE_WEBHOOK_SECRET: "short" }), /STRIPE_WEBHOOK_SECRET/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it("keeps its state across a restart when given a state file", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "stripe-emulator-state-"));
    try {
      const stateFile = path.join(dir, "state.json");
      const first = createStripeEmulator({ webhookSecret: WEBHOOK_SECRET, port: 0, stateFile });
      const firstPort = Number(new URL(await first.listen()).port);
      const client = new Stripe("sk_test_restart", {
        host: "127.0.0.1",
        port: firstPort,
        protocol: "http",
        apiVersion: EMULATED_API_VERSION,
      });
      const paid = await client.paymentIntents.create(
        { amount: 800, currency: "eur", metadata: { order_id: "o7" } },
        { idempotencyKey: "restart-1" },
      );
      await client.paymentIntents.confirm(paid.id, { payment_method: "pm_card_visa" });
      await first.close();

      const second = createStripeEmulator({ webhookSecret: WEBHOOK_SECRET, port: 0, stateFile });
      const secondPort = Number(new URL(await second.listen()).port);
      const again = new Stripe("sk_test_restart", {
        host: "127.0.0.1",
        port: secondPort,
        protocol: "http",
        apiVersion: EMULATED_API_VERSION,
      });
      try {
        assert.equal((await again.paymentIntents.retrieve(paid.id)).status, "succeeded");
        const replay = await again.paymentIntents.create(
          { amount: 800, currency: "eur", metadata: { order_id: "o7" } },
          { idempotencyKey: "restart-1" },
        );
        assert.equal(replay.id, paid.id);
        assert.equal((await again.events.list({ type: "payment_intent.succeeded" })).data.length, 1);
        await again.refunds.create({ payment_intent: paid.id, amount: 800 });
        assert.equal(second.succeededCharges(paid.id).length, 1);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("starts from the environment in-process and as the `npm run stripe-emulator` process", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "stripe-emulator-cli-"));
    const { STRIPE_WEBHOOK_URL: _unset, STRIPE_WEBHOOK_SECRET: _unsetToo, ...inherited } = process.env;
    const env = { ...inherited, STRIPE_API_URL: "http://127.0.0.1:0", STRIPE_WEBHOOK_SECRET_FILE: path.join(dir, "secret") };
    const lines: string[] = [];
    const inProcess = await startStripeEmulatorFromEnv(env, (line) => lines.push(line));
    try {
      assert.match(lines[0] ?? "", /Stripe API emulator at http:\/\/127\.0\.0\.1:\d+/);
      const health = await fetch(`${inProcess.url}/_emulator/health`, { headers: { authorization: "Bearer sk_test_cli" } });
      assert.equal(health.status, 200);
    } finally {
      await inProcess.close();
    }

    const child = spawn(process.execPath, ["--import", "tsx", "emulators/stripe/index.ts"], { env, stdio: ["ignore", "pipe", "pipe"] });
    try {
      let output = "";
      child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
      for (let i = 0; i < 200 && !/http:\/\/\S+:\d+/.test(output); i++) await delay(50);
      const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      assert.ok(url, `the process prints its URL; printed: ${output}`);
      const client = new Stripe("sk_test_cli", {
        host: "127.0.0.1",
        port: Number(new URL(url).port),
        protocol: "http",
        apiVersion: EMULATED_API_VERSION,
      });
      const intent = await client.paymentIntents.create({ amount: 100, currency: "eur", payment_method: "pm_card_visa", confirm: true });
      assert.equal(intent.status, "succeeded");
    } finally {
      child.kill("SIGTERM");
      if (child.exitCode === null) await once(child, "exit");
      rmSync(dir, { recursive: true, force: true });
    }
    assert.equal(child.exitCode, 0);

    const broken = spawn(process.execPath, ["--import", "tsx", "emulators/stripe/index.ts"], {
      env: { ...env, STRIPE_API_URL: "not a url" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let errors = "";
    broken.stderr.on("data", (chunk: Buffer) => (errors += chunk.toString()));
    const [code] = (await once(broken, "close")) as [number]; // "close": after stderr is read to its end
    assert.equal(code, 1);
    assert.match(errors, /STRIPE_API_URL/);
  });
});

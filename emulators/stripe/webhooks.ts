// Webhook delivery as Stripe does it: each event POSTed as JSON to the endpoint, signed with the v1 scheme
// (`Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<payload>")>`, freshly signed per attempt),
// retried with backoff while the endpoint does not answer 2xx. Never awaited by the API request that caused the event.
// Tests can hold deliveries and release them in any order, or deliver an event again.
import { createHmac } from "node:crypto";
import type { EventObject } from "./objects.js";
import { nowSeconds } from "./objects.js";

export interface DeliveryAttempt {
  attemptedAt: string;
  /** HTTP status the endpoint answered, null when it could not be reached. */
  status: number | null;
  error: string | null;
  /** True for attempts started by `redeliver`. */
  manual: boolean;
}

export interface DeliveryRecord {
  eventId: string;
  type: string;
  /** held: paused by a test; pending: attempts under way or scheduled; succeeded; failed: retries exhausted; skipped: no URL. */
  state: "held" | "pending" | "succeeded" | "failed" | "skipped";
  attempts: DeliveryAttempt[];
}

export interface WebhookOptions {
  url?: string;
  secret: string;
  /** Pauses between attempts; one attempt more than entries. Stripe spreads retries over days; tests want less. */
  retryDelaysMs?: number[];
  timeoutMs?: number;
  /** Called when an event's delivery settles, so the event's `pending_webhooks` can follow. */
  onSettled?: (eventId: string, succeeded: boolean) => void;
}

export function signPayload(payload: string, secret: string, timestamp = nowSeconds()): string {
  const signature = createHmac("sha256", secret).update(`${timestamp}.${payload}`, "utf8").digest("hex");
  return `t=${timestamp},v1=${signature}`;
}

export class WebhookDeliverer {
  private readonly records = new Map<string, DeliveryRecord>();
  private readonly events = new Map<string, EventObject>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private paused = false;
  private url: string | undefined;
  private readonly retryDelaysMs: number[];
  private readonly timeoutMs: number;

  constructor(private readonly options: WebhookOptions) {
    this.url = options.url;
    this.retryDelaysMs = options.retryDelaysMs ?? [1_000, 5_000, 30_000, 120_000];
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  get webhookUrl(): string | undefined {
    return this.url;
  }

  setUrl(url: string | undefined): void {
    this.url = url;
  }

  /** Queues an event: delivered now in the background, or held while paused. */
  enqueue(event: EventObject): void {
    const record: DeliveryRecord = { eventId: event.id, type: event.type, state: "pending", attempts: [] };
    this.records.set(event.id, record);
    this.events.set(event.id, event);
    if (!this.url) {
      record.state = "skipped";
      this.options.onSettled?.(event.id, false);
      return;
    }
    if (this.paused) {
      record.state = "held";
      return;
    }
    this.inBackground(this.run(record, 0));
  }

  list(eventId?: string): DeliveryRecord[] {
    const all = [...this.records.values()];
    return structuredClone(eventId ? all.filter((record) => record.eventId === eventId) : all);
  }

  pause(): void {
    this.paused = true;
  }

  /** Stops holding and delivers whatever is held, in the order the events happened. */
  async resume(): Promise<void> {
    this.paused = false;
    await this.release();
  }

  held(): string[] {
    return [...this.records.values()].filter((record) => record.state === "held").map((record) => record.eventId);
  }

  /**
   * Delivers held events one after the other in the given order (all held ones, oldest first, when none given),
   * each first attempt finished before the next starts, so the endpoint sees exactly that order.
   */
  async release(eventIds: string[] = this.held()): Promise<DeliveryRecord[]> {
    for (const id of eventIds) {
      const record = this.records.get(id);
      if (!record || record.state !== "held") throw new Error(`event ${id} is not held`);
    }
    for (const id of eventIds) {
      const record = this.records.get(id)!;
      record.state = "pending";
      await this.track(this.run(record, 0));
    }
    return this.list().filter((record) => eventIds.includes(record.eventId));
  }

  /** One more delivery of an already known event (retried like the first), e.g. to test a handler's idempotency. */
  async redeliver(eventId: string): Promise<DeliveryAttempt> {
    const record = this.records.get(eventId);
    if (!record) throw new Error(`no such event ${eventId}`);
    if (!this.url) throw new Error("no webhook URL configured");
    const wasSettled = record.state !== "pending";
    record.state = "pending";
    const attempt = await this.attempt(record, true);
    if (attempt.status !== null && attempt.status >= 200 && attempt.status < 300) record.state = "succeeded";
    else if (wasSettled) this.inBackground(this.scheduleRetry(record, 0));
    return attempt;
  }

  /** Resolves when no attempt is running and none is scheduled. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0 || this.timers.size > 0) {
      await Promise.race([...this.inFlight, new Promise((resolve) => setTimeout(resolve, 20))]);
    }
  }

  reset(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.records.clear();
    this.events.clear();
    this.paused = false;
  }

  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.inFlight.add(promise);
    const forget = () => this.inFlight.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  /** A delivery that nobody awaits: attempts record their own failures, so a rejection has nothing to add. */
  private inBackground(promise: Promise<unknown>): void {
    this.track(promise).catch(() => undefined);
  }

  private async run(record: DeliveryRecord, retryIndex: number): Promise<void> {
    const attempt = await this.attempt(record, false);
    if (attempt.status !== null && attempt.status >= 200 && attempt.status < 300) {
      record.state = "succeeded";
      this.options.onSettled?.(record.eventId, true);
      return;
    }
    await this.scheduleRetry(record, retryIndex);
  }

  private async scheduleRetry(record: DeliveryRecord, retryIndex: number): Promise<void> {
    const delay = this.retryDelaysMs[retryIndex];
    if (delay === undefined) {
      record.state = "failed";
      this.options.onSettled?.(record.eventId, false);
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.records.get(record.eventId) !== record || record.state !== "pending") return;
      this.inBackground(this.run(record, retryIndex + 1));
    }, delay);
    timer.unref();
    this.timers.add(timer);
  }

  private async attempt(record: DeliveryRecord, manual: boolean): Promise<DeliveryAttempt> {
    const event = this.events.get(record.eventId)!;
    const payload = JSON.stringify(event, null, 2);
    const attempt: DeliveryAttempt = { attemptedAt: new Date().toISOString(), status: null, error: null, manual };
    record.attempts.push(attempt);
    try {
      const response = await fetch(this.url!, {
        method: "POST",
        headers: {
          "content-type": "application/json; charset=utf-8",
          "user-agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
          "stripe-signature": signPayload(payload, this.options.secret),
        },
        body: payload,
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: "manual", // Stripe does not follow redirects either: a 3xx is a failed delivery
      });
      attempt.status = response.status;
      await response.body?.cancel();
    } catch (error) {
      attempt.error = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
    }
    return attempt;
  }
}

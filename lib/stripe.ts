// The one way a process talks to Stripe: the real `stripe` SDK, pointed at the local emulator
// (emulators/stripe) when STRIPE_API_URL says so, and the webhook signing secret both sides agree on.
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import Stripe from "stripe";
import type { Config } from "./config.js";

/** The key used with the emulator when STRIPE_SECRET_KEY is unset: the emulator accepts any sk_test_ key. */
export const EMULATOR_TEST_KEY = "sk_test_shopgraph_emulator";

/** Client options that point the SDK at `apiUrl` (e.g. http://127.0.0.1:12111) instead of api.stripe.com. */
export function stripeHostOptions(apiUrl: string): Pick<Stripe.StripeConfig, "host" | "port" | "protocol"> {
  const url = new URL(apiUrl);
  const protocol = url.protocol === "http:" ? "http" : "https";
  return {
    host: url.hostname.replace(/^\[|\]$/g, ""),
    port: url.port ? Number(url.port) : protocol === "http" ? 80 : 443,
    protocol,
  };
}

/**
 * The SDK client for this configuration. The SDK pins the API version it was generated for (the emulator
 * speaks the same one). One network retry: every POST we make carries an idempotency key, so a retry after
 * a lost response never charges or refunds twice.
 */
export function createStripeClient(config: Config, overrides: Stripe.StripeConfig = {}): Stripe {
  const { secretKey, apiUrl } = config.stripe;
  return new Stripe(secretKey ?? EMULATOR_TEST_KEY, {
    maxNetworkRetries: 1,
    timeout: 8_000,
    telemetry: false,
    appInfo: { name: "shopgraph" },
    ...(apiUrl ? stripeHostOptions(apiUrl) : {}),
    ...overrides,
  });
}

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

function base62(length: number): string {
  let out = "";
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte >= 248) continue; // 248 = 4 * 62: keeps the distribution uniform
      out += BASE62[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

/**
 * The webhook signing secret: STRIPE_WEBHOOK_SECRET when set, otherwise one generated once into `file` (git-ignored
 * `.secrets/`, like the development JWT keys), so the emulator and the payments subgraph agree without configuration.
 */
export function resolveWebhookSecret(secret: string | undefined, file: string): string {
  if (secret) return secret;
  try {
    return readFileSync(file, "utf8").trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  mkdirSync(path.dirname(file), { recursive: true });
  try {
    writeFileSync(file, `whsec_${base62(43)}\n`, { flag: "wx", mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error; // another process wrote it first: use theirs
  }
  return readFileSync(file, "utf8").trim();
}

export const webhookSecretOf = (config: Config) => resolveWebhookSecret(config.stripe.webhookSecret, config.stripe.webhookSecretFile);

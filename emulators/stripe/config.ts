// The emulator process's settings, from the environment (documented in .env.example).
import { z } from "zod";
import { resolveWebhookSecret } from "../../lib/stripe.js";
import type { StripeEmulatorOptions } from "./emulator.js";

// Shared with the payments subgraph, so both read (or generate) the same secret file.
export { resolveWebhookSecret };

const DEFAULT_API_URL = "http://127.0.0.1:12111";

const envSchema = z.object({
  STRIPE_API_URL: z
    .url({ protocol: /^http$/ })
    .refine((value) => URL.canParse(value) && new URL(value).pathname === "/", "must be a bare origin such as http://127.0.0.1:12111")
    .default(DEFAULT_API_URL),
  STRIPE_WEBHOOK_SECRET: z.string().trim().min(16, "must be at least 16 characters (Stripe's look like whsec_...)").optional(),
  STRIPE_WEBHOOK_SECRET_FILE: z.string().min(1).default(".secrets/stripe-webhook-secret"),
  STRIPE_WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
  STRIPE_EMULATOR_ALLOWED_ORIGINS: z.string().optional(),
  CORS_ORIGINS: z.string().optional(),
  STRIPE_EMULATOR_STATE_FILE: z.string().min(1).optional(),
  STRIPE_EMULATOR_SECRET_KEY: z
    .string()
    .regex(/^sk_test_\w+$/, "must look like sk_test_...")
    .optional(),
  // Tests want retries in milliseconds, not Stripe's hours.
  STRIPE_EMULATOR_WEBHOOK_RETRY_DELAYS_MS: z
    .string()
    .regex(/^\d{1,7}(,\d{1,7}){0,19}$/, "must be a comma-separated list of milliseconds, e.g. 200,1000,5000")
    .optional(),
});

export function emulatorOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): StripeEmulatorOptions {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`).join("\n");
    throw new Error(`Invalid Stripe emulator settings:\n${problems}`);
  }
  const e = parsed.data;
  const apiUrl = new URL(e.STRIPE_API_URL);
  const origins = (e.STRIPE_EMULATOR_ALLOWED_ORIGINS ?? e.CORS_ORIGINS ?? "*")
    .split(",")
    .map((origin) => origin.trim())
    .filter(Boolean);
  return {
    host: apiUrl.hostname.replace(/^\[|\]$/g, ""),
    port: Number(apiUrl.port || 80),
    webhookUrl: e.STRIPE_WEBHOOK_URL,
    webhookSecret: resolveWebhookSecret(e.STRIPE_WEBHOOK_SECRET, e.STRIPE_WEBHOOK_SECRET_FILE),
    allowedOrigins: origins,
    secretKey: e.STRIPE_EMULATOR_SECRET_KEY,
    stateFile: e.STRIPE_EMULATOR_STATE_FILE,
    webhookRetryDelaysMs: e.STRIPE_EMULATOR_WEBHOOK_RETRY_DELAYS_MS?.split(",").map(Number),
  };
}

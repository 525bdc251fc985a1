// One place that reads the environment. Every process validates it at start-up and
// fails with a readable list of bad values instead of a stack trace.
import { z } from "zod";
import { SUBGRAPHS, SUBGRAPH_NAMES, type SubgraphName } from "./registry.js";

export { SUBGRAPH_NAMES, type SubgraphName };

const port = z.coerce
  .number({ error: "must be a port number" })
  .int("must be a whole number")
  .min(1, "must be between 1 and 65535")
  .max(65535, "must be between 1 and 65535");

const urlWithProtocol = (protocols: string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL starting with ${protocols.map((p) => `${p}//`).join(" or ")}` },
  );

const positiveInt = z.coerce.number().int("must be a whole number").positive("must be greater than 0");
const nonNegativeInt = z.coerce.number().int("must be a whole number").min(0, "must not be negative");
const bool = z.enum(["true", "false", "1", "0"], { error: "must be true or false" }).transform((v) => v === "true" || v === "1");

const subgraphKeys = Object.fromEntries(
  SUBGRAPH_NAMES.flatMap((name) => {
    const prefix = name.toUpperCase();
    return [
      [`${prefix}_PORT`, port.default(SUBGRAPHS[name].defaultPort)],
      [`${prefix}_URL`, urlWithProtocol(["http:", "https:"]).optional()],
      [
        `${prefix}_DATABASE_URL`,
        urlWithProtocol(["postgres:", "postgresql:"]).default(`postgresql://postgres@127.0.0.1:5432/shopgraph_${name}`),
      ],
      // The subgraph's worker process serves /metrics and /health here (4101-4106: subgraph port + 100).
      [`${prefix}_WORKER_METRICS_PORT`, port.default(SUBGRAPHS[name].defaultPort + 100)],
    ];
  }),
) as Record<string, z.ZodType>;

/** Where `npm start` runs the local Stripe API emulator unless STRIPE_API_URL says otherwise. */
export const DEFAULT_STRIPE_EMULATOR_URL = "http://127.0.0.1:12111";

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  HOST: z.string().min(1).default("127.0.0.1"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  ROUTER_PORT: port.default(4000),
  PUBLIC_URL: urlWithProtocol(["http:", "https:"]).optional(),
  ...subgraphKeys,
  REDIS_URL: urlWithProtocol(["redis:", "rediss:"]).default("redis://127.0.0.1:6379"),
  REDIS_PREFIX: z
    .string()
    .regex(/^[\w.-]+$/, "may hold letters, digits, '.', '_' and '-' only")
    .default("shopgraph"),
  JWT_PRIVATE_KEY: z.string().optional(),
  JWT_PUBLIC_KEY: z.string().optional(),
  JWT_KEY_FILE: z.string().default(".secrets/jwt-dev-keys.json"),
  JWT_ISSUER: z.string().min(1).default("shopgraph"),
  JWT_AUDIENCE: z.string().min(1).default("shopgraph-api"),
  JWT_TTL_SECONDS: positiveInt.default(900),
  REFRESH_TOKEN_TTL_SECONDS: positiveInt.default(30 * 24 * 3600),
  SUBGRAPH_SECRET: z
    .string()
    .trim()
    // 32 random bytes are 43 base64url characters; a long but repetitive value is no secret either.
    .min(43, "must be at least 43 characters (32 random bytes), e.g. from `openssl rand -base64 32`")
    .refine((value) => new Set(value).size >= 16, "looks too regular to be random; use `openssl rand -base64 32`")
    .optional(),
  SUBGRAPH_SECRET_FILE: z.string().min(1).default(".secrets/subgraph-secret"),
  CORS_ORIGINS: z.string().default("*"),
  TRUST_PROXY: z.string().default("false"),
  RATE_LIMIT_WINDOW_SECONDS: positiveInt.default(60),
  RATE_LIMIT_IP_MAX: positiveInt.default(50_000),
  RATE_LIMIT_USER_MAX: positiveInt.default(20_000),
  RATE_LIMIT_AUTH_MAX: positiveInt.default(10),
  SUBGRAPH_TIMEOUT_MS: positiveInt.default(10_000),
  MAX_QUERY_DEPTH: positiveInt.default(12),
  MAX_QUERY_ALIASES: positiveInt.default(30),
  MAX_QUERY_TOKENS: positiveInt.default(1000),
  MAX_OPERATION_COST: positiveInt.default(5000),
  SEED_DEMO_DATA: bool.optional(),
  STORAGE_DIR: z.string().min(1).default("var/storage"),
  PUBLIC_ASSET_URL: urlWithProtocol(["http:", "https:"]).optional(),
  MAX_UPLOAD_BYTES: positiveInt.default(10 * 1024 * 1024),
  MAX_UPLOAD_FILES: positiveInt.default(10),
  MAX_IMAGE_PIXELS: positiveInt.default(40_000_000),
  // Checkout and payments (issue 8). Amounts are integer minor units of the order's currency.
  UNPAID_ORDER_TTL_SECONDS: positiveInt.default(1800),
  SHIPPING_FEE_AMOUNT: nonNegativeInt.default(499),
  FREE_SHIPPING_MIN_SUBTOTAL: nonNegativeInt.default(5000),
  TAX_RATE_BASIS_POINTS: nonNegativeInt.max(10_000, "must be at most 10000 (100%)").default(1900),
  STRIPE_SECRET_KEY: z
    .string()
    .trim()
    .regex(/^(sk|rk)_(test|live)_\w+$/, "must be a Stripe secret or restricted key (sk_test_..., sk_live_...)")
    .optional(),
  STRIPE_API_URL: urlWithProtocol(["http:", "https:"]).optional(),
  STRIPE_WEBHOOK_SECRET: z.string().trim().min(16, "must be at least 16 characters (Stripe's look like whsec_...)").optional(),
  STRIPE_WEBHOOK_SECRET_FILE: z.string().min(1).default(".secrets/stripe-webhook-secret"),
  PAYMENT_RECONCILE_INTERVAL_SECONDS: positiveInt.default(300),
  WORKER_SHUTDOWN_TIMEOUT_MS: positiveInt.default(25_000),
  // Emails (issue 9): the shop as its emails name it, where their links point, and how they are sent.
  SHOP_NAME: z.string().trim().min(1).max(100).default("shopgraph"),
  SHOP_URL: urlWithProtocol(["http:", "https:"]).default("http://localhost:3000"),
  SMTP_URL: urlWithProtocol(["smtp:", "smtps:"]).optional(),
  MAIL_FROM: z.string().trim().min(3).default('"shopgraph" <no-reply@shopgraph.dev>'),
  OUTBOX_RETENTION_SECONDS: positiveInt.default(7 * 24 * 3600),
});

/** Where emails go unless SMTP_URL says otherwise: MailDev, which `npm start` runs then. */
export const DEFAULT_SMTP_URL = "smtp://127.0.0.1:1025";

export interface SubgraphSettings {
  port: number;
  /** Where the router reaches the subgraph. */
  url: string;
  databaseUrl: string;
}

export interface Config {
  env: "development" | "production" | "test";
  isProduction: boolean;
  host: string;
  logLevel: string;
  router: { port: number; publicUrl: string };
  subgraphs: Record<SubgraphName, SubgraphSettings>;
  redis: { url: string; prefix: string };
  workers: {
    /** Where each subgraph's worker process serves /metrics and /health. */
    metricsPorts: Record<SubgraphName, number>;
    /** On SIGTERM a worker waits this long for its active jobs, then exits; unfinished jobs are retried as stalled. */
    shutdownTimeoutMs: number;
  };
  jwt: {
    privateKeyPem?: string;
    publicKeyPem?: string;
    keyFile: string;
    issuer: string;
    audience: string;
    /** Lifetime of an access token (JWT). */
    ttlSeconds: number;
    /** Lifetime of a session: its refresh tokens rotate within it, then the user signs in again. */
    refreshTokenTtlSeconds: number;
  };
  /** The secret the router and subgraphs sign service assertions with (lib/serviceAuth.ts). */
  serviceAuth: { secret?: string; secretFile: string };
  cors: { origins: "*" | string[] };
  trustProxy: string | boolean | number;
  /** ipMax and userMax are cost points per window (each operation costs its estimated cost, at least 1); authMax counts auth fields. */
  rateLimit: { windowSeconds: number; ipMax: number; userMax: number; authMax: number };
  subgraphTimeoutMs: number;
  /**
   * Operations deeper, with more aliases or of a higher estimated cost than this are refused before planning;
   * documents of more tokens than maxTokens are refused while parsing.
   */
  queryLimits: { maxDepth: number; maxAliases: number; maxTokens: number; maxCost: number };
  seedDemoData: boolean;
  uploads: {
    /** Largest accepted upload, in bytes. */
    maxBytes: number;
    /** Most files one request may upload (router and products alike). */
    maxFiles: number;
    /** Largest accepted image, in pixels (width x height): stops decompression bombs. */
    maxPixels: number;
    /** Where the local image store keeps its files. */
    storageDir: string;
    /** Base URL under which stored images are served (the router proxies /assets to products). */
    publicAssetUrl: string;
  };
  checkout: {
    /** An order not paid within this many seconds is cancelled and its stock released (a delayed BullMQ job). */
    unpaidOrderTtlSeconds: number;
    /** Shipping charged per order below freeShippingMinSubtotal (minor units); from that subtotal on shipping is free. */
    shippingFeeAmount: number;
    freeShippingMinSubtotal: number;
    /** Tax on subtotal plus shipping, in basis points (1900 = 19 %), rounded half up to a minor unit. */
    taxRateBasisPoints: number;
  };
  stripe: {
    /** Unset: the local Stripe emulator (development and tests), with the emulator's test key. */
    secretKey?: string;
    /**
     * Where the stripe SDK sends requests instead of api.stripe.com: STRIPE_API_URL, which defaults to
     * the emulator's http://127.0.0.1:12111 when STRIPE_SECRET_KEY is unset; undefined means Stripe itself.
     */
    apiUrl?: string;
    /** Verifies `Stripe-Signature` on webhooks; when unset, read from (or generated into) webhookSecretFile. */
    webhookSecret?: string;
    webhookSecretFile: string;
    /** How often the reconciliation job lists Stripe's recent events to apply any webhook missed. */
    reconcileIntervalSeconds: number;
  };
  email: {
    /** The shop's name in subjects and signatures. */
    shopName: string;
    /** The storefront's base URL; emails link to `${shopUrl}/orders/<id>`. No trailing slash. */
    shopUrl: string;
    /** The SMTP server (smtp:// or smtps://, credentials in the URL); DEFAULT_SMTP_URL when unset. */
    smtpUrl: string;
    /** Whether SMTP_URL was set: if not, `npm start` runs MailDev at DEFAULT_SMTP_URL. */
    smtpUrlIsExplicit: boolean;
    /** The From header, e.g. `"shopgraph" <no-reply@shopgraph.dev>`. */
    from: string;
  };
  /** The transactional outbox (lib/outbox.ts): sent rows are deleted this long after they were sent. */
  outbox: { retentionSeconds: number };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}\nSee .env.example for every setting.`);
    this.name = "ConfigError";
  }
}

/** PEM keys in environment variables often arrive with literal "\n"; restore the newlines. */
const pem = (value: string | undefined) => value?.replace(/\\n/g, "\n");

function parseTrustProxy(value: string): string | boolean | number {
  if (value === "true") return true;
  if (value === "false" || value === "") return false;
  if (/^\d+$/.test(value)) return Number(value);
  return value; // e.g. "loopback" or a comma-separated list of subnets, as Express accepts.
}

/** Never echoed in configuration errors (they end up in logs). */
const SECRET_SETTINGS = new Set(["SUBGRAPH_SECRET", "JWT_PRIVATE_KEY", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "SMTP_URL"]);

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const key = String(issue.path[0]);
        const value = env[key];
        const shown = value === undefined || SECRET_SETTINGS.has(key) ? "" : ` (got ${JSON.stringify(value)})`;
        return `${key}: ${issue.message}${shown}`;
      }),
    );
  }
  const e = parsed.data as z.infer<typeof envSchema> & Record<string, unknown>;
  const subgraphs = Object.fromEntries(
    SUBGRAPH_NAMES.map((name) => {
      const prefix = name.toUpperCase();
      const subgraphPort = e[`${prefix}_PORT`] as number;
      return [
        name,
        {
          port: subgraphPort,
          url: (e[`${prefix}_URL`] as string | undefined) ?? `http://127.0.0.1:${subgraphPort}/graphql`,
          databaseUrl: e[`${prefix}_DATABASE_URL`] as string,
        },
      ];
    }),
  ) as Record<SubgraphName, SubgraphSettings>;

  const problems: string[] = [];
  const isProduction = e.NODE_ENV === "production";
  if (isProduction && !e.JWT_PUBLIC_KEY) problems.push("JWT_PUBLIC_KEY: required in production (SPKI PEM of the Ed25519 signing key)");
  if (isProduction && !e.SUBGRAPH_SECRET) problems.push("SUBGRAPH_SECRET: required in production (e.g. `openssl rand -base64 32`)");
  if (isProduction && !e.STRIPE_SECRET_KEY)
    problems.push("STRIPE_SECRET_KEY: required in production (the emulator is for development and tests)");
  if (e.STRIPE_SECRET_KEY && !e.STRIPE_WEBHOOK_SECRET)
    problems.push("STRIPE_WEBHOOK_SECRET: required with STRIPE_SECRET_KEY (the signing secret of Stripe's webhook endpoint)");
  if (isProduction && e.CORS_ORIGINS === "*") problems.push("CORS_ORIGINS: list the allowed origins in production, '*' is for development");
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    env: e.NODE_ENV,
    isProduction,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    router: { port: e.ROUTER_PORT, publicUrl: e.PUBLIC_URL ?? `http://localhost:${e.ROUTER_PORT}/graphql` },
    subgraphs,
    redis: { url: e.REDIS_URL, prefix: e.REDIS_PREFIX },
    workers: {
      metricsPorts: Object.fromEntries(
        SUBGRAPH_NAMES.map((name) => [name, e[`${name.toUpperCase()}_WORKER_METRICS_PORT`] as number]),
      ) as Record<SubgraphName, number>,
      shutdownTimeoutMs: e.WORKER_SHUTDOWN_TIMEOUT_MS,
    },
    jwt: {
      privateKeyPem: pem(e.JWT_PRIVATE_KEY),
      publicKeyPem: pem(e.JWT_PUBLIC_KEY),
      keyFile: e.JWT_KEY_FILE,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
      ttlSeconds: e.JWT_TTL_SECONDS,
      refreshTokenTtlSeconds: e.REFRESH_TOKEN_TTL_SECONDS,
    },
    serviceAuth: { secret: e.SUBGRAPH_SECRET, secretFile: e.SUBGRAPH_SECRET_FILE },
    cors: {
      origins:
        e.CORS_ORIGINS.trim() === "*"
          ? "*"
          : e.CORS_ORIGINS.split(",")
              .map((o) => o.trim())
              .filter(Boolean),
    },
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    rateLimit: {
      windowSeconds: e.RATE_LIMIT_WINDOW_SECONDS,
      ipMax: e.RATE_LIMIT_IP_MAX,
      userMax: e.RATE_LIMIT_USER_MAX,
      authMax: e.RATE_LIMIT_AUTH_MAX,
    },
    subgraphTimeoutMs: e.SUBGRAPH_TIMEOUT_MS,
    queryLimits: {
      maxDepth: e.MAX_QUERY_DEPTH,
      maxAliases: e.MAX_QUERY_ALIASES,
      maxTokens: e.MAX_QUERY_TOKENS,
      maxCost: e.MAX_OPERATION_COST,
    },
    // Demo accounts and catalog by default everywhere but production, where they must be asked for.
    seedDemoData: e.SEED_DEMO_DATA ?? !isProduction,
    uploads: {
      maxBytes: e.MAX_UPLOAD_BYTES,
      maxFiles: e.MAX_UPLOAD_FILES,
      maxPixels: e.MAX_IMAGE_PIXELS,
      storageDir: e.STORAGE_DIR,
      publicAssetUrl: (e.PUBLIC_ASSET_URL ?? new URL("/assets", e.PUBLIC_URL ?? `http://localhost:${e.ROUTER_PORT}`).toString()).replace(
        /\/$/,
        "",
      ),
    },
    checkout: {
      unpaidOrderTtlSeconds: e.UNPAID_ORDER_TTL_SECONDS,
      shippingFeeAmount: e.SHIPPING_FEE_AMOUNT,
      freeShippingMinSubtotal: e.FREE_SHIPPING_MIN_SUBTOTAL,
      taxRateBasisPoints: e.TAX_RATE_BASIS_POINTS,
    },
    stripe: {
      secretKey: e.STRIPE_SECRET_KEY,
      apiUrl: e.STRIPE_API_URL ?? (e.STRIPE_SECRET_KEY ? undefined : DEFAULT_STRIPE_EMULATOR_URL),
      webhookSecret: e.STRIPE_WEBHOOK_SECRET,
      webhookSecretFile: e.STRIPE_WEBHOOK_SECRET_FILE,
      reconcileIntervalSeconds: e.PAYMENT_RECONCILE_INTERVAL_SECONDS,
    },
    email: {
      shopName: e.SHOP_NAME,
      shopUrl: e.SHOP_URL.replace(/\/+$/, ""),
      smtpUrl: e.SMTP_URL ?? DEFAULT_SMTP_URL,
      smtpUrlIsExplicit: e.SMTP_URL !== undefined,
      from: e.MAIL_FROM,
    },
    outbox: { retentionSeconds: e.OUTBOX_RETENTION_SECONDS },
  };
}

/** For process entry points: load the config or print what is wrong and exit. */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

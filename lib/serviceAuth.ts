// Trust between shopgraph's own processes. Subgraphs answer only the router and each other: every
// request to a subgraph carries a signed service assertion
//   x-shopgraph-service: <caller>.<unix ms>.<base64url HMAC-SHA256(secret, "<caller>.<unix ms>")>
// made with a secret shared by the router and the subgraphs only (SUBGRAPH_SECRET). The callee checks
// the signature in constant time and the age (SERVICE_ASSERTION_MAX_AGE_MS either way, for clock skew),
// and learns which service called (`ctx.caller`). One secret for all: any holder can claim any caller
// name, so the caller is trusted as far as the secret is; per-service secrets or mTLS would go further.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { SUBGRAPH_NAMES, type Config, type SubgraphName } from "./config.js";

export const SERVICE_HEADER = "x-shopgraph-service";
/** How old (or, with clock skew, how far ahead) an assertion may be. */
export const SERVICE_ASSERTION_MAX_AGE_MS = 60_000;

export type ServiceName = "router" | SubgraphName;
export const SERVICE_NAMES: readonly ServiceName[] = ["router", ...SUBGRAPH_NAMES];

const isServiceName = (value: string): value is ServiceName => (SERVICE_NAMES as readonly string[]).includes(value);

/** The payload a secret must sign: also what the test helpers use to forge wrong ones. */
export function signature(secret: string, caller: string, timestampMs: number): string {
  return createHmac("sha256", secret).update(`${caller}.${timestampMs}`).digest("base64url");
}

/** A fresh assertion that `caller` sends this request. Cheap (one HMAC): make one per request. */
export function signServiceAssertion(secret: string, caller: ServiceName, now = Date.now()): string {
  return `${caller}.${now}.${signature(secret, caller, now)}`;
}

export type AssertionCheck = { ok: true; caller: ServiceName } | { ok: false; reason: "missing" | "malformed" | "invalid" | "expired" };

export function verifyServiceAssertion(secret: string, header: string | undefined, now = Date.now()): AssertionCheck {
  if (!header) return { ok: false, reason: "missing" };
  const match = /^([a-z]{1,32})\.(\d{1,15})\.([\w-]{43})$/.exec(header.trim());
  if (!match) return { ok: false, reason: "malformed" };
  const [, caller, ms, given] = match as unknown as [string, string, string, string];
  const timestamp = Number(ms);
  const expected = Buffer.from(signature(secret, caller, timestamp));
  const actual = Buffer.from(given);
  // Lengths are equal by the pattern; compare the whole signature in constant time before anything else.
  const signed = actual.length === expected.length && timingSafeEqual(actual, expected);
  if (!signed || !isServiceName(caller)) return { ok: false, reason: "invalid" };
  if (Math.abs(now - timestamp) > SERVICE_ASSERTION_MAX_AGE_MS) return { ok: false, reason: "expired" };
  return { ok: true, caller };
}

/** Shortest secret accepted: 32 random bytes are 43 characters in base64url. */
export const MIN_SECRET_LENGTH = 43;

/**
 * Creates the development secret once. Concurrent first starts (six processes) race safely: each
 * writes its own temporary file and hard-links it into place, which fails if the file exists, so
 * everyone ends up reading the one secret that landed first.
 */
export function ensureServiceSecretFile(secretFile: string): void {
  if (existsSync(secretFile)) return;
  mkdirSync(path.dirname(secretFile), { recursive: true });
  const temporary = `${secretFile}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  writeFileSync(temporary, randomBytes(32).toString("base64url"), { mode: 0o600 });
  try {
    linkSync(temporary, secretFile);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    unlinkSync(temporary);
  }
}

/** SUBGRAPH_SECRET when set (required in production); otherwise the generated, git-ignored development file. */
export function loadServiceSecret(config: Config): string {
  const { secret, secretFile } = config.serviceAuth;
  if (secret) return secret;
  if (config.isProduction) throw new Error("SUBGRAPH_SECRET is required in production");
  ensureServiceSecretFile(secretFile);
  const fromFile = readFileSync(secretFile, "utf8").trim();
  if (fromFile.length < MIN_SECRET_LENGTH) throw new Error(`${secretFile} holds no valid secret; delete it to make a new one`);
  return fromFile;
}

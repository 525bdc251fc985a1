// Revoked access tokens. A JWT cannot be taken back, so the users subgraph writes revocations to Redis
// and every verifier (the router and each subgraph) reads them on each token it accepts:
//   - per user: "tokens issued before T (ms) are invalid" (logoutEverywhere, role or password change, deletion);
//   - per session: "tokens of session S are invalid" (logout, a reused refresh token).
// Both keys expire after the access-token lifetime (plus a margin): by then every token they refuse has expired.
// If Redis cannot be read, the check fails open to the revocations this process last saw, with a warning;
// the short access-token lifetime bounds the exposure (see README, "Sessions").
import { Redis } from "ioredis";
import type { Config } from "./config.js";
import type { Logger } from "./logger.js";

/** What a verified access token says about its session. */
export interface SessionClaims {
  userId: string;
  sessionId: string;
  /** When the token was issued, in milliseconds (the `iat_ms` claim). */
  issuedAtMs: number;
}

/** Room for clocks that disagree a little: keys live this much longer than the tokens they refuse. */
const EXPIRY_MARGIN_MS = 60_000;
/** The revocations this process has seen, kept for when Redis cannot be read. */
const MAX_REMEMBERED = 50_000;
const WARNING_INTERVAL_MS = 10_000;
const WRITE_ATTEMPTS = 5;
const WRITE_RETRY_DELAY_MS = 200;

// Sets the marker only if it moves forward in time, so a replica with a slower clock cannot shorten it.
const RAISE_MARKER = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
else
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1`;

export class TokenRevocations {
  private readonly remembered = new Map<string, { value: string; until: number }>();
  private readonly keyTtlMs: number;
  private lastWarningAt = 0;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    accessTokenTtlSeconds: number,
    private readonly log: Logger,
  ) {
    this.keyTtlMs = accessTokenTtlSeconds * 1000 + EXPIRY_MARGIN_MS;
  }

  /**
   * A client of its own: fails fast (no offline queue, short timeout) so a verifier never waits on an
   * absent Redis, and batches the concurrent reads of many requests into one round trip.
   */
  static async connect(config: Config, log: Logger): Promise<TokenRevocations> {
    const redis = new Redis(config.redis.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: 500,
      enableAutoPipelining: true,
    });
    const revocations = new TokenRevocations(redis, config.redis.prefix, config.jwt.ttlSeconds, log);
    redis.on("error", (error) => revocations.warn(error, "redis error (token revocations)"));
    // Briefly: a process without Redis still serves, checking against what it last saw.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 3000);
      redis.once("ready", () => {
        clearTimeout(timer);
        resolve();
      });
    });
    return revocations;
  }

  userKey(userId: string): string {
    return `${this.prefix}:auth:revoked-before:${userId}`;
  }

  sessionKey(sessionId: string): string {
    return `${this.prefix}:auth:revoked-session:${sessionId}`;
  }

  /** True when the token's session was ended, or its user's tokens issued before it were revoked. */
  async isRevoked(claims: SessionClaims): Promise<boolean> {
    const keys = [this.userKey(claims.userId), this.sessionKey(claims.sessionId)];
    let values: (string | null)[];
    try {
      values = await this.redis.mget(keys);
      keys.forEach((key, i) => this.remember(key, values[i] ?? null));
    } catch (error) {
      this.warn(error, "token revocations unreadable: checking against the last known ones");
      const now = Date.now();
      values = keys.map((key) => {
        const entry = this.remembered.get(key);
        return entry && entry.until > now ? entry.value : null;
      });
    }
    const [revokedBefore, sessionRevoked] = values;
    // Strictly before: a token issued in the same millisecond as the revocation (the new session of a
    // password change, say) stays valid. The users subgraph takes a token's time before it reads the
    // role it puts in, so a sign-in racing a role change gets a time before the marker.
    return sessionRevoked != null || (revokedBefore != null && claims.issuedAtMs < Number(revokedBefore));
  }

  /** Refuses every access token of the user issued before `atMs`. */
  async revokeUser(userId: string, atMs = Date.now()): Promise<void> {
    const key = this.userKey(userId);
    await this.write(() => this.redis.eval(RAISE_MARKER, 1, key, String(atMs), String(this.keyTtlMs)));
    const known = Number(this.remembered.get(key)?.value ?? 0);
    this.remember(key, String(Math.max(known, atMs)));
  }

  /** Refuses every access token of the session. */
  async revokeSession(sessionId: string): Promise<void> {
    const key = this.sessionKey(sessionId);
    await this.write(() => this.redis.set(key, "1", "PX", this.keyTtlMs));
    this.remember(key, "1");
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }

  /** Writes ride out a short blip; if Redis stays away the caller fails loudly rather than revoking nothing. */
  private async write(command: () => Promise<unknown>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await command();
        return;
      } catch (error) {
        if (attempt >= WRITE_ATTEMPTS) {
          this.log.error({ err: error }, "could not write a token revocation to Redis");
          throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, WRITE_RETRY_DELAY_MS));
      }
    }
  }

  private remember(key: string, value: string | null): void {
    if (value === null) {
      this.remembered.delete(key);
      return;
    }
    this.remembered.delete(key); // re-insert at the end: the map stays ordered oldest first
    this.remembered.set(key, { value, until: Date.now() + this.keyTtlMs });
    if (this.remembered.size > MAX_REMEMBERED) {
      const now = Date.now();
      for (const [k, entry] of this.remembered) if (entry.until <= now) this.remembered.delete(k);
      while (this.remembered.size > MAX_REMEMBERED) this.remembered.delete(this.remembered.keys().next().value!);
    }
  }

  private warn(error: unknown, message: string): void {
    const now = Date.now();
    if (now - this.lastWarningAt < WARNING_INTERVAL_MS) return;
    this.lastWarningAt = now;
    this.log.warn({ err: error }, message);
  }
}

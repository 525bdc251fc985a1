// Fixed-window limits kept in Redis (rate-limiter-flexible), so every router replica shares them.
// If Redis is unreachable each replica falls back to an in-memory limiter rather than failing open.
import type { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import type { Config } from "../../lib/config.js";
import { RateLimitedError } from "../../lib/errors.js";
import { rateLimited } from "./metrics.js";

export type LimitName = "ip" | "user" | "auth";

export interface RateLimits {
  /**
   * Takes `points` (default 1) from `key`'s budget. Resolves when allowed; rejects with a
   * RateLimitedError (RATE_LIMITED, HTTP 429, Retry-After) when not.
   */
  consume(limit: LimitName, key: string, points?: number): Promise<void>;
}

export function createRateLimits(redis: Redis, config: Config): RateLimits {
  const { windowSeconds, ipMax, userMax, authMax } = config.rateLimit;
  const make = (name: LimitName, points: number) =>
    new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${config.redis.prefix}:ratelimit:${name}`,
      points,
      duration: windowSeconds,
      insuranceLimiter: new RateLimiterMemory({ points, duration: windowSeconds }),
    });
  const limiters: Record<LimitName, RateLimiterRedis> = { ip: make("ip", ipMax), user: make("user", userMax), auth: make("auth", authMax) };

  return {
    async consume(limit, key, points = 1) {
      try {
        await limiters[limit].consume(key, points);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        rateLimited.labels(limit).inc();
        const retryAfterSeconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        const message =
          limit === "auth" ? "Too many sign-in attempts. Try again later." : "Too many requests. Slow down and try again later.";
        throw new RateLimitedError(message, retryAfterSeconds);
      }
    },
  };
}

// The job dashboard: Bull Board over every BullMQ queue, at /admin/queues, for administrators only.
//
// Sign-in: a browser cannot add an Authorization header to a page load, so `POST /admin/session` with
// `Authorization: Bearer <admin JWT>` answers with a cookie holding that same JWT (HttpOnly, SameSite=Strict,
// Secure in production, Path=/admin, expiring with the token). Every dashboard request is then checked as the
// GraphQL endpoint checks a token (signature, expiry, revocation: logoutEverywhere ends it at once) and must
// carry the ADMIN role. API clients may send the Authorization header instead of the cookie.
//
// CSRF: the cookie is SameSite=Strict, so other sites' requests arrive without it. On top of that, a
// cookie-authenticated request that changes something (any method but GET/HEAD) must come from the router's
// own origin: browsers send `Origin` on every such request, and Bull Board's UI cannot be made to send a
// custom header. Requests authenticated by the Authorization header cannot be forged by another site.
import express, { type Request, type RequestHandler, type Response } from "express";
import { decodeJwt, type CryptoKey } from "jose";
import { GraphQLError } from "graphql";
import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { ExpressAdapter } from "@bull-board/express";
import type { Config } from "../../lib/config.js";
import { authenticateRequest, type Viewer } from "../../lib/auth.js";
import type { TokenRevocations } from "../../lib/revocations.js";
import { asyncMiddleware } from "../../lib/http.js";
import type { Logger } from "../../lib/logger.js";
import { QUEUE_NAMES, createQueue, type QueueName } from "../../lib/queues.js";
import type { RateLimits } from "./rateLimit.js";

export const ADMIN_PATH = "/admin";
export const DASHBOARD_PATH = `${ADMIN_PATH}/queues`;
export const SESSION_PATH = `${ADMIN_PATH}/session`;
export const ADMIN_COOKIE = "shopgraph_admin";

const SAFE_METHODS = new Set(["GET", "HEAD"]);

function errorResponse(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ errors: [{ message, extensions: { code } }] });
}

/** The admin cookie's value, if the request carries one. */
export function adminCookieOf(cookieHeader: string | undefined): string | undefined {
  for (const part of cookieHeader?.split(";") ?? []) {
    const [name, ...value] = part.trim().split("=");
    if (name === ADMIN_COOKIE) return value.join("=") || undefined;
  }
  return undefined;
}

/**
 * Whether a browser sent this request from the router's own pages: its Origin names the host the request was
 * sent to. The host only, not the scheme, so a TLS-terminating proxy in front (http behind, https in front)
 * needs no extra setting; a different port or name is another origin and is refused.
 */
function isSameOrigin(req: Request): boolean {
  const origin = req.get("origin");
  if (!origin) return false;
  try {
    return new URL(origin).host === req.get("host");
  } catch {
    return false;
  }
}

export interface JobDashboard {
  router: express.Router;
  close(): Promise<void>;
}

export async function createJobDashboard(options: {
  config: Config;
  log: Logger;
  publicKey: CryptoKey;
  revocations: TokenRevocations;
  limits: RateLimits;
}): Promise<JobDashboard> {
  const { config, log, publicKey, revocations, limits } = options;
  const queues = (Object.values(QUEUE_NAMES) as QueueName[]).map((name) => createQueue(name, config, log));
  // Producer connections fail fast without Redis; wait briefly so the first page load finds them connected.
  await Promise.race([
    Promise.allSettled(queues.map((queue) => queue.waitUntilReady())),
    new Promise((resolve) => setTimeout(resolve, 3000)),
  ]);

  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: queues.map((queue) => new BullMQAdapter(queue, { allowRetries: true, readOnlyMode: false })),
    // @bull-board/express 9.10.1 brings its own @bull-board/api 9.10.1 (ours is 9.10.2): the same interface, two declarations.
    serverAdapter: serverAdapter as unknown as Parameters<typeof createBullBoard>[0]["serverAdapter"],
    options: { uiConfig: { boardTitle: "shopgraph jobs" } },
  });

  /** Verifies the caller from the Authorization header, else the admin cookie; null when neither is sent. */
  const viewerOf = async (req: Request): Promise<{ viewer: Viewer | null; byCookie: boolean }> => {
    const header = req.headers.authorization;
    if (header) return { viewer: await authenticateRequest(header, publicKey, config.jwt, revocations), byCookie: false };
    const cookie = adminCookieOf(req.headers.cookie);
    if (!cookie) return { viewer: null, byCookie: false };
    return { viewer: await authenticateRequest(`Bearer ${cookie}`, publicKey, config.jwt, revocations), byCookie: true };
  };

  /** Admins only; rate-limited like GraphQL (one point per request, per address and per user). */
  const requireAdmin = (allowCookie: boolean): RequestHandler =>
    asyncMiddleware(async (req, res) => {
      let viewer: Viewer | null;
      let byCookie: boolean;
      try {
        await limits.consume("ip", req.ip ?? "unknown");
        ({ viewer, byCookie } = await viewerOf(req));
        if (byCookie && !allowCookie) viewer = null;
        if (viewer) await limits.consume("user", viewer.userId);
      } catch (error) {
        if (error instanceof GraphQLError) {
          const status = (error.extensions.http as { status?: number } | undefined)?.status ?? 401;
          if (status === 429) res.setHeader("retry-after", String(error.extensions.retryAfterSeconds ?? 1));
          return errorResponse(res, status, String(error.extensions.code ?? "UNAUTHENTICATED"), error.message);
        }
        throw error;
      }
      if (!viewer) return errorResponse(res, 401, "UNAUTHENTICATED", "Sign in as an administrator: POST /admin/session with your token.");
      if (viewer.role !== "ADMIN") return errorResponse(res, 403, "FORBIDDEN", "Only administrators can use the job dashboard.");
      if (byCookie && !SAFE_METHODS.has(req.method) && !isSameOrigin(req)) {
        return errorResponse(res, 403, "FORBIDDEN", "Cross-origin requests to the job dashboard are refused.");
      }
      req.viewer = viewer;
    });

  const cookieAttributes = (maxAgeSeconds: number) =>
    [`Path=${ADMIN_PATH}`, "HttpOnly", "SameSite=Strict", `Max-Age=${maxAgeSeconds}`, ...(config.isProduction ? ["Secure"] : [])].join(
      "; ",
    );

  const router = express.Router();
  // Signing in takes the Bearer token only: a cookie cannot renew itself.
  router.post(SESSION_PATH, requireAdmin(false), (req, res) => {
    const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization!.trim())![1]!;
    const { exp } = decodeJwt(token); // verified above
    const maxAgeSeconds = Math.max(0, Math.floor((exp ?? 0) - Date.now() / 1000));
    res.setHeader("set-cookie", `${ADMIN_COOKIE}=${token}; ${cookieAttributes(maxAgeSeconds)}`);
    res.status(200).json({ dashboard: DASHBOARD_PATH, expiresAt: new Date((exp ?? 0) * 1000).toISOString() });
  });
  // Signing out needs no proof of anything: it only clears the browser's cookie.
  router.delete(SESSION_PATH, (_req, res) => {
    res.setHeader("set-cookie", `${ADMIN_COOKIE}=; ${cookieAttributes(0)}`);
    res.status(204).end();
  });
  router.use(DASHBOARD_PATH, requireAdmin(true), serverAdapter.getRouter() as RequestHandler);

  return {
    router,
    async close() {
      await Promise.allSettled(queues.map((queue) => queue.close()));
      log.debug("job dashboard closed");
    },
  };
}

// The router: @apollo/gateway on Apollo Server, behind Express for health, readiness,
// metrics, CORS, authentication and rate limits. Importable by tests without opening a port.
import http from "node:http";
import { readFileSync } from "node:fs";
import path from "node:path";
import express, { type Request, type Response, type NextFunction } from "express";
import cors from "cors";
import { Redis } from "ioredis";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { ApolloServerPluginLandingPageLocalDefault } from "@apollo/server/plugin/landingPage/default";
import { ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { expressMiddleware } from "@as-integrations/express5";
import { ApolloGateway } from "@apollo/gateway";
import { maxDepthRule } from "@escape.tech/graphql-armor-max-depth";
import { maxAliasesRule } from "@escape.tech/graphql-armor-max-aliases";
import { GraphQLError, Kind, type DocumentNode, type SelectionSetNode, type ValidationContext } from "graphql";
import { SUBGRAPH_NAMES, type Config, type SubgraphName } from "../../lib/config.js";
import { authenticateRequest, loadSigningKeys, type Viewer } from "../../lib/auth.js";
import { TokenRevocations } from "../../lib/revocations.js";
import { createLogger } from "../../lib/logger.js";
import { asyncHandler, asyncMiddleware, jsonErrorHandler, listen, notFoundHandler, requestLogging } from "../../lib/http.js";
import { registry } from "../../lib/metrics.js";
import { loadServiceSecret } from "../../lib/serviceAuth.js";
import { formatErrorFor, maskingPlugin } from "../../lib/subgraph.js";
import { inputFloorPlugin } from "../../lib/input.js";
import { SubgraphDataSource } from "./dataSource.js";
import { createRateLimits, type RateLimits } from "./rateLimit.js";
import { uploadMiddleware } from "./uploads.js";
import { proxyAssets } from "./assets.js";
import { STRIPE_WEBHOOK_PATH, forwardStripeWebhooks } from "./stripeWebhook.js";
import { graphqlErrors, requestDuration, requestsTotal } from "./metrics.js";
import { buildCostModel } from "./cost.js";
import { demandControlPlugin } from "./demandControl.js";
import { createJobDashboard } from "./jobDashboard.js";
import type { RouterContext } from "./context.js";

export const SUPERGRAPH_PATH = path.join(import.meta.dirname, "..", "supergraph.graphql");
/** graphql-armor rules throw by default (for Envelop); as validation rules they report instead. */
const reportAsValidationError = {
  propagateOnRejection: false,
  onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(error)],
};

/** How long /ready reuses its last answer. */
const READY_CACHE_MS = 1500;

/**
 * CORS outside production without CORS_ORIGINS: any port on this machine (a local front end's dev
 * server), never another site, since the browser would send that site's requests with credentials.
 */
export function isLocalOrigin(origin: string | undefined, callback: (error: Error | null, allow?: boolean) => void): void {
  callback(null, origin !== undefined && /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/i.test(origin));
}

/** Root fields that sign in or create accounts: limited per client address far more strictly. */
const AUTH_FIELDS = new Set(["login", "register", "refreshToken"]);

/**
 * How often an operation selects each root field, aliases and fragments included (so neither an alias
 * nor a spread can hide a `login`). Each fragment is counted once and reused, so fragments spreading
 * each other many times cannot make this slow; a spread cycle (refused by validation) counts nothing.
 */
export function rootFieldCounts(document: DocumentNode, selectionSet: SelectionSetNode): Map<string, number> {
  const fragmentCounts = new Map<string, Map<string, number>>();
  const visiting = new Set<string>();
  const add = (into: Map<string, number>, from: Map<string, number>) =>
    from.forEach((n, name) => into.set(name, (into.get(name) ?? 0) + n));
  const count = (selections: SelectionSetNode): Map<string, number> => {
    const counts = new Map<string, number>();
    for (const selection of selections.selections) {
      if (selection.kind === Kind.FIELD) add(counts, new Map([[selection.name.value, 1]]));
      else if (selection.kind === Kind.INLINE_FRAGMENT) add(counts, count(selection.selectionSet));
      else if (!visiting.has(selection.name.value)) {
        const name = selection.name.value;
        let counted = fragmentCounts.get(name);
        if (!counted) {
          const fragment = document.definitions.find((d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === name);
          if (fragment?.kind !== Kind.FRAGMENT_DEFINITION) continue;
          visiting.add(name);
          counted = count(fragment.selectionSet);
          visiting.delete(name);
          fragmentCounts.set(name, counted);
        }
        add(counts, counted);
      }
    }
    return counts;
  };
  return count(selectionSet);
}

function authRateLimitPlugin(limits: RateLimits): ApolloServerPlugin<RouterContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, contextValue }) {
          if (!operation) return;
          // One point per auth field: five aliased `register`s are five sign-ups.
          let attempts = 0;
          for (const [field, count] of rootFieldCounts(document, operation.selectionSet)) if (AUTH_FIELDS.has(field)) attempts += count;
          if (attempts > 0) await limits.consume("auth", contextValue.clientIp, Math.min(attempts, Number.MAX_SAFE_INTEGER));
        },
      };
    },
  };
}

function errorMetricsPlugin(): ApolloServerPlugin<RouterContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== "single") return;
          for (const error of response.body.singleResult.errors ?? []) {
            graphqlErrors.labels(String(error.extensions?.code ?? "UNKNOWN")).inc();
          }
        },
      };
    },
  };
}

function graphqlErrorResponse(res: Response, error: GraphQLError, fallbackStatus: number): void {
  const { http: httpExtension, ...extensions } = error.extensions as { http?: { status?: number; headers?: Map<string, string> } };
  for (const [name, value] of httpExtension?.headers ?? []) res.setHeader(name, value);
  res.status(httpExtension?.status ?? fallbackStatus).json({ errors: [{ message: error.message, extensions }] });
}

export interface Router {
  app: express.Express;
  httpServer: http.Server;
  listen(port?: number): Promise<number>;
  stop(): Promise<void>;
}

export async function createRouter(config: Config, supergraphSdl = readFileSync(SUPERGRAPH_PATH, "utf8")): Promise<Router> {
  const logger = createLogger("router", config.logLevel);
  const { publicKey } = await loadSigningKeys(config);
  const serviceSecret = loadServiceSecret(config);
  // Fail fast instead of queueing commands while Redis is away; the limiter then uses its in-memory fallback.
  const redis = new Redis(config.redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  const connectingRevocations = TokenRevocations.connect(config, logger); // its own client, waited for alongside
  redis.on("error", (error) => logger.warn({ err: error }, "redis error"));
  // Without the offline queue, commands sent before the connection is up fail over to the in-memory
  // limiter; wait for it (briefly: a router without Redis still serves, with per-process limits).
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 3000);
    redis.once("ready", () => {
      clearTimeout(timer);
      resolve();
    });
  });
  const limits = createRateLimits(redis, config);
  const revocations = await connectingRevocations;

  const subgraphUrl = (name: string) => config.subgraphs[name as SubgraphName]?.url;
  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name, url }) =>
      new SubgraphDataSource(name, subgraphUrl(name) ?? url!, config.subgraphTimeoutMs, config.uploads.maxBytes, serviceSecret),
  });

  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", config.trustProxy);
  const httpServer = http.createServer(app);

  const apollo = new ApolloServer<RouterContext>({
    gateway,
    introspection: !config.isProduction,
    includeStacktraceInErrorResponses: !config.isProduction,
    formatError: formatErrorFor(config.isProduction),
    // Parsing stops at this many tokens (GRAPHQL_PARSE_FAILED), so validation never sees a huge document.
    parseOptions: { maxTokens: config.queryLimits.maxTokens },
    // Cheap protection against expensive operations, checked before any subgraph is asked.
    validationRules: [
      maxDepthRule({
        n: config.queryLimits.maxDepth,
        flattenFragments: true,
        ignoreIntrospection: true,
        exposeLimits: true,
        ...reportAsValidationError,
      }),
      maxAliasesRule({ n: config.queryLimits.maxAliases, exposeLimits: true, ...reportAsValidationError }),
    ],
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // Decided by our config rather than NODE_ENV: Sandbox in development, no landing page in production.
      config.isProduction ? ApolloServerPluginLandingPageDisabled() : ApolloServerPluginLandingPageLocalDefault({ embed: true }),
      maskingPlugin<RouterContext>(),
      inputFloorPlugin<RouterContext>(),
      authRateLimitPlugin(limits),
      demandControlPlugin(buildCostModel(supergraphSdl), config.queryLimits.maxCost, limits),
      errorMetricsPlugin(),
    ],
  });
  await apollo.start();

  app.use(requestLogging(logger));
  app.get("/health", (_req, res) => {
    res.json({ status: "ok" });
  });
  const checkSubgraphs = async () => {
    const checks = await Promise.all(
      SUBGRAPH_NAMES.map(async (name) => {
        const healthUrl = config.subgraphs[name].url.replace(/\/graphql\/?$/, "/health");
        try {
          const response = await fetch(healthUrl, { signal: AbortSignal.timeout(2000) });
          return [name, response.ok ? "ok" : `unhealthy (HTTP ${response.status})`] as const;
        } catch {
          return [name, "unreachable"] as const;
        }
      }),
    );
    return { ready: checks.every(([, status]) => status === "ok"), subgraphs: Object.fromEntries(checks) };
  };
  // /ready is public and each check reaches six databases: concurrent callers share one check in flight,
  // and its answer is reused for READY_CACHE_MS after it completes.
  let readiness: { answer: ReturnType<typeof checkSubgraphs>; expiresAt: number } | undefined;
  app.get(
    "/ready",
    asyncHandler(async (_req, res) => {
      if (!readiness || readiness.expiresAt < Date.now()) {
        const answer = checkSubgraphs();
        readiness = { answer, expiresAt: Infinity };
        void answer.then(
          () => readiness?.answer === answer && (readiness.expiresAt = Date.now() + READY_CACHE_MS),
          () => readiness?.answer === answer && (readiness = undefined),
        );
      }
      const { ready, subgraphs } = await readiness.answer;
      res.status(ready ? 200 : 503).json({ status: ready ? "ready" : "not ready", subgraphs });
    }),
  );
  app.get(
    "/metrics",
    asyncHandler(async (_req, res) => {
      res.type(registry.contentType).send(await registry.metrics());
    }),
  );

  app.post(
    STRIPE_WEBHOOK_PATH,
    ...forwardStripeWebhooks(config.subgraphs.payments.url.replace(/\/graphql\/?$/, STRIPE_WEBHOOK_PATH), logger),
  );
  // Admin-only Bull Board at /admin/queues (router/src/jobDashboard.ts): REST and HTML, not GraphQL, so no cost model.
  const jobDashboard = await createJobDashboard({ config, log: logger, publicKey, revocations, limits });
  app.use(jobDashboard.router);
  app.use("/assets", proxyAssets(config.subgraphs.products.url.replace(/\/graphql\/?$/, "/assets"), serviceSecret));

  const authenticate = asyncMiddleware(async (req: Request, res: Response) => {
    try {
      req.viewer = await authenticateRequest(req.headers.authorization, publicKey, config.jwt, revocations);
    } catch (error) {
      if (error instanceof GraphQLError) return graphqlErrorResponse(res, error, 401);
      throw error;
    }
  });

  app.use(
    "/graphql",
    cors({ origin: config.cors.origins === "*" ? isLocalOrigin : config.cors.origins, maxAge: 600 }),
    (req: Request, res: Response, next: NextFunction) => {
      const endTimer = requestDuration.startTimer();
      res.on("finish", () => {
        requestsTotal.labels(req.method, String(res.statusCode)).inc();
        endTimer({ status: String(res.statusCode) });
      });
      next();
    },
    authenticate,
    asyncMiddleware(async (req: Request, res: Response) => {
      try {
        await limits.consume("ip", req.ip ?? "unknown");
        if (req.viewer) await limits.consume("user", req.viewer.userId);
      } catch (error) {
        if (error instanceof GraphQLError) return graphqlErrorResponse(res, error, 429);
        throw error;
      }
    }),
    express.json({ limit: "1mb" }),
    uploadMiddleware(config.uploads),
    expressMiddleware(apollo, {
      context: async ({ req }) => ({
        requestId: String(req.id),
        clientIp: req.ip ?? "unknown",
        viewer: req.viewer ?? null,
        authorization: req.viewer ? req.headers.authorization : undefined,
        log: logger.child({ requestId: String(req.id) }),
      }),
    }),
  );

  app.use(notFoundHandler());
  app.use(jsonErrorHandler(logger));

  return {
    app,
    httpServer,
    async listen(port = config.router.port) {
      await listen(httpServer, port, config.host);
      const address = httpServer.address();
      const actualPort = typeof address === "object" && address ? address.port : port;
      logger.info({ port: actualPort }, "router listening");
      return actualPort;
    },
    async stop() {
      await apollo.stop();
      redis.disconnect();
      await jobDashboard.close();
      await revocations.close();
    },
  };
}

declare module "express-serve-static-core" {
  interface Request {
    viewer?: Viewer | null;
  }
}

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
import { loadSigningKeys, viewerFromAuthorization, type Viewer } from "../../lib/auth.js";
import { createLogger } from "../../lib/logger.js";
import { asyncHandler, asyncMiddleware, jsonErrorHandler, listen, notFoundHandler, requestLogging } from "../../lib/http.js";
import { registry } from "../../lib/metrics.js";
import { formatErrorFor, maskingPlugin } from "../../lib/subgraph.js";
import { inputFloorPlugin } from "../../lib/input.js";
import { SubgraphDataSource } from "./dataSource.js";
import { createRateLimits, type RateLimits } from "./rateLimit.js";
import { uploadMiddleware } from "./uploads.js";
import { proxyAssets } from "./assets.js";
import { graphqlErrors, requestDuration, requestsTotal } from "./metrics.js";
import type { RouterContext } from "./context.js";

export const SUPERGRAPH_PATH = path.join(import.meta.dirname, "..", "supergraph.graphql");
/** graphql-armor rules throw by default (for Envelop); as validation rules they report instead. */
const reportAsValidationError = {
  propagateOnRejection: false,
  onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(error)],
};

/** Root fields that sign in or create accounts: limited per client address far more strictly. */
const AUTH_FIELDS = new Set(["login", "register"]);

/** The root field names an operation selects, following fragments (so a spread cannot hide `login`). */
export function rootFieldNames(document: DocumentNode, selectionSet: SelectionSetNode, seen = new Set<string>()): Set<string> {
  const names = new Set<string>();
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) names.add(selection.name.value);
    else if (selection.kind === Kind.INLINE_FRAGMENT) rootFieldNames(document, selection.selectionSet, seen).forEach((n) => names.add(n));
    else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = document.definitions.find((d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === selection.name.value);
      if (fragment?.kind === Kind.FRAGMENT_DEFINITION) rootFieldNames(document, fragment.selectionSet, seen).forEach((n) => names.add(n));
    }
  }
  return names;
}

function authRateLimitPlugin(limits: RateLimits): ApolloServerPlugin<RouterContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, contextValue }) {
          if (!operation) return;
          const fields = rootFieldNames(document, operation.selectionSet);
          if ([...fields].some((f) => AUTH_FIELDS.has(f))) await limits.consume("auth", contextValue.clientIp);
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
  // Fail fast instead of queueing commands while Redis is away; the limiter then uses its in-memory fallback.
  const redis = new Redis(config.redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
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

  const subgraphUrl = (name: string) => config.subgraphs[name as SubgraphName]?.url;
  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name, url }) =>
      new SubgraphDataSource(name, subgraphUrl(name) ?? url!, config.subgraphTimeoutMs, config.uploads.maxBytes),
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
      errorMetricsPlugin(),
    ],
  });
  await apollo.start();

  app.use(requestLogging(logger));
  app.get("/health", (_req, res) => {
    res.json({ status: "ok" });
  });
  app.get(
    "/ready",
    asyncHandler(async (_req, res) => {
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
      const subgraphs = Object.fromEntries(checks);
      const ready = checks.every(([, status]) => status === "ok");
      res.status(ready ? 200 : 503).json({ status: ready ? "ready" : "not ready", subgraphs });
    }),
  );
  app.get(
    "/metrics",
    asyncHandler(async (_req, res) => {
      res.type(registry.contentType).send(await registry.metrics());
    }),
  );

  app.use("/assets", proxyAssets(config.subgraphs.products.url.replace(/\/graphql\/?$/, "/assets")));

  const authenticate = asyncMiddleware(async (req: Request, res: Response) => {
    try {
      req.viewer = await viewerFromAuthorization(req.headers.authorization, publicKey, config.jwt);
    } catch (error) {
      if (error instanceof GraphQLError) return graphqlErrorResponse(res, error, 401);
      throw error;
    }
  });

  app.use(
    "/graphql",
    cors({ origin: config.cors.origins === "*" ? true : config.cors.origins, maxAge: 600 }),
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
    },
  };
}

declare module "express-serve-static-core" {
  interface Request {
    viewer?: Viewer | null;
  }
}

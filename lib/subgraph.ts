// Everything the six subgraphs share: Express, Apollo Server on a federated schema,
// JWT verification into `ctx.viewer`, request ids in logs, /health, error masking.
import http from "node:http";
import { readFileSync } from "node:fs";
import express, { type RequestHandler } from "express";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { expressMiddleware } from "@as-integrations/express5";
import { buildSubgraphSchema } from "@apollo/subgraph";
import type { GraphQLResolverMap } from "@apollo/subgraph/dist/schema-helper/index.js";
import { parse } from "graphql";
import type { Config, SubgraphName } from "./config.js";
import { SUBGRAPHS } from "./registry.js";
import { authenticateRequest, loadSigningKeys, type Viewer } from "./auth.js";
import { TokenRevocations } from "./revocations.js";
import { EXPECTED_ERROR_CODES } from "./errors.js";
import { inputFloorPlugin } from "./input.js";
import { createLogger, type Logger } from "./logger.js";
import { asyncHandler, jsonErrorHandler, listen, notFoundHandler, requestLogging } from "./http.js";
import { registry } from "./metrics.js";
import { SERVICE_HEADER, loadServiceSecret, verifyServiceAssertion, type ServiceName } from "./serviceAuth.js";

export interface BaseContext {
  viewer: Viewer | null;
  /** The shopgraph service that sent the request ("router" or a subgraph), from its signed assertion. */
  caller: ServiceName;
  /** The verified `Authorization` header, to forward on service-to-service calls made for this viewer. */
  authorization?: string;
  requestId: string;
  log: Logger;
  /** Revoked sessions (Redis); the users subgraph writes them, every verifier reads them. */
  revocations: TokenRevocations;
}

export interface SubgraphOptions<TContext extends BaseContext> {
  name: SubgraphName;
  config: Config;
  /** The generated `Resolvers` map of the subgraph (its SDL file, the contract, is named in supergraph.yaml). */
  resolvers: object;
  /** Adds what the subgraph needs per request (Prisma, DataLoaders) to the verified base. */
  createContext: (base: BaseContext) => TContext | Promise<TContext>;
  /** The subgraph's database: `/health` asks it for `SELECT 1`, and `stop()` disconnects it last. */
  prisma: SubgraphDatabase;
  /** Middleware that must run before GraphQL on /graphql (multipart uploads, say). */
  beforeGraphQL?: RequestHandler[];
  /** Extra routes (static files, say), behind the service assertion like /graphql. */
  configureApp?: (app: express.Express) => void;
  /**
   * Routes that authenticate their callers another way and so come before the service assertion
   * (Stripe's webhooks, verified by Stripe's signature). Keep this list short.
   */
  configurePublicRoutes?: (app: express.Express) => void;
  /** Closes what else the subgraph opened (queues, say), before the database. */
  onStop?: () => Promise<void>;
}

/** What the server needs of a generated Prisma client. */
export interface SubgraphDatabase {
  $queryRaw(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<unknown>;
  $disconnect(): Promise<void>;
}

export interface RunningServer {
  app: express.Express;
  httpServer: http.Server;
  logger: Logger;
  listen(port?: number): Promise<number>;
  stop(): Promise<void>;
}

export function maskingPlugin<TContext extends Pick<BaseContext, "log">>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) {
            const code = error.extensions?.code;
            if (typeof code === "string" && EXPECTED_ERROR_CODES.has(code)) continue;
            contextValue.log?.error({ err: error.originalError ?? error, path: error.path }, "unexpected error");
          }
        },
      };
    },
  };
}

/** In production an unexpected error reaches the client as a bare INTERNAL_SERVER_ERROR. */
export function formatErrorFor(isProduction: boolean) {
  return (formatted: import("graphql").GraphQLFormattedError) => {
    const code = formatted.extensions?.code;
    if (!isProduction || (typeof code === "string" && EXPECTED_ERROR_CODES.has(code))) return formatted;
    return { message: "Internal server error", path: formatted.path, extensions: { code: "INTERNAL_SERVER_ERROR" } };
  };
}

/**
 * Everything but /health and /metrics needs a valid service assertion (lib/serviceAuth.ts): a subgraph
 * answers the router and other shopgraph services only. The caller is kept in `res.locals.caller`.
 */
export function requireServiceAssertion(secret: string, logger: Logger): RequestHandler {
  return (req, res, next) => {
    const header = req.headers[SERVICE_HEADER];
    const check = verifyServiceAssertion(secret, typeof header === "string" ? header : undefined);
    if (check.ok) {
      res.locals.caller = check.caller;
      return next();
    }
    if (check.reason !== "missing")
      logger.warn({ reason: check.reason, requestId: req.id }, "refused a request with a bad service assertion");
    res.status(401).json({
      errors: [
        {
          message:
            check.reason === "missing"
              ? "This subgraph answers shopgraph's router and services only; send requests to the router."
              : "The service assertion is not valid or has expired.",
          extensions: { code: "UNAUTHENTICATED" },
        },
      ],
    });
  };
}

export async function createSubgraphServer<TContext extends BaseContext>(options: SubgraphOptions<TContext>): Promise<RunningServer> {
  const { name, config } = options;
  const logger = createLogger(name, config.logLevel);
  const keys = await loadSigningKeys(config);
  const serviceSecret = loadServiceSecret(config);
  const revocations = await TokenRevocations.connect(config, logger);
  const schema = buildSubgraphSchema({
    typeDefs: parse(readFileSync(SUBGRAPHS[name].schemaFile, "utf8")),
    resolvers: options.resolvers as GraphQLResolverMap<unknown>,
  });

  const app = express();
  app.disable("x-powered-by");
  const httpServer = http.createServer(app);
  const apollo = new ApolloServer<TContext>({
    schema,
    introspection: !config.isProduction,
    includeStacktraceInErrorResponses: !config.isProduction,
    formatError: formatErrorFor(config.isProduction),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginInlineTraceDisabled(),
      ...(config.isProduction ? [ApolloServerPluginLandingPageDisabled()] : []),
      maskingPlugin<TContext>(),
      inputFloorPlugin<TContext>(),
    ],
  });
  await apollo.start();

  app.use(requestLogging(logger));
  app.get(
    "/health",
    asyncHandler(async (_req, res) => {
      try {
        await options.prisma.$queryRaw`SELECT 1`;
        res.json({ status: "ok", subgraph: name });
      } catch (error) {
        logger.warn({ err: error }, "health check failed");
        res.status(503).json({ status: "unavailable", subgraph: name });
      }
    }),
  );
  app.get(
    "/metrics",
    asyncHandler(async (_req, res) => {
      res.type(registry.contentType).send(await registry.metrics());
    }),
  );
  // Metrics stay open (counters and process figures, no data) so Prometheus can scrape subgraphs directly.
  options.configurePublicRoutes?.(app);
  app.use(requireServiceAssertion(serviceSecret, logger));
  options.configureApp?.(app);
  app.use(
    "/graphql",
    express.json({ limit: "1mb" }),
    ...(options.beforeGraphQL ?? []),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const requestId = String(req.id ?? "");
        const caller = res.locals.caller as ServiceName;
        const log = logger.child({ requestId, caller });
        const viewer = await authenticateRequest(req.headers.authorization, keys.publicKey, config.jwt, revocations);
        const authorization = viewer ? req.headers.authorization : undefined;
        return options.createContext({ viewer, caller, authorization, requestId, log, revocations });
      },
    }),
  );

  app.use(notFoundHandler());
  app.use(jsonErrorHandler(logger));

  return {
    app,
    httpServer,
    logger,
    async listen(port = config.subgraphs[name].port) {
      await listen(httpServer, port, config.host);
      const address = httpServer.address();
      const actualPort = typeof address === "object" && address ? address.port : port;
      logger.info({ port: actualPort }, `${name} subgraph listening`);
      return actualPort;
    },
    async stop() {
      await apollo.stop();
      await options.onStop?.();
      await options.prisma.$disconnect();
      await revocations.close();
    },
  };
}

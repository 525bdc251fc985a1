// HTTP plumbing shared by the router and the subgraphs: request ids, request logs, shutdown.
import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import type { Request, Response, NextFunction, RequestHandler } from "express";
import { pinoHttp } from "pino-http";
import type { Logger } from "./logger.js";

export const REQUEST_ID_HEADER = "x-request-id";
const SAFE_REQUEST_ID = /^[\w.:-]{1,100}$/;

/** Keeps a well-formed incoming request id (from the router or a proxy) or makes a new one. */
export function requestIdOf(req: Request): string {
  const incoming = req.headers[REQUEST_ID_HEADER];
  return typeof incoming === "string" && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

export function requestLogging(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
    genReqId: (req, res) => {
      const id = requestIdOf(req as Request);
      res.setHeader(REQUEST_ID_HEADER, id);
      return id;
    },
    customProps: (req) => ({ requestId: req.id }),
    // Health probes and metric scrapes would drown the useful lines.
    autoLogging: { ignore: (req) => ["/health", "/ready", "/metrics"].includes(req.url ?? "") },
    serializers: {
      req: (req: { method: string; url: string }) => ({ method: req.method, url: req.url }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });
}

export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

/** Runs `stop` once on SIGINT or SIGTERM, then exits; a second signal exits at once. */
export function onShutdown(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, "shutting down");
    stop()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        logger.error({ err: error }, "error during shutdown");
        process.exit(1);
      });
  };
  process.on("SIGINT", handle);
  process.on("SIGTERM", handle);
}

export function asyncHandler(handler: (req: Request, res: Response) => Promise<void>): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    handler(req, res).catch(next);
  };
}

/** An async middleware: continues to the next handler unless it has already answered. */
export function asyncMiddleware(handler: (req: Request, res: Response) => Promise<void>): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    handler(req, res).then(() => {
      if (!res.headersSent) next();
    }, next);
  };
}

/** Answers for paths nobody serves, in the same JSON shape as every other error. */
export function notFoundHandler(): RequestHandler {
  return (_req: Request, res: Response) => {
    res.status(404).json({ errors: [{ message: "Not found.", extensions: { code: "NOT_FOUND" } }] });
  };
}

/**
 * Last Express error handler: malformed or oversized bodies and upload errors become GraphQL-shaped
 * JSON errors with a code; anything else is logged with the request id and answered without details.
 */
export function jsonErrorHandler(logger: Logger) {
  return (error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const { type, status, expose, message } = error as { type?: string; status?: number; expose?: boolean; message?: string };
    let answer: { status: number; message: string; code: string };
    if (type === "entity.parse.failed") answer = { status: 400, message: "The request body is not valid JSON.", code: "BAD_REQUEST" };
    else if (type === "entity.too.large") answer = { status: 413, message: "The request body is too large.", code: "BAD_REQUEST" };
    else if (status && status >= 400 && status < 500) {
      // Client errors from Express middleware; their own message only when it is meant for clients (no paths).
      const fallback = status === 404 ? "Not found." : "Bad request.";
      answer = { status, message: expose && message ? message : fallback, code: status === 404 ? "NOT_FOUND" : "BAD_REQUEST" };
    } else {
      logger.error({ err: error, requestId: req.id }, "unhandled error");
      answer = { status: 500, message: "Internal server error.", code: "INTERNAL_SERVER_ERROR" };
    }
    res.status(answer.status).json({ errors: [{ message: answer.message, extensions: { code: answer.code } }] });
  };
}

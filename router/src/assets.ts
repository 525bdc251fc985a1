// Product images are stored and served by the products subgraph; the router passes GET /assets/*
// through so clients only ever talk to the router's origin. Cache headers come from products.
import { Readable } from "node:stream";
import type { RequestHandler } from "express";
import { asyncHandler } from "../../lib/http.js";
import { SERVICE_HEADER, signServiceAssertion } from "../../lib/serviceAuth.js";

const FORWARDED_HEADERS = ["content-type", "content-length", "cache-control", "etag", "last-modified"];

/** Products answers the router only (lib/serviceAuth.ts): the proxy signs each fetch as the router. */
export function proxyAssets(assetsBaseUrl: string, serviceSecret: string): RequestHandler {
  return asyncHandler(async (req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.status(405).end();
      return;
    }
    const upstream = await fetch(`${assetsBaseUrl}${req.url}`, {
      method: req.method,
      headers: {
        [SERVICE_HEADER]: signServiceAssertion(serviceSecret, "router"),
        ...(req.headers["if-none-match"] ? { "if-none-match": String(req.headers["if-none-match"]) } : {}),
      },
      signal: AbortSignal.timeout(10_000),
    }).catch(() => null);
    if (!upstream) {
      res.status(502).end();
      return;
    }
    res.status(upstream.status);
    for (const name of FORWARDED_HEADERS) {
      const value = upstream.headers.get(name);
      if (value) res.setHeader(name, value);
    }
    if (!upstream.body || req.method === "HEAD") {
      res.end();
      return;
    }
    Readable.fromWeb(upstream.body).pipe(res);
  });
}

// The router's own surface: health, readiness, metrics, request ids, CORS, CSRF, Sandbox.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { setTimeout as delay } from "node:timers/promises";
import { ROUTER_URL, gql, gqlOk, registerCustomer, routerBase } from "./support/client.js";

describe("router endpoints", () => {
  it("GET /health answers while the process is alive", async () => {
    const response = await fetch(`${routerBase}/health`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: "ok" });
  });

  it("GET /ready reports every subgraph reachable", async () => {
    const response = await fetch(`${routerBase}/ready`);
    const body = (await response.json()) as { status: string; subgraphs: Record<string, string> };
    assert.equal(response.status, 200, JSON.stringify(body));
    assert.deepEqual(Object.keys(body.subgraphs).sort(), ["carts", "inventory", "orders", "payments", "products", "users"]);
    assert.ok(Object.values(body.subgraphs).every((status) => status === "ok"));
  });

  it("GET /metrics exposes request counts, latency, errors and per-subgraph fetch latency", async () => {
    await gqlOk(`{ me { id } }`);
    await gql(`{ users { totalCount } }`); // an UNAUTHENTICATED error
    const text = await (await fetch(`${routerBase}/metrics`)).text();
    assert.match(text, /shopgraph_router_requests_total\{method="POST",status="200"\} \d+/);
    assert.match(text, /shopgraph_router_request_duration_seconds_bucket\{le="0.05",status="200"\} \d+/);
    assert.match(text, /shopgraph_router_graphql_errors_total\{code="UNAUTHENTICATED"\} \d+/);
    assert.match(text, /shopgraph_router_subgraph_fetch_duration_seconds_count\{subgraph="users",outcome="[a-z_]+"\} \d+/);
  });
});

describe("request ids", () => {
  it("returns a request id and passes it to the subgraphs, whose logs carry it", async () => {
    const account = await registerCustomer();
    const result = await gql(`{ me { id name } }`, {}, { token: account.token });
    const requestId = result.headers.get("x-request-id");
    assert.ok(requestId && requestId.length >= 8);
    const logFile = process.env.SERVICE_LOG_FILE;
    assert.ok(logFile, "the test runner sets SERVICE_LOG_FILE");
    let lines: string[] = [];
    for (let attempt = 0; attempt < 20 && lines.length < 2; attempt++) {
      await delay(100);
      lines = readFileSync(logFile, "utf8")
        .split("\n")
        .filter((line) => line.includes(requestId));
    }
    assert.ok(
      lines.some((line) => line.startsWith("[router]")),
      "router log line with the request id",
    );
    assert.ok(
      lines.some((line) => line.startsWith("[users]")),
      "users subgraph log line with the same request id",
    );
  });
});

describe("browser safety", () => {
  it("answers a CORS preflight for an allowed origin", async () => {
    const response = await fetch(ROUTER_URL, {
      method: "OPTIONS",
      headers: {
        origin: "http://localhost:3000",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type,authorization",
      },
    });
    assert.equal(response.status, 204);
    assert.equal(response.headers.get("access-control-allow-origin"), "http://localhost:3000");
  });

  it("refuses a simple cross-site POST (CSRF prevention)", async () => {
    const response = await fetch(ROUTER_URL, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({ query: "{ me { id } }" }),
    });
    assert.equal(response.status, 400);
  });

  it("serves Apollo Sandbox's landing page to a browser outside production", async () => {
    const response = await fetch(ROUTER_URL, { headers: { accept: "text/html" } });
    assert.equal(response.status, 200);
    assert.match(await response.text(), /sandbox/i);
  });
});

describe("readiness with a subgraph away", () => {
  it("answers 503 and names the unreachable subgraph, while /health stays 200", async () => {
    const { createRouter } = await import("../router/src/server.js");
    const { config } = await import("./support/client.js");
    // The same system, but its router looks for the payments subgraph where nothing listens.
    const subgraphs = { ...config.subgraphs, payments: { ...config.subgraphs.payments, url: "http://127.0.0.1:1/graphql" } };
    const router = await createRouter({ ...config, logLevel: "silent", subgraphs });
    try {
      const base = `http://127.0.0.1:${await router.listen(0)}`;
      const ready = await fetch(`${base}/ready`);
      assert.equal(ready.status, 503);
      const body = (await ready.json()) as { subgraphs: Record<string, string> };
      assert.equal(body.subgraphs.payments, "unreachable");
      assert.equal(body.subgraphs.users, "ok");
      assert.equal((await fetch(`${base}/health`)).status, 200);
      // Operations that do not need the missing subgraph still work.
      assert.equal((await gqlOk(`{ me { id } }`, {}, { url: `${base}/graphql` })).me, null);
    } finally {
      await router.stop();
    }
  });
});

describe("production mode", () => {
  it("turns introspection and the Sandbox landing page off", async () => {
    const { createRouter } = await import("../router/src/server.js");
    const { config } = await import("./support/client.js");
    const { createPublicKey } = await import("node:crypto");
    const { loadServiceSecret } = await import("../lib/serviceAuth.js");
    const keys = JSON.parse(readFileSync(config.jwt.keyFile, "utf8")) as { publicJwk: object };
    const publicKeyPem = String(createPublicKey({ key: keys.publicJwk, format: "jwk" } as never).export({ type: "spki", format: "pem" }));
    const router = await createRouter({
      ...config,
      env: "production",
      isProduction: true,
      logLevel: "warn",
      jwt: { ...config.jwt, publicKeyPem },
      // Production takes the secret from SUBGRAPH_SECRET only: hand it this run's.
      serviceAuth: { ...config.serviceAuth, secret: loadServiceSecret(config) },
    });
    try {
      const url = `http://127.0.0.1:${await router.listen(0)}/graphql`;
      const introspection = await gql(`{ __schema { types { name } } }`, {}, { url });
      assert.ok(introspection.errors?.length, "introspection is refused");
      assert.match(introspection.errors![0]!.message, /introspection/i);
      const page = await fetch(url, { headers: { accept: "text/html" } });
      assert.notEqual(page.status, 200);
      assert.doesNotMatch(page.headers.get("content-type") ?? "", /html/);
      // Ordinary operations still work.
      assert.equal((await gqlOk(`{ me { id } }`, {}, { url })).me, null);
    } finally {
      await router.stop();
    }
  });
});

describe("malformed requests", () => {
  it("answers a body that is not JSON with a JSON error, not a stack trace", async () => {
    const response = await fetch(ROUTER_URL, { method: "POST", headers: { "content-type": "application/json" }, body: '{"query": ' });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
    assert.equal(body.errors[0]!.extensions.code, "BAD_REQUEST");
    assert.doesNotMatch(JSON.stringify(body), /at JSON\.parse|node_modules/);
  });

  it("refuses an oversized body with 413", async () => {
    const response = await fetch(ROUTER_URL, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "x".repeat(2_000_000) }),
    });
    assert.equal(response.status, 413);
    assert.equal(((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code, "BAD_REQUEST");
  });

  it("answers an unknown path with a JSON 404, on the router and on a missing image", async () => {
    const response = await fetch(`${routerBase}/nothing-here`);
    assert.equal(response.status, 404);
    assert.equal(((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code, "NOT_FOUND");
    assert.equal((await fetch(`${routerBase}/assets/products/none/none/200.webp`)).status, 404);
  });

  it("answers a malformed query with GRAPHQL_PARSE_FAILED and an unknown field with GRAPHQL_VALIDATION_FAILED", async () => {
    assert.equal((await gql(`{ me { id `)).errors?.[0]?.extensions?.code, "GRAPHQL_PARSE_FAILED");
    assert.equal((await gql(`{ me { shoeSize } }`)).errors?.[0]?.extensions?.code, "GRAPHQL_VALIDATION_FAILED");
  });
});

describe("operation limits", () => {
  it("refuses an operation nested deeper than MAX_QUERY_DEPTH before asking any subgraph", async () => {
    const nested = (levels: number): string => (levels === 0 ? "id" : `id children { ${nested(levels - 1)} }`);
    const deep = await gql(`{ categories { ${nested(12)} } }`);
    assert.equal(deep.errors?.[0]?.extensions?.code, "GRAPHQL_VALIDATION_FAILED");
    assert.match(deep.errors![0]!.message, /depth/i);
    // As deep but cheap: a chain of single parents (nested lists of children are refused by cost instead).
    const parents = (levels: number): string => (levels === 0 ? "id" : `id parent { ${parents(levels - 1)} }`);
    await gqlOk(`{ categories { ${parents(8)} } }`);
  });

  it("refuses an operation with too many aliases", async () => {
    const aliases = Array.from({ length: 31 }, (_, i) => `a${i}: me { id }`).join(" ");
    const result = await gql(`{ ${aliases} }`);
    assert.equal(result.errors?.[0]?.extensions?.code, "GRAPHQL_VALIDATION_FAILED");
    assert.match(result.errors![0]!.message, /alias/i);
  });

  it("still lets Sandbox introspect the schema outside production", async () => {
    const data = await gqlOk(
      `{ __schema { types { name fields { name type { name ofType { name ofType { name ofType { name } } } } } } } }`,
    );
    assert.ok(data.__schema.types.length > 10);
  });
});

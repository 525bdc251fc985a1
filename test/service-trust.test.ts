// Subgraphs answer only the router and shopgraph's own services: every request but /health and
// /metrics must carry a fresh service assertion signed with the shared secret (lib/serviceAuth.ts).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { SUBGRAPH_NAMES } from "../lib/config.js";
import { SERVICE_ASSERTION_MAX_AGE_MS, SERVICE_HEADER, loadServiceSecret, signServiceAssertion, signature } from "../lib/serviceAuth.js";
import { ServiceCallError, createServiceClient } from "../lib/serviceClient.js";
import { STRONG_PASSWORD, config, gqlOk, registerCustomer, serviceHeaders, subgraphUrl } from "./support/client.js";

const secret = loadServiceSecret(config);

async function post(url: string, headers: Record<string, string>, query = "{ __typename }") {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, body: (await response.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] } };
}

function assertRefused(result: Awaited<ReturnType<typeof post>>, what: string) {
  assert.equal(result.status, 401, what);
  assert.equal(result.body.errors?.[0]?.extensions?.code, "UNAUTHENTICATED", what);
  assert.equal(result.body.data, undefined, what);
}

describe("subgraphs answer only the router and shopgraph services", () => {
  for (const name of SUBGRAPH_NAMES) {
    it(`${name}: refuses missing, wrong, stale, future and forged assertions; keeps /health open`, async () => {
      const url = subgraphUrl(name);
      const now = Date.now();
      const stale = now - SERVICE_ASSERTION_MAX_AGE_MS - 5_000;
      const future = now + SERVICE_ASSERTION_MAX_AGE_MS + 5_000;
      const routerSigned = signServiceAssertion(secret, "router", now);
      const cases: [string, Record<string, string>][] = [
        ["no header", {}],
        ["empty header", { [SERVICE_HEADER]: "" }],
        ["garbage", { [SERVICE_HEADER]: "router.now.please\r\n" }],
        ["another secret", { [SERVICE_HEADER]: signServiceAssertion(`${secret}x`, "router", now) }],
        ["stale", { [SERVICE_HEADER]: signServiceAssertion(secret, "router", stale) }],
        ["from the future", { [SERVICE_HEADER]: signServiceAssertion(secret, "router", future) }],
        // The router's signature with another caller name or time on it.
        ["forged caller", { [SERVICE_HEADER]: routerSigned.replace(/^router\./, "carts.") }],
        ["moved time", { [SERVICE_HEADER]: routerSigned.replace(`.${now}.`, `.${now + 1}.`) }],
        // Properly signed, but no shopgraph service has this name.
        ["unknown caller", { [SERVICE_HEADER]: `mallory.${now}.${signature(secret, "mallory", now)}` }],
        ["upper-case caller", { [SERVICE_HEADER]: `ROUTER.${now}.${signature(secret, "ROUTER", now)}` }],
      ];
      for (const [what, headers] of cases) assertRefused(await post(url, headers), `${name}: ${what}`);

      // Other paths are sealed too: the landing page, unknown paths.
      assert.equal((await fetch(url, { headers: { accept: "text/html" } })).status, 401);
      assert.equal((await fetch(url.replace(/\/graphql$/, "/nothing-here"))).status, 401);

      const health = await fetch(url.replace(/\/graphql$/, "/health"));
      assert.equal(health.status, 200);
      assert.equal(((await health.json()) as { subgraph: string }).subgraph, name);
      assert.equal((await fetch(url.replace(/\/graphql$/, "/metrics"))).status, 200);

      for (const caller of ["router", name] as const) {
        const accepted = await post(url, serviceHeaders(caller));
        assert.equal(accepted.status, 200, `${name} accepts ${caller}`);
        assert.deepEqual(accepted.body.data, { __typename: "Query" });
      }
    });
  }

  it("sign-in straight to the users subgraph (around the router's rate limit) is refused", async () => {
    const account = await registerCustomer();
    const login = await post(
      subgraphUrl("users"),
      {},
      `mutation { login(email: "${account.email}", password: "${STRONG_PASSWORD}") { __typename ... on AuthPayload { token } ... on ErrorResult { message code } } }`,
    );
    assertRefused(login, "login without the router");
  });

  it("products' image files are served through the router only", async () => {
    const assets = subgraphUrl("products").replace(/\/graphql$/, "/assets/products/none/none/200.webp");
    assert.equal((await fetch(assets)).status, 401);
    assert.equal((await fetch(assets, { headers: serviceHeaders() })).status, 404);
  });

  it("the service client signs as its service, forwards the caller's token, and fails cleanly", async () => {
    const client = createServiceClient(config, "carts");
    assert.deepEqual(await client.call("products", "{ __typename }"), { __typename: "Query" });
    const customer = await registerCustomer();
    const me = await client.call<{ me: { id: string } }>("users", "{ me { id } }", {}, { authorization: `Bearer ${customer.token}` });
    assert.deepEqual(me, { me: { id: customer.id } });
    const outsider = createServiceClient(
      { ...config, serviceAuth: { secretFile: config.serviceAuth.secretFile, secret: `${secret}x` } },
      "carts",
    );
    await assert.rejects(outsider.call("products", "{ __typename }"), (error: ServiceCallError) => {
      assert.equal(error.name, "ServiceCallError");
      assert.equal(error.errors[0]?.extensions?.code, "UNAUTHENTICATED");
      return true;
    });
  });

  it("the router signs its fetches: queries through it work", async () => {
    assert.deepEqual(await gqlOk(`{ me { id } }`), { me: null });
  });
});

describe("SUBGRAPH_SECRET", () => {
  // Its validation (length, randomness, required in production) is unit-tested in test/unit/config.test.ts.
  it("outside production is generated once, and six processes starting together agree on it", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "shopgraph-secret-"));
    const secretFile = path.join(dir, "nested", "subgraph-secret");
    try {
      const script = `import { loadConfig } from "./lib/config.ts"; import { loadServiceSecret } from "./lib/serviceAuth.ts";
        process.stdout.write(loadServiceSecret(loadConfig({ NODE_ENV: "development", SUBGRAPH_SECRET_FILE: process.env.SECRET_FILE })));`;
      const read = () =>
        new Promise<string>((resolve, reject) => {
          const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
            env: { PATH: process.env.PATH, SECRET_FILE: secretFile },
          });
          let out = "";
          child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
          child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
          child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(out))));
        });
      const secrets = await Promise.all(Array.from({ length: 6 }, read));
      assert.equal(new Set(secrets).size, 1, secrets.join("\n"));
      assert.equal(secrets[0], readFileSync(secretFile, "utf8"));
      assert.ok(secrets[0]!.length >= 43);
      assert.notEqual(secrets[0], secret, "each run has its own secret");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// Operation cost limits through the real router: refusal before any subgraph works, the estimate in
// every response, the token limit, rate limits charged by cost and per auth field, /ready's cache.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import {
  ROUTER_URL,
  STRONG_PASSWORD,
  config,
  expectError,
  gql,
  gqlOk,
  randomIp,
  registerCustomer,
  sqlStatements,
  uniqueEmail,
} from "./support/client.js";
import { createRouter, type Router } from "../router/src/server.js";
import { ATTACK_QUERY } from "./support/costQueries.js";

const MAX = config.queryLimits.maxCost;
type CostExtension = { estimated: number; max: number };

describe("operation cost limit", () => {
  it("refuses the nested-lists attack with COST_LIMIT_EXCEEDED before any subgraph is asked", async () => {
    const [productsBefore, inventoryBefore] = [await sqlStatements("products"), await sqlStatements("inventory")];
    const result = await gql(ATTACK_QUERY, {}, { ip: randomIp() });
    assert.equal(result.status, 400);
    const error = expectError(result, "COST_LIMIT_EXCEEDED");
    assert.equal(error.extensions?.maxCost, MAX);
    assert.ok(Number(error.extensions?.cost) > 100 * MAX, String(error.extensions?.cost));
    assert.equal(result.data, undefined);
    assert.deepEqual((result.extensions?.cost as CostExtension).max, MAX);
    assert.equal(await sqlStatements("products"), productsBefore, "products ran no SQL");
    assert.equal(await sqlStatements("inventory"), inventoryBefore, "inventory ran no SQL");
  });

  it("reports the estimated cost on normal responses, growing with `first` and taken from variables", async () => {
    const query = `query Page($n: Int) { products(first: $n) { totalCount edges { node { id name price { amount } } } } }`;
    const small = await gql(query, { n: 10 });
    assert.equal(small.errors, undefined, JSON.stringify(small.errors));
    assert.deepEqual(small.extensions?.cost, { estimated: 31, max: MAX });
    const large = await gql(query, { n: 50 });
    assert.deepEqual(large.extensions?.cost, { estimated: 151, max: MAX });
    // Too large a page is refused by cost before products refuses `first` above 100.
    expectError(await gql(query, { n: 1_000_000 }), "COST_LIMIT_EXCEEDED");
  });

  it("estimates multipart upload requests too", async () => {
    const form = new FormData();
    const query = `mutation($file: Upload!) { uploadProductImage(productId: "${randomUUID()}", file: $file) { id } }`;
    form.append("operations", JSON.stringify({ query, variables: { file: null } }));
    form.append("map", JSON.stringify({ "0": ["variables.file"] }));
    form.append("0", new Blob([Buffer.from("not an image")]), "a.jpg");
    const response = await fetch(ROUTER_URL, { method: "POST", headers: { "apollo-require-preflight": "true" }, body: form });
    const body = (await response.json()) as { errors?: unknown[]; extensions?: { cost?: CostExtension } };
    assert.ok(body.errors?.length, "an anonymous upload is refused");
    // 10 (mutation) + 200 (@cost on uploadProductImage)
    assert.deepEqual(body.extensions?.cost, { estimated: 210, max: MAX });
  });
});

describe("document size limit", () => {
  it("refuses 1,000 copies of one field while parsing, as GRAPHQL_PARSE_FAILED", async () => {
    const result = await gql(`{ me { ${"id ".repeat(1000)}} }`, {}, { ip: randomIp() });
    assert.equal(result.status, 400);
    const error = expectError(result, "GRAPHQL_PARSE_FAILED");
    assert.match(error.message, /tokens/);
  });

  it("still parses the largest SDK document and Sandbox's introspection query", async () => {
    const { getIntrospectionQuery } = await import("graphql");
    const introspection = await gql(getIntrospectionQuery(), {}, { ip: randomIp() });
    assert.equal(introspection.errors, undefined);
    assert.deepEqual(introspection.extensions?.cost, { estimated: 0, max: MAX });
  });
});

describe("sign-in limit per auth field", () => {
  const REGISTER_FIVE = `mutation($a: RegisterInput!, $b: RegisterInput!, $c: RegisterInput!, $d: RegisterInput!, $e: RegisterInput!) {
    a: register(input: $a) { __typename ... on AuthPayload { token } ... on ErrorResult { message code } } b: register(input: $b) { __typename ... on AuthPayload { token } ... on ErrorResult { message code } } c: register(input: $c) { __typename ... on AuthPayload { token } ... on ErrorResult { message code } }
    d: register(input: $d) { __typename ... on AuthPayload { token } ... on ErrorResult { message code } } e: register(input: $e) { __typename ... on AuthPayload { token } ... on ErrorResult { message code } } }`;
  const input = () => ({ email: uniqueEmail("alias"), password: STRONG_PASSWORD, name: "Alias" });

  it("charges each aliased register: five in one request use up the window's five sign-ups", async () => {
    assert.equal(config.rateLimit.authMax, 5, "the test run sets RATE_LIMIT_AUTH_MAX=5");
    const ip = randomIp();
    const five = await gql(REGISTER_FIVE, { a: input(), b: input(), c: input(), d: input(), e: input() }, { ip });
    assert.equal(five.errors, undefined, JSON.stringify(five.errors));
    const sixth = await gql(
      `mutation($i: RegisterInput!) { register(input: $i) { __typename ... on AuthPayload { token } ... on ErrorResult { message code } } }`,
      { i: input() },
      { ip },
    );
    assert.equal(sixth.status, 429);
    expectError(sixth, "RATE_LIMITED");
  });

  it("refuses six logins in one request (fragments counted) before any password is checked", async () => {
    const usersBefore = await sqlStatements("users");
    const login = (alias: string) =>
      `${alias}: login(email: "nobody@example.test", password: "whatever-password") { __typename ... on AuthPayload { token } ... on ErrorResult { message code } }`;
    const query = `mutation { ${login("a")} ${login("b")} ...M ... on Mutation { ${login("c")} } }
      fragment M on Mutation { ${login("d")} ${login("e")} ${login("f")} }`;
    const result = await gql(query, {}, { ip: randomIp() });
    assert.equal(result.status, 429);
    expectError(result, "RATE_LIMITED");
    assert.equal(await sqlStatements("users"), usersBefore);
  });
});

describe("rate limits charged by cost", () => {
  let router: Router;
  let url: string;
  // 1 + 100 x (edge 1 + node 1 + category 1)
  const EXPENSIVE = `{ products(first: 100) { edges { node { id category { id } } } } }`;
  const CHEAP = `{ me { id } }`;

  before(async () => {
    router = await createRouter({
      ...config,
      logLevel: "warn",
      redis: { ...config.redis, prefix: `${config.redis.prefix}-cost-${randomUUID().slice(0, 8)}` },
      rateLimit: { windowSeconds: 60, ipMax: 1000, userMax: 1000, authMax: 5 },
    });
    url = `http://127.0.0.1:${await router.listen(0)}/graphql`;
  });
  after(() => router.stop());

  it("lets an address send many cheap operations but only three of cost 301", async () => {
    const expensive = await gql(EXPENSIVE, {}, { url, ip: randomIp() });
    assert.equal((expensive.extensions?.cost as CostExtension).estimated, 301);

    const ip = randomIp();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await gql(EXPENSIVE, {}, { url, ip })).status);
    assert.deepEqual(statuses, [200, 200, 200, 429]);

    const cheapIp = randomIp();
    for (let i = 0; i < 20; i++) assert.equal((await gql(CHEAP, {}, { url, ip: cheapIp })).status, 200);
  });

  it("charges a signed-in user's budget across addresses", async () => {
    const account = await registerCustomer();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await gql(EXPENSIVE, {}, { url, ip: randomIp(), token: account.token })).status);
    assert.deepEqual(statuses, [200, 200, 200, 429]);
    const limited = await gql(EXPENSIVE, {}, { url, ip: randomIp(), token: account.token });
    expectError(limited, "RATE_LIMITED");
    assert.ok(Number(limited.headers.get("retry-after")) >= 1);
  });

  it("answers /ready from one set of subgraph checks for calls close together", async () => {
    const base = url.replace(/\/graphql$/, "");
    const before = await sqlStatements("users");
    const answers = await Promise.all([fetch(`${base}/ready`), fetch(`${base}/ready`), fetch(`${base}/ready`)]);
    answers.push(await fetch(`${base}/ready`));
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 200, 200, 200],
    );
    // Each check runs `SELECT 1` in every subgraph's database: four answers, one check.
    assert.equal((await sqlStatements("users")) - before, 1);
  });
});

describe("development CORS", () => {
  const preflight = (origin: string) =>
    fetch(ROUTER_URL, {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type,authorization" },
    });

  it("allows a local front end and no other site when CORS_ORIGINS is not set", async () => {
    assert.equal(config.cors.origins, "*", "the test run leaves CORS_ORIGINS unset");
    const local = await preflight("http://localhost:5173");
    assert.equal(local.headers.get("access-control-allow-origin"), "http://localhost:5173");
    const evil = await preflight("https://evil.example");
    assert.equal(evil.headers.get("access-control-allow-origin"), null);
    const post = await fetch(ROUTER_URL, {
      method: "POST",
      headers: { origin: "https://evil.example", "content-type": "application/json" },
      body: JSON.stringify({ query: "{ me { id } }" }),
    });
    assert.equal(post.headers.get("access-control-allow-origin"), null);
    assert.equal((await gqlOk(`{ me { id } }`)).me, null);
  });
});

// Rate limits, against a router started in this process with small limits and its own Redis keys,
// in front of the same subgraphs as the rest of the run.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { config, expectError, expectErrorResult, gql, randomIp, registerCustomer, type Account } from "./support/client.js";
import { createRouter, type Router } from "../router/src/server.js";

let router: Router;
let url: string;
const WINDOW_SECONDS = 60;

before(async () => {
  router = await createRouter({
    ...config,
    logLevel: "warn",
    redis: { ...config.redis, prefix: `${config.redis.prefix}-rl-${randomUUID().slice(0, 8)}` },
    // Address budgets are cost points: room for a few sign-ins (110 each) but not for nine 121-point pages.
    rateLimit: { windowSeconds: WINDOW_SECONDS, ipMax: 1000, userMax: 4, authMax: 3 },
  });
  url = `http://127.0.0.1:${await router.listen(0)}/graphql`;
});
after(() => router.stop());

const LOGIN = `mutation { login(email: "nobody@example.test", password: "whatever-password") { __typename ... on AuthPayload { token } ... on ErrorResult { message code } } }`;

describe("rate limiting", () => {
  it("limits sign-in attempts per client address with RATE_LIMITED, HTTP 429 and Retry-After", async () => {
    const ip = randomIp();
    for (let i = 0; i < 3; i++)
      expectErrorResult(await gql(LOGIN, {}, { url, ip }), "login", "InvalidCredentialsError", "INVALID_CREDENTIALS");
    const limited = await gql(LOGIN, {}, { url, ip });
    assert.equal(limited.status, 429);
    expectError(limited, "RATE_LIMITED");
    const retryAfter = Number(limited.headers.get("retry-after"));
    assert.ok(retryAfter >= 1 && retryAfter <= WINDOW_SECONDS, `Retry-After ${retryAfter}`);
    // Another address is unaffected, and so are ordinary queries from the limited one.
    expectErrorResult(await gql(LOGIN, {}, { url, ip: randomIp() }), "login", "InvalidCredentialsError", "INVALID_CREDENTIALS");
    assert.equal((await gql(`{ me { id } }`, {}, { url, ip })).status, 200);
  });

  it("cannot be dodged by hiding login in a fragment", async () => {
    const ip = randomIp();
    const hidden = `mutation { ...M } fragment M on Mutation { login(email: "x@example.test", password: "whatever-password") { __typename ... on AuthPayload { token } ... on ErrorResult { message code } } }`;
    for (let i = 0; i < 3; i++) await gql(hidden, {}, { url, ip });
    expectError(await gql(hidden, {}, { url, ip }), "RATE_LIMITED");
  });

  it("limits the cost points spent per client address", async () => {
    const ip = randomIp();
    const statuses: number[] = [];
    // 1 + 60 x (edge 1 + node 1) = 121 points: eight fit in 1000.
    for (let i = 0; i < 9; i++) statuses.push((await gql(`{ products(first: 60) { edges { node { id } } } }`, {}, { url, ip })).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200, 200, 200, 429]);
  });

  it("limits a signed-in user across addresses", async () => {
    const account: Account = await registerCustomer();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await gql(`{ me { id } }`, {}, { url, ip: randomIp(), token: account.token })).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 429]);
    const limited = await gql(`{ me { id } }`, {}, { url, ip: randomIp(), token: account.token });
    expectError(limited, "RATE_LIMITED");
    assert.ok(Number(limited.headers.get("retry-after")) >= 1);
  });
});

describe("rate limiting without Redis", () => {
  it("keeps serving and limiting with the in-memory fallback", async () => {
    const offline = await createRouter({
      ...config,
      logLevel: "silent",
      redis: { ...config.redis, url: "redis://127.0.0.1:1" }, // nothing listens there
      rateLimit: { windowSeconds: WINDOW_SECONDS, ipMax: 3, userMax: 3, authMax: 3 },
    });
    try {
      const offlineUrl = `http://127.0.0.1:${await offline.listen(0)}/graphql`;
      const ip = randomIp();
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await gql(`{ me { id } }`, {}, { url: offlineUrl, ip })).status);
      assert.deepEqual(statuses, [200, 200, 200, 429]);
    } finally {
      await offline.stop();
    }
  });
});

// Configuration parsing (lib/config.ts) from plain env objects: defaults, every bad value listed,
// secrets never echoed, production's requirements.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, SUBGRAPH_NAMES, loadConfig } from "../../lib/config.js";

/** The problems `loadConfig(env)` lists; fails if it does not throw a ConfigError. */
function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.problems;
  }
  assert.fail(`expected a ConfigError for ${JSON.stringify(env)}`);
}

const STRONG_SECRET = "q3Vx0b7R1mZ8kP2sT9wY4nC6hJ5eL0aG7uD3fK1iO8c";
const production = {
  NODE_ENV: "production",
  JWT_PUBLIC_KEY: "unused here",
  CORS_ORIGINS: "https://shop.example",
  STRIPE_SECRET_KEY: "sk_live_unusedHere123",
  STRIPE_WEBHOOK_SECRET: "whsec_unusedHere1234567",
};

describe("loadConfig defaults", () => {
  it("runs a development stack on localhost from an empty environment", () => {
    const config = loadConfig({});
    assert.equal(config.env, "development");
    assert.equal(config.isProduction, false);
    assert.equal(config.router.port, 4000);
    assert.equal(config.router.publicUrl, "http://localhost:4000/graphql");
    assert.deepEqual(
      SUBGRAPH_NAMES.map((name) => config.subgraphs[name].url),
      [4001, 4002, 4003, 4004, 4005, 4006].map((port) => `http://127.0.0.1:${port}/graphql`),
    );
    assert.equal(config.subgraphs.orders.databaseUrl, "postgresql://postgres@127.0.0.1:5432/shopgraph_orders");
    assert.deepEqual(config.redis, { url: "redis://127.0.0.1:6379", prefix: "shopgraph" });
    assert.equal(config.cors.origins, "*");
    assert.equal(config.trustProxy, false);
    assert.equal(config.seedDemoData, true);
    assert.equal(config.uploads.publicAssetUrl, "http://localhost:4000/assets");
  });

  it("derives URLs from ports and PUBLIC_URL, and reads lists, booleans and proxy settings", () => {
    const config = loadConfig({
      ROUTER_PORT: "8080",
      PRODUCTS_PORT: "9002",
      PUBLIC_URL: "https://api.shop.example/graphql",
      CORS_ORIGINS: " https://a.example , https://b.example ,",
      SEED_DEMO_DATA: "0",
      TRUST_PROXY: "2",
      JWT_PRIVATE_KEY: "-----BEGIN PRIVATE KEY-----\\nabc\\n-----END PRIVATE KEY-----",
    });
    assert.equal(config.router.port, 8080);
    assert.equal(config.subgraphs.products.url, "http://127.0.0.1:9002/graphql");
    assert.equal(config.router.publicUrl, "https://api.shop.example/graphql");
    assert.equal(config.uploads.publicAssetUrl, "https://api.shop.example/assets");
    assert.deepEqual(config.cors.origins, ["https://a.example", "https://b.example"]);
    assert.equal(config.seedDemoData, false);
    assert.equal(config.trustProxy, 2);
    assert.equal(config.jwt.privateKeyPem, "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----");
    assert.equal(loadConfig({ TRUST_PROXY: "loopback" }).trustProxy, "loopback");
    assert.equal(loadConfig({ TRUST_PROXY: "true" }).trustProxy, true);
    assert.equal(loadConfig({ PUBLIC_ASSET_URL: "https://cdn.example/img/" }).uploads.publicAssetUrl, "https://cdn.example/img");
  });
});

describe("loadConfig refusals", () => {
  it("lists every bad value at once, with the value it got", () => {
    const problems = problemsOf({
      ROUTER_PORT: "70000",
      USERS_PORT: "http",
      REDIS_URL: "http://127.0.0.1:6379",
      ORDERS_DATABASE_URL: "mysql://x",
      MAX_OPERATION_COST: "0",
      SEED_DEMO_DATA: "yes",
      LOG_LEVEL: "loud",
      REDIS_PREFIX: "a b",
    });
    const keys = problems.map((problem) => problem.split(":")[0]).sort();
    assert.deepEqual(keys, [
      "LOG_LEVEL",
      "MAX_OPERATION_COST",
      "ORDERS_DATABASE_URL",
      "REDIS_PREFIX",
      "REDIS_URL",
      "ROUTER_PORT",
      "SEED_DEMO_DATA",
      "USERS_PORT",
    ]);
    assert.ok(problems.includes('ROUTER_PORT: must be between 1 and 65535 (got "70000")'), problems.join("\n"));
    assert.ok(problems.some((problem) => problem.startsWith("REDIS_URL: must be a URL starting with redis:// or rediss://")));
  });

  it("says where to look, in its message", () => {
    assert.throws(() => loadConfig({ ROUTER_PORT: "0" }), /Invalid configuration:\n {2}- ROUTER_PORT: .*\nSee \.env\.example/);
  });

  it("never echoes a secret's value", () => {
    for (const weak of ["short-secret", "a".repeat(64), "abcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabc"]) {
      assert.throws(
        () => loadConfig({ ...production, SUBGRAPH_SECRET: weak }),
        (error: ConfigError) => error.problems.some((p) => p.startsWith("SUBGRAPH_SECRET:")) && !error.message.includes(weak),
        weak,
      );
    }
  });
});

describe("loadConfig in production", () => {
  it("requires the JWT public key, the subgraph secret, a Stripe key and a CORS list, all reported together", () => {
    assert.deepEqual(
      problemsOf({ NODE_ENV: "production" }).map((problem) => problem.split(":")[0]),
      ["JWT_PUBLIC_KEY", "SUBGRAPH_SECRET", "STRIPE_SECRET_KEY", "CORS_ORIGINS"],
    );
    assert.ok(problemsOf(production).some((p) => p.startsWith("SUBGRAPH_SECRET: required")));
  });

  it("accepts a complete environment, and seeds no demo data unless asked", () => {
    const config = loadConfig({ ...production, SUBGRAPH_SECRET: STRONG_SECRET });
    assert.equal(config.isProduction, true);
    assert.equal(config.serviceAuth.secret, STRONG_SECRET);
    assert.equal(config.seedDemoData, false);
    assert.equal(loadConfig({ ...production, SUBGRAPH_SECRET: STRONG_SECRET, SEED_DEMO_DATA: "true" }).seedDemoData, true);
    // A Stripe key means Stripe itself, unless STRIPE_API_URL points elsewhere.
    assert.equal(config.stripe.apiUrl, undefined);
  });
});

describe("Stripe settings", () => {
  it("use the local emulator without a key, and want the webhook secret with one", () => {
    assert.equal(loadConfig({}).stripe.apiUrl, "http://127.0.0.1:12111");
    assert.equal(loadConfig({}).stripe.secretKey, undefined);
    const problems = problemsOf({ STRIPE_SECRET_KEY: "sk_test_abcdef123456" });
    assert.deepEqual(
      problems.map((p) => p.split(":")[0]),
      ["STRIPE_WEBHOOK_SECRET"],
    );
    assert.ok(
      !problemsOf({ STRIPE_SECRET_KEY: "pk_test_wrongKind123" }).join().includes("pk_test_wrongKind123"),
      "the key is never echoed",
    );
  });

  it("read checkout's money rules as whole minor units", () => {
    assert.deepEqual(loadConfig({}).checkout, {
      unpaidOrderTtlSeconds: 1800,
      shippingFeeAmount: 499,
      freeShippingMinSubtotal: 5000,
      taxRateBasisPoints: 1900,
    });
    assert.deepEqual(
      problemsOf({ TAX_RATE_BASIS_POINTS: "19.5", SHIPPING_FEE_AMOUNT: "-1" }).map((p) => p.split(":")[0]),
      ["SHIPPING_FEE_AMOUNT", "TAX_RATE_BASIS_POINTS"],
    );
  });
});

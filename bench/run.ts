// `npm run bench`: a storefront listing (50 products with inventory, images and category) through the
// router, and the same products query straight to the products subgraph, on an isolated seeded stack.
// Prints requests per second, p50/p99 latency, the router's overhead and SQL statements per request.
// BENCH_SECONDS (default 10) and BENCH_CONNECTIONS (default 10) tune the load. Then checkout: BENCH_CUSTOMERS
// (default 100) customers, BENCH_CONNECTIONS at a time, each adding two products to the cart and checking out
// through the router: orders per second and the checkout's p50/p99.
import { randomUUID } from "node:crypto";
import autocannon from "autocannon";
import { SUBGRAPH_NAMES, type Config } from "../lib/config.js";
import { createLogger } from "../lib/logger.js";
import { SERVICE_HEADER, loadServiceSecret, signServiceAssertion } from "../lib/serviceAuth.js";
import { productionSettings, startIsolatedStack } from "../scripts/lib/isolated.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 100);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);

const STOREFRONT_LISTING = `query StorefrontListing {
  products(first: 50) {
    totalCount
    edges { node { id name slug price { amount currency } category { id name } images { id alt url(width: 200) } inventory { available inStock } } }
  }
}`;
// The same products data, without the inventory hop (only the products subgraph can answer it).
const PRODUCTS_ONLY = `query ProductsOnly {
  products(first: 50) {
    totalCount
    edges { node { id name slug price { amount currency } category { id name } images { id alt url(width: 200) } } }
  }
}`;

interface Row {
  target: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  failures: number;
}

/**
 * Subgraphs answer the router only: a direct request signs as the router. autocannon repeats one header,
 * which stays fresh for SERVICE_ASSERTION_MAX_AGE_MS (60 s): keep BENCH_SECONDS below that.
 */
function headersFor(config: Config, url: string): Record<string, string> {
  const toSubgraph = SUBGRAPH_NAMES.some((name) => config.subgraphs[name].url === url);
  return {
    "content-type": "application/json",
    ...(toSubgraph ? { [SERVICE_HEADER]: signServiceAssertion(loadServiceSecret(config), "router") } : {}),
  };
}

async function load(config: Config, target: string, url: string, query: string): Promise<Row> {
  const result = await autocannon({
    url,
    method: "POST",
    connections: CONNECTIONS,
    duration: SECONDS,
    headers: headersFor(config, url),
    body: JSON.stringify({ query }),
  });
  return {
    target,
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failures: result.non2xx + result.errors,
  };
}

async function sqlCounts(config: Config): Promise<Record<string, number>> {
  const entries = await Promise.all(
    SUBGRAPH_NAMES.map(async (name) => {
      const text = await (await fetch(config.subgraphs[name].url.replace(/\/graphql$/, "/metrics"))).text();
      const match = new RegExp(`shopgraph_sql_queries_total\\{subgraph="${name}"\\} (\\d+)`).exec(text);
      return [name, Number(match?.[1] ?? 0)] as const;
    }),
  );
  return Object.fromEntries(entries);
}

async function sqlPerRequest(config: Config, url: string, query: string): Promise<string> {
  const before = await sqlCounts(config);
  const response = await fetch(url, { method: "POST", headers: headersFor(config, url), body: JSON.stringify({ query }) });
  const body = (await response.json()) as { errors?: unknown[]; data?: { products: { edges: unknown[] } } };
  if (body.errors) throw new Error(`benchmark query failed: ${JSON.stringify(body.errors)}`);
  if ((body.data?.products.edges.length ?? 0) < 50) throw new Error("the seeded catalog should list 50 products");
  const after = await sqlCounts(config);
  return SUBGRAPH_NAMES.filter((name) => after[name]! - before[name]! > 0)
    .map((name) => `${name} ${after[name]! - before[name]!}`)
    .join(", ");
}

// --- Checkout: many customers placing orders at once ------------------------------------------------

async function routerCall<T>(url: string, query: string, variables: Record<string, unknown>, token?: string): Promise<T> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown[] };
  if (body.errors || !body.data) throw new Error(`bench request failed: ${JSON.stringify(body.errors)}`);
  return body.data;
}

const REGISTER = `mutation Register($input: RegisterInput!) { register(input: $input) { ... on AuthPayload { token } ... on ErrorResult { message } } }`;
const ADD = `mutation Add($productId: ID!) { addToCart(productId: $productId, quantity: 1) { __typename } }`;
const CHECKOUT = `mutation Checkout($input: CheckoutInput!) {
  checkout(input: $input) { __typename ... on CheckoutSuccess { order { id total { amount } } payment { id clientSecret } } }
}`;
const ADDRESS = { line1: "Benchstraße 1", city: "Berlin", postalCode: "10115", country: "DE" };

/** Runs `work` for every item, `concurrency` at a time. */
async function pool<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;

async function checkoutScenario(routerUrl: string) {
  const listing = await routerCall<{ products: { edges: { node: { id: string; inventory: { available: number } | null } }[] } }>(
    routerUrl,
    STOREFRONT_LISTING,
    {},
  );
  const products = listing.products.edges.map((edge) => edge.node).filter((node) => (node.inventory?.available ?? 0) > 0);
  if (products.length < 2) throw new Error("the seeded catalog has no stock to check out");
  // Accounts and carts first (Argon2 and cart writes are not what is measured).
  const customers: string[] = [];
  await pool(
    Array.from({ length: CUSTOMERS }, (_, index) => index),
    4,
    async (index) => {
      const email = `bench-${randomUUID().slice(0, 8)}@example.test`;
      const data = await routerCall<{ register: { token?: string; message?: string } }>(routerUrl, REGISTER, {
        input: { email, password: "bench-orbit-canvas-42", name: "Bench Customer" },
      });
      if (!data.register.token) throw new Error(`register failed: ${data.register.message}`);
      for (const offset of [0, 1]) {
        await routerCall(routerUrl, ADD, { productId: products[(index + offset) % products.length]!.id }, data.register.token);
      }
      customers.push(data.register.token);
    },
  );
  const latencies: number[] = [];
  const outcomes = new Map<string, number>();
  const started = performance.now();
  await pool(customers, CONNECTIONS, async (token) => {
    const before = performance.now();
    let outcome: string;
    try {
      const data = await routerCall<{ checkout: { __typename: string } }>(
        routerUrl,
        CHECKOUT,
        { input: { idempotencyKey: randomUUID(), shippingAddress: ADDRESS } },
        token,
      );
      outcome = data.checkout.__typename;
    } catch {
      outcome = "error";
    }
    latencies.push(performance.now() - before);
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  });
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    orders: outcomes.get("CheckoutSuccess") ?? 0,
    ordersPerSecond: (outcomes.get("CheckoutSuccess") ?? 0) / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    outcomes: Object.fromEntries(outcomes),
  };
}

const log = createLogger("bench", "info");
const stack = await startIsolatedStack(
  "bench",
  log,
  // Measured as deployed: production mode (graphql-js and Apollo skip development checks).
  {
    ...productionSettings(),
    LOG_LEVEL: "warn",
    RATE_LIMIT_IP_MAX: "1000000000",
    RATE_LIMIT_USER_MAX: "1000000000",
    RATE_LIMIT_AUTH_MAX: "1000000000",
  },
  { seed: true },
);
try {
  const { config } = stack;
  const routerUrl = config.router.publicUrl;
  const productsUrl = config.subgraphs.products.url;
  const sqlRouter = await sqlPerRequest(config, routerUrl, STOREFRONT_LISTING);
  const sqlDirect = await sqlPerRequest(config, productsUrl, PRODUCTS_ONLY);
  // Warm both paths (JIT, connection pools, query plans) before measuring.
  await autocannon({
    url: routerUrl,
    method: "POST",
    duration: 2,
    connections: CONNECTIONS,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: STOREFRONT_LISTING }),
  });
  const viaRouter = await load(config, "storefront listing via router", routerUrl, STOREFRONT_LISTING);
  const direct = await load(config, "products query straight to products subgraph", productsUrl, PRODUCTS_ONLY);

  const rows = [
    [viaRouter, sqlRouter],
    [direct, sqlDirect],
  ] as const;
  console.log(
    `\n${SECONDS}s per target, ${CONNECTIONS} connections, 50 products per request, on ${process.platform} node ${process.version}\n`,
  );
  console.log("| target | req/s | p50 ms | p99 ms | failures | SQL statements per request |");
  console.log("| --- | ---: | ---: | ---: | ---: | --- |");
  for (const [row, sql] of rows) {
    console.log(`| ${row.target} | ${row.requestsPerSecond.toFixed(0)} | ${row.p50} | ${row.p99} | ${row.failures} | ${sql} |`);
  }
  console.log(
    `\nRouter overhead: ${(direct.requestsPerSecond / viaRouter.requestsPerSecond).toFixed(2)}x throughput, ${(viaRouter.p50 / Math.max(direct.p50, 0.1)).toFixed(2)}x p50 latency ` +
      "(the router path also fetches inventory for the page).",
  );

  const checkout = await checkoutScenario(routerUrl);
  console.log(
    `\nCheckout: ${CUSTOMERS} customers with two products in the cart, ${CONNECTIONS} checking out at a time, through the router\n`,
  );
  console.log("| orders | orders/s | p50 ms | p99 ms | outcomes |");
  console.log("| ---: | ---: | ---: | ---: | --- |");
  console.log(
    `| ${checkout.orders} | ${checkout.ordersPerSecond.toFixed(1)} | ${checkout.p50.toFixed(0)} | ${checkout.p99.toFixed(0)} | ${JSON.stringify(checkout.outcomes)} |`,
  );
} finally {
  await stack.tearDown();
}

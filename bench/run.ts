// `npm run bench`: a storefront listing (50 products with inventory, images and category) through the
// router, and the same products query straight to the products subgraph, on an isolated seeded stack.
// Prints requests per second, p50/p99 latency, the router's overhead and SQL statements per request.
// BENCH_SECONDS (default 10) and BENCH_CONNECTIONS (default 10) tune the load.
import autocannon from "autocannon";
import { SUBGRAPH_NAMES, type Config } from "../lib/config.js";
import { createLogger } from "../lib/logger.js";
import { SERVICE_HEADER, loadServiceSecret, signServiceAssertion } from "../lib/serviceAuth.js";
import { productionSettings, startIsolatedStack } from "../scripts/lib/isolated.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
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

const log = createLogger("bench", "info");
const stack = await startIsolatedStack(
  "bench",
  log,
  // Measured as deployed: production mode (graphql-js and Apollo skip development checks).
  { ...productionSettings(), LOG_LEVEL: "warn", RATE_LIMIT_IP_MAX: "1000000000", RATE_LIMIT_USER_MAX: "1000000000" },
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
} finally {
  await stack.tearDown();
}

// `npm run bench`, on an isolated seeded stack in production mode:
// 1. a storefront listing (50 products with inventory, images and category) through the router, and the
//    same products query straight to the products subgraph: requests per second, p50/p99 latency, the
//    router's overhead, SQL statements and CPU milliseconds per request of each process;
// 2. checkout (bench/checkout.ts): many customers at once add two products and check out through the
//    router: orders per second, p50/p99, CPU milliseconds per order of each process.
// BENCH_SECONDS (default 10) and BENCH_CONNECTIONS (default 10) tune the listing load;
// BENCH_CHECKOUT_CUSTOMERS (default 200) and BENCH_CHECKOUT_CONCURRENCY (default 20) the checkout.
import autocannon from "autocannon";
import { SUBGRAPH_NAMES, type Config } from "../lib/config.js";
import { createLogger } from "../lib/logger.js";
import { SERVICE_HEADER, loadServiceSecret, signServiceAssertion } from "../lib/serviceAuth.js";
import { productionSettings, startIsolatedStack } from "../scripts/lib/isolated.js";
import { benchCheckout } from "./checkout.js";
import { measureCpu, stackProcesses } from "./processCpu.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const CHECKOUT_CUSTOMERS = Number(process.env.BENCH_CHECKOUT_CUSTOMERS ?? 200);
const CHECKOUT_CONCURRENCY = Number(process.env.BENCH_CHECKOUT_CONCURRENCY ?? 20);

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
  requests: number;
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
    requests: result.requests.total,
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
  const processes = stackProcesses(config.redis.prefix);
  const router = await measureCpu(processes, () => load(config, "storefront listing via router", routerUrl, STOREFRONT_LISTING));
  const straight = await measureCpu(processes, () =>
    load(config, "products query straight to products subgraph", productsUrl, PRODUCTS_ONLY),
  );
  const viaRouter = router.result;
  const direct = straight.result;

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
  console.log(`\nCPU ms per request, by process (processes that used none are left out):\n`);
  console.log("| target | " + [...processes.keys()].join(" | ") + " |");
  console.log("| --- |" + " ---: |".repeat(processes.size));
  for (const [row, cpu] of [
    [viaRouter, router.cpuMs],
    [direct, straight.cpuMs],
  ] as const) {
    console.log(
      `| ${row.target} | ` +
        [...processes.keys()].map((name) => (cpu.get(name)! / Math.max(row.requests, 1)).toFixed(2)).join(" | ") +
        " |",
    );
  }

  const checkout = await benchCheckout(config, { customers: CHECKOUT_CUSTOMERS, concurrency: CHECKOUT_CONCURRENCY });
  console.log(
    `\nCheckout: ${checkout.customers} customers, ${checkout.concurrency} at a time, each adds 2 products then checks out through the router\n`,
  );
  console.log("| orders/s | checkout p50 ms | checkout p99 ms | add+checkout p99 ms | failures |");
  console.log("| ---: | ---: | ---: | ---: | ---: |");
  console.log(
    `| ${checkout.ordersPerSecond.toFixed(1)} | ${checkout.checkoutP50.toFixed(0)} | ${checkout.checkoutP99.toFixed(0)} | ${checkout.journeyP99.toFixed(0)} | ${checkout.failures} |`,
  );
  console.log(`\nCPU ms per order (add to cart twice + checkout), by process:\n`);
  console.log("| " + [...checkout.cpuMsPerOrder.keys()].join(" | ") + " |");
  console.log("|" + " ---: |".repeat(checkout.cpuMsPerOrder.size));
  console.log("| " + [...checkout.cpuMsPerOrder.values()].map((ms) => ms.toFixed(1)).join(" | ") + " |");
} finally {
  await stack.tearDown();
}

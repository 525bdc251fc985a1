// The router's Prometheus metrics, on the process registry that GET /metrics serves.
import { Counter, Histogram } from "prom-client";
import { registry } from "../../lib/metrics.js";

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const requestsTotal = new Counter({
  name: "shopgraph_router_requests_total",
  help: "GraphQL HTTP requests handled by the router",
  labelNames: ["method", "status"] as const,
  registers: [registry],
});

export const requestDuration = new Histogram({
  name: "shopgraph_router_request_duration_seconds",
  help: "Time from receiving a GraphQL HTTP request to sending its response",
  labelNames: ["status"] as const,
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});

export const graphqlErrors = new Counter({
  name: "shopgraph_router_graphql_errors_total",
  help: "Errors returned to clients, by extensions.code",
  labelNames: ["code"] as const,
  registers: [registry],
});

export const subgraphFetchDuration = new Histogram({
  name: "shopgraph_router_subgraph_fetch_duration_seconds",
  help: "Time of each fetch from the router to a subgraph",
  labelNames: ["subgraph", "outcome"] as const,
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});

export const rateLimited = new Counter({
  name: "shopgraph_router_rate_limited_total",
  help: "Requests refused by a rate limit",
  labelNames: ["limit"] as const,
  registers: [registry],
});

export const operationCost = new Histogram({
  name: "shopgraph_router_operation_cost",
  help: "Estimated static cost of each operation (before refusal or execution)",
  buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 100000],
  registers: [registry],
});

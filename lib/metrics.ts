// Prometheus metrics (prom-client). One registry per process, scraped at GET /metrics.
import { Counter, Registry, collectDefaultMetrics } from "prom-client";

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

export const sqlQueries = new Counter({
  name: "shopgraph_sql_queries_total",
  help: "SQL statements sent to PostgreSQL by Prisma",
  labelNames: ["subgraph"] as const,
  registers: [registry],
});

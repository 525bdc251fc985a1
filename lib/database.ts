// Prisma clients run on the node-postgres driver adapter (no native engine is needed).
import { PrismaPg } from "@prisma/adapter-pg";
import { z } from "zod";
import type { Config, SubgraphName } from "./config.js";
import { sqlQueries } from "./metrics.js";

export function prismaAdapter(connectionString: string, max = 10): PrismaPg {
  return new PrismaPg({ connectionString, max });
}

/**
 * The rows of a raw query (`$queryRaw`), checked against `row`: the type argument of `$queryRaw<T>` is only
 * a cast, so a column left out of a SELECT or read as another type would surface far away as `undefined`.
 * A mismatch is a bug, so it throws a plain (internal) error naming the row and columns, never their values.
 */
export function parseRows<Row extends z.ZodType>(row: Row, result: unknown): z.output<Row>[] {
  if (!Array.isArray(result)) throw new Error("A raw query returned no list of rows");
  return result.map((value: unknown, index) => {
    const parsed = row.safeParse(value);
    if (!parsed.success) throw new Error(`Raw query row ${index} does not match its schema:\n${z.prettifyError(parsed.error)}`);
    return parsed.data;
  });
}

/** Pass as `log` to a PrismaClient so `countQueries` can see each statement. */
export const QUERY_EVENTS = [{ emit: "event", level: "query" }] as const;

/** Counts every SQL statement in shopgraph_sql_queries_total; tests and benchmarks read it from /metrics. */
export function countQueries(prisma: { $on(event: "query", listener: () => void): void }, subgraph: string): void {
  const counter = sqlQueries.labels(subgraph);
  prisma.$on("query", () => counter.inc());
}

/** Where to connect to create or drop a database: the same server, its maintenance database. */
export function maintenanceUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.pathname = "/postgres";
  return url.toString();
}

export function databaseName(databaseUrl: string): string {
  return decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
}

/** A subgraph's generated PrismaClient class (each subgraph generates its own). */
type PrismaClientClass<T> = new (options: { adapter: PrismaPg; log: { emit: "event"; level: "query" }[] }) => T;

/**
 * The one way a process (a subgraph's server or worker) opens a subgraph's database: that subgraph's
 * generated client on the pg adapter, every statement counted under the subgraph's name.
 */
export function createPrisma<T extends { $on(event: "query", listener: () => void): void }>(
  name: SubgraphName,
  config: Config,
  PrismaClient: PrismaClientClass<T>,
): T {
  const prisma = new PrismaClient({ adapter: prismaAdapter(config.subgraphs[name].databaseUrl), log: [...QUERY_EVENTS] });
  countQueries(prisma, name);
  return prisma;
}

// Prisma CLI config shared by every subgraph's database: the JavaScript schema engine with the
// pg driver adapter, so generate and migrate work without downloading Prisma's native engines.
import path from "node:path";
import { defineConfig } from "prisma/config";
import { PrismaPg } from "@prisma/adapter-pg";

export function subgraphPrismaConfig(subgraph: string, directory: string) {
  const variable = `${subgraph.toUpperCase()}_DATABASE_URL`;
  // schema.prisma reads the URL too; it must be set or `prisma generate` fetches a native engine.
  process.env[variable] ??= `postgresql://postgres@127.0.0.1:5432/shopgraph_${subgraph}`;
  const connectionString = process.env[variable];
  return defineConfig({
    engine: "js",
    experimental: { adapter: true },
    schema: path.join(directory, "schema.prisma"),
    migrations: { path: path.join(directory, "migrations") },
    adapter: async () => new PrismaPg({ connectionString }),
  });
}

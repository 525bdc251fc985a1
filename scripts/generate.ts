// Generates what is never checked in: each subgraph's Prisma client and the GraphQL resolver
// and SDK types. Runs after `npm install` / `npm ci`, and by hand after a schema change.
import { existsSync } from "node:fs";
import { SUBGRAPH_NAMES } from "../lib/config.js";
import { run } from "./lib/processes.js";

const schemas = SUBGRAPH_NAMES.filter((name) => existsSync(`prisma/${name}/schema.prisma`));
await Promise.all(schemas.map((name) => run("prisma", ["generate", "--config", `prisma/${name}/prisma.config.ts`], { quiet: true })));
console.log(`Generated Prisma clients: ${schemas.join(", ")}`);
await run("graphql-codegen", ["--config", "codegen.ts", "--silent"]);
console.log("Generated GraphQL resolver and SDK types");

// Prisma CLI config for the carts database (npx prisma ... --config prisma/carts/prisma.config.ts).
import { subgraphPrismaConfig } from "../subgraph-config.js";

export default subgraphPrismaConfig("carts", import.meta.dirname);

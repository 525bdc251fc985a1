// Prisma CLI config for the products database (npx prisma ... --config prisma/products/prisma.config.ts).
import { subgraphPrismaConfig } from "../subgraph-config.js";

export default subgraphPrismaConfig("products", import.meta.dirname);

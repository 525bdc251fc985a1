// Prisma CLI config for the orders database (npx prisma ... --config prisma/orders/prisma.config.ts).
import { subgraphPrismaConfig } from "../subgraph-config.js";

export default subgraphPrismaConfig("orders", import.meta.dirname);

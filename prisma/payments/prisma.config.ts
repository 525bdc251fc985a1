// Prisma CLI config for the payments database (npx prisma ... --config prisma/payments/prisma.config.ts).
import { subgraphPrismaConfig } from "../subgraph-config.js";

export default subgraphPrismaConfig("payments", import.meta.dirname);

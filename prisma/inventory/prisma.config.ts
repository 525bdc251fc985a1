// Prisma CLI config for the inventory database (npx prisma ... --config prisma/inventory/prisma.config.ts).
import { subgraphPrismaConfig } from "../subgraph-config.js";

export default subgraphPrismaConfig("inventory", import.meta.dirname);

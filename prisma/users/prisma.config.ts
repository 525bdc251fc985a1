// Prisma CLI config for the users database (npx prisma ... --config prisma/users/prisma.config.ts).
import { subgraphPrismaConfig } from "../subgraph-config.js";

export default subgraphPrismaConfig("users", import.meta.dirname);

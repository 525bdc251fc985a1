import type { Config } from "../../../lib/config.js";
import { createPrisma } from "../../../lib/database.js";
import { createLogger } from "../../../lib/logger.js";
import { createStripeClient, webhookSecretOf } from "../../../lib/stripe.js";
import { createSubgraphServer } from "../../../lib/subgraph.js";
import { PrismaClient } from "../../../prisma/payments/__generated__/client.js";
import { createLoaders, type PaymentsContext } from "./context.js";
import { resolvers } from "./resolvers/index.js";
import { mountStripeWebhook } from "./webhook.js";

export async function createPaymentsServer(config: Config, prisma = createPrisma("payments", config, PrismaClient)) {
  const log = createLogger("payments", config.logLevel);
  const stripe = createStripeClient(config);
  const webhookSecret = webhookSecretOf(config);
  return createSubgraphServer<PaymentsContext>({
    name: "payments",
    config,
    resolvers,
    createContext: (base) => ({ ...base, prisma, stripe, loaders: createLoaders(prisma) }),
    prisma,
    configurePublicRoutes: (app) => mountStripeWebhook(app, { prisma, stripe, log }, webhookSecret),
  });
}

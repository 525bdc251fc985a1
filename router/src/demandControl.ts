// Demand control in the router: every operation's static cost (./cost.ts) is estimated once, after
// validation and before the gateway plans it. An operation above MAX_OPERATION_COST is refused with
// COST_LIMIT_EXCEEDED (HTTP 400) before any subgraph is asked; otherwise the client's rate-limit
// budgets are charged the cost. Every response reports `extensions.cost = { estimated, max }`.
import type { ApolloServerPlugin } from "@apollo/server";
import { GraphQLError } from "graphql";
import { CostEstimationError, estimateCost, type CostModel } from "./cost.js";
import type { RateLimits } from "./rateLimit.js";
import type { RouterContext } from "./context.js";
import { operationCost } from "./metrics.js";

/** The Express middleware charges each request 1 point on arrival (before parsing); this is what is left of it. */
export const POINTS_CHARGED_ON_ARRIVAL = 1;

export function demandControlPlugin(model: CostModel, maxCost: number, limits: RateLimits): ApolloServerPlugin<RouterContext> {
  return {
    async requestDidStart() {
      let estimated: number | undefined;
      return {
        async didResolveOperation({ document, request, contextValue }) {
          try {
            estimated = estimateCost(model, document, request.operationName, request.variables ?? {});
          } catch (error) {
            if (!(error instanceof CostEstimationError)) throw error;
            throw new GraphQLError(error.message, { extensions: { code: "BAD_USER_INPUT", field: error.field, http: { status: 400 } } });
          }
          operationCost.observe(estimated);
          if (estimated > maxCost) {
            throw new GraphQLError(
              `The operation's estimated cost ${estimated} is above the limit of ${maxCost}. Ask for fewer items (a smaller \`first\`) or fewer nested lists.`,
              { extensions: { code: "COST_LIMIT_EXCEEDED", cost: estimated, maxCost, http: { status: 400 } } },
            );
          }
          const points = Math.ceil(estimated) - POINTS_CHARGED_ON_ARRIVAL;
          if (points > 0) {
            await limits.consume("ip", contextValue.clientIp, points);
            if (contextValue.viewer) await limits.consume("user", contextValue.viewer.userId, points);
          }
        },
        async willSendResponse({ response }) {
          if (estimated === undefined || response.body.kind !== "single") return;
          const result = response.body.singleResult;
          result.extensions = { ...result.extensions, cost: { estimated, max: maxCost } };
        },
      };
    },
  };
}

// GraphQL calls from one shopgraph service to a subgraph, signed with a service assertion
// (lib/serviceAuth.ts) so the callee knows a trusted service called, and which one.
import type { Config, SubgraphName } from "./config.js";
import { REQUEST_ID_HEADER } from "./http.js";
import { SERVICE_HEADER, loadServiceSecret, signServiceAssertion, type ServiceName } from "./serviceAuth.js";

export interface ServiceCallOptions {
  /** The request this call serves, so both sides log the same id. */
  requestId?: string;
  /** The end user's `Authorization` header, when the callee should apply that user's rights. */
  authorization?: string;
}

interface GraphQLErrorLike {
  message: string;
  extensions?: { code?: string };
}

/** The callee could not be reached or answered with errors; callers treat it as an internal failure. */
export class ServiceCallError extends Error {
  constructor(
    message: string,
    readonly target: SubgraphName,
    readonly errors: GraphQLErrorLike[] = [],
  ) {
    super(message);
    this.name = "ServiceCallError";
  }
}

export interface ServiceClient {
  call<TData>(target: SubgraphName, query: string, variables?: Record<string, unknown>, options?: ServiceCallOptions): Promise<TData>;
}

/** A client that signs as `caller`; the secret is read once, on the first call. */
export function createServiceClient(config: Config, caller: ServiceName): ServiceClient {
  let secret: string | undefined;
  return {
    async call<TData>(target: SubgraphName, query: string, variables: Record<string, unknown> = {}, options: ServiceCallOptions = {}) {
      secret ??= loadServiceSecret(config);
      const headers: Record<string, string> = {
        "content-type": "application/json",
        [SERVICE_HEADER]: signServiceAssertion(secret, caller),
      };
      if (options.requestId) headers[REQUEST_ID_HEADER] = options.requestId;
      if (options.authorization) headers.authorization = options.authorization;
      let body: { data?: TData | null; errors?: GraphQLErrorLike[] };
      try {
        const response = await fetch(config.subgraphs[target].url, {
          method: "POST",
          headers,
          body: JSON.stringify({ query, variables }),
          signal: AbortSignal.timeout(config.subgraphTimeoutMs),
        });
        body = (await response.json()) as typeof body;
      } catch (error) {
        throw new ServiceCallError(`${target} could not be reached: ${(error as Error).message}`, target);
      }
      if (body.errors?.length || body.data == null) {
        throw new ServiceCallError(`${target} answered with errors: ${body.errors?.map((e) => e.message).join("; ")}`, target, body.errors);
      }
      return body.data;
    },
  };
}

// How the router talks to a subgraph: forwards the caller's verified token and the request id,
// applies a timeout, and records fetch latency per subgraph.
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from "@apollo/gateway";
import type { Fetcher } from "@apollo/utils.fetcher";
import type { GatewayGraphQLResponse } from "@apollo/server-gateway-interface";
import { REQUEST_ID_HEADER } from "../../lib/http.js";
import { SERVICE_HEADER, signServiceAssertion } from "../../lib/serviceAuth.js";
import { subgraphFetchDuration } from "./metrics.js";
import type { RouterContext } from "./context.js";
import { findUploads, sendMultipart } from "./uploads.js";

export class SubgraphDataSource extends RemoteGraphQLDataSource<RouterContext> {
  constructor(
    private readonly subgraphName: string,
    url: string,
    private readonly timeoutMs: number,
    private readonly maxUploadBytes: number,
    /** Signs every request as the router's (lib/serviceAuth.ts): subgraphs answer nobody else. */
    private readonly serviceSecret: string,
  ) {
    super({
      url,
      fetcher: ((input: string, init?: RequestInit) =>
        fetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) })) as unknown as Fetcher,
    });
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<RouterContext>): void {
    request.http?.headers.set(SERVICE_HEADER, signServiceAssertion(this.serviceSecret, "router"));
    // Context is empty for the gateway's own requests (none today, but keep them anonymous).
    const caller: Partial<RouterContext> | undefined = context;
    if (caller?.authorization) request.http?.headers.set("authorization", caller.authorization);
    if (caller?.requestId) request.http?.headers.set(REQUEST_ID_HEADER, caller.requestId);
  }

  override async process(options: GraphQLDataSourceProcessOptions<RouterContext>): Promise<GatewayGraphQLResponse> {
    const endTimer = subgraphFetchDuration.startTimer({ subgraph: this.subgraphName });
    try {
      const uploads = findUploads(options.request.variables);
      const response = uploads.length > 0 ? await this.processWithUploads(options, uploads) : await super.process(options);
      endTimer({ outcome: response.errors?.length ? "graphql_error" : "ok" });
      return response;
    } catch (error) {
      endTimer({ outcome: "failed" });
      throw error;
    }
  }

  private async processWithUploads(
    options: GraphQLDataSourceProcessOptions<RouterContext>,
    uploads: ReturnType<typeof findUploads>,
  ): Promise<GatewayGraphQLResponse> {
    const { request } = options;
    const context: Partial<RouterContext> | undefined = options.context;
    const headers: Record<string, string> = { [SERVICE_HEADER]: signServiceAssertion(this.serviceSecret, "router") };
    if (context?.authorization) headers.authorization = context.authorization;
    if (context?.requestId) headers[REQUEST_ID_HEADER] = context.requestId;
    return (await sendMultipart({
      url: this.url,
      headers,
      request,
      uploads,
      maxBytes: this.maxUploadBytes,
      timeoutMs: this.timeoutMs,
    })) as GatewayGraphQLResponse;
  }
}

// What every end-to-end test needs: GraphQL over real HTTP (through the router by default)
// and ready-made accounts. `npm test` (scripts/test.ts) starts the stack and sets these variables.
import assert from "node:assert/strict";
import { randomInt, randomUUID } from "node:crypto";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print, type DocumentNode } from "graphql";
import { SUBGRAPH_NAMES, loadConfig, type SubgraphName } from "../../lib/config.js";
import { SERVICE_HEADER, loadServiceSecret, signServiceAssertion, type ServiceName } from "../../lib/serviceAuth.js";
import { prismaAdapter } from "../../lib/database.js";
import { PrismaClient as UsersPrisma } from "../../prisma/users/__generated__/client.js";
import { makeAdmin } from "../../subgraphs/users/src/users.js";
import { LoginDocument, RegisterDocument, type LoginMutation, type RegisterMutation } from "../../sdk/__generated__/graphql.js";

export const config = loadConfig();
export const ROUTER_URL = process.env.ROUTER_URL ?? config.router.publicUrl;
export const routerBase = ROUTER_URL.replace(/\/graphql$/, "");
export const subgraphUrl = (name: SubgraphName) => config.subgraphs[name].url;

/** A valid service assertion, read from the run's secret the way the processes read it. */
export function serviceHeaders(caller: ServiceName = "router"): Record<string, string> {
  return { [SERVICE_HEADER]: signServiceAssertion(loadServiceSecret(config), caller) };
}

/** Requests straight to a subgraph (not its /health) sign as the router, as the router would. */
function isSubgraphUrl(url: string): boolean {
  const origin = new URL(url).origin;
  return SUBGRAPH_NAMES.some((name) => new URL(config.subgraphs[name].url).origin === origin);
}

/**
 * A client address from the IPv6 documentation prefix, sent as X-Forwarded-For (the test router
 * trusts its loopback proxy). Only a header value: no traffic goes to it.
 */
export function randomIp(): string {
  const part = () => randomInt(0, 0xffff).toString(16);
  return `2001:db8::${part()}:${part()}:${part()}`;
}
// Each test file is its own process: give it its own address so rate limits never cross files.
const fileIp = randomIp();

export interface GraphQLErrorBody {
  message: string;
  extensions?: { code?: string; field?: string; [key: string]: unknown };
  path?: (string | number)[];
}

export interface GraphQLResult<T> {
  status: number;
  headers: Headers;
  data: T;
  errors?: GraphQLErrorBody[];
  extensions?: Record<string, unknown>;
}

export interface RequestOptions {
  token?: string;
  ip?: string;
  url?: string;
  headers?: Record<string, string>;
  /** Sent as the request's `operationName` when given. */
  operationName?: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary shapes
export async function gql<T = any>(
  query: string,
  variables: Record<string, unknown> = {},
  options: RequestOptions = {},
): Promise<GraphQLResult<T>> {
  const url = options.url ?? ROUTER_URL;
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-forwarded-for": options.ip ?? fileIp,
      ...(isSubgraphUrl(url) ? serviceHeaders() : {}),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: JSON.stringify({ query, variables, ...(options.operationName === undefined ? {} : { operationName: options.operationName }) }),
  });
  const text = await response.text();
  let body: { data?: T; errors?: GraphQLErrorBody[]; extensions?: Record<string, unknown> };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new Error(`Expected JSON from ${url}, got ${response.status}: ${text.slice(0, 500)}`);
  }
  return { status: response.status, headers: response.headers, data: body.data as T, errors: body.errors, extensions: body.extensions };
}

/** Fails unless the request succeeded without errors; returns its data. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function gqlOk<T = any>(query: string, variables: Record<string, unknown> = {}, options: RequestOptions = {}): Promise<T> {
  const result = await gql<T>(query, variables, options);
  assert.equal(result.errors, undefined, `unexpected errors: ${JSON.stringify(result.errors)}`);
  return result.data;
}

/** Asserts the response carries an error with `code` (and `field`, when given) and returns it. */
export function expectError(result: GraphQLResult<unknown>, code: string, field?: string): GraphQLErrorBody {
  const error = result.errors?.find((e) => e.extensions?.code === code);
  assert.ok(error, `expected an error with code ${code}, got ${JSON.stringify(result.errors)}`);
  if (field !== undefined) assert.equal(error.extensions?.field, field);
  return error;
}

export interface ErrorResultBody {
  __typename: string;
  message: string;
  code: string;
  [field: string]: unknown;
}

/**
 * Asserts an expected refusal: no GraphQL error, and the mutation `field` answered with the result type
 * `typename` (selected with `__typename` and `... on ErrorResult { message code }`) carrying `code`.
 */
export function expectErrorResult(result: GraphQLResult<unknown>, field: string, typename: string, code: string): ErrorResultBody {
  assert.equal(result.errors, undefined, `expected ${typename}, got errors ${JSON.stringify(result.errors)}`);
  const value = (result.data as Record<string, ErrorResultBody | null> | null)?.[field];
  assert.equal(value?.__typename, typename, `expected ${typename}, got ${JSON.stringify(value)}`);
  assert.equal(value.code, code);
  assert.ok(value.message.length > 0);
  return value;
}

export const uniqueEmail = (prefix = "user") => `${prefix}-${randomUUID().slice(0, 12)}@example.test`;
export const STRONG_PASSWORD = "plum-orbit-canvas-42";

export interface Account {
  id: string;
  email: string;
  password: string;
  token: string;
  refreshToken: string;
}

type AuthOutcome = RegisterMutation["register"] | LoginMutation["login"];

function signedIn(result: AuthOutcome): Extract<AuthOutcome, { __typename: "AuthPayload" }> {
  assert.equal(result.__typename, "AuthPayload", `expected a session, got ${JSON.stringify(result)}`);
  return result;
}

export async function registerCustomer(name = "Test Customer"): Promise<Account> {
  const email = uniqueEmail("customer");
  const data = await requestOk(RegisterDocument, { input: { email, password: STRONG_PASSWORD, name } }, { ip: randomIp() });
  const { token, refreshToken, user } = signedIn(data.register);
  return { id: user.id, email, password: STRONG_PASSWORD, token, refreshToken };
}

/** An administrator made the way `npm run create-admin` makes one, signed in through the router. */
export async function createAdmin(): Promise<Account> {
  const prisma = new UsersPrisma({ adapter: prismaAdapter(config.subgraphs.users.databaseUrl, 1) });
  try {
    const email = uniqueEmail("admin");
    const { user, generatedPassword } = await makeAdmin(prisma, email);
    const data = await requestOk(LoginDocument, { email, password: generatedPassword! }, { ip: randomIp() });
    const { token, refreshToken } = signedIn(data.login);
    return { id: user.id, email, password: generatedPassword!, token, refreshToken };
  } finally {
    await prisma.$disconnect();
  }
}

/** SQL statements a subgraph has sent so far: its Prisma query counter on /metrics (test files run one at a time). */
export async function sqlStatements(subgraph: SubgraphName): Promise<number> {
  const text = await (await fetch(subgraphUrl(subgraph).replace(/\/graphql$/, "/metrics"))).text();
  return Number(new RegExp(`^shopgraph_sql_queries_total\\{subgraph="${subgraph}"\\} (\\d+)$`, "m").exec(text)?.[1] ?? 0);
}

// Typed documents: the SDK's operations (sdk/operations, generated into sdk/__generated__) and the
// test-only ones (test/support/documents.ts). A schema change that breaks one fails `npm run typecheck`.

const printed = new WeakMap<DocumentNode, string>();
/** The document's text, printed once (for requests `request` cannot send, such as multipart uploads). */
export function documentSource(document: DocumentNode): string {
  let text = printed.get(document);
  if (text === undefined) printed.set(document, (text = print(document)));
  return text;
}

/** Variables are optional only when the operation declares none that are required. */
type VariablesArgument<V> =
  Record<string, never> extends V ? [variables?: V, options?: RequestOptions] : [variables: V, options?: RequestOptions];

/** Sends a typed document; `data` is typed by the operation (null when the request failed before execution). */
export async function request<R, V>(
  document: TypedDocumentNode<R, V>,
  ...[variables, options]: VariablesArgument<V>
): Promise<GraphQLResult<R>> {
  return gql<R>(documentSource(document), (variables ?? {}) as Record<string, unknown>, options);
}

/** Sends a typed document and fails unless it succeeded without errors; returns its typed data. */
export async function requestOk<R, V>(document: TypedDocumentNode<R, V>, ...[variables, options]: VariablesArgument<V>): Promise<R> {
  return gqlOk<R>(documentSource(document), (variables ?? {}) as Record<string, unknown>, options);
}

/** Polls until `check` passes, for what arrives through a queue (normally well under a second). */
export async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`${what} did not happen within ${timeoutMs} ms`);
}

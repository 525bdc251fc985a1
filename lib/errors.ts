// Two tiers of failure.
//
// Expected business outcomes (email taken, wrong password, last administrator, cart limits, a product not on
// sale, out of stock, a category that is not empty, a published product) are results, not errors: the
// mutation returns a union `XResult = Success | SomeError | ...` whose error members implement the
// `ErrorResult` interface (`message`, `code: ErrorResultCode`), and nothing was changed. Clients branch on
// `__typename`; every new mutation with such an outcome does the same. A mutation's target that does not
// exist (or that the caller may not see) stays a NOT_FOUND error: the client sent a wrong id; a query
// answers null instead.
//
// Exceptional failures, which the client cannot fix by choosing differently, are thrown as GraphQLError
// with a stable `extensions.code` (below): authentication, authorization, malformed input (format, length,
// control characters, bad cursor), unknown ids, rate and cost limits, races to retry, internal errors.
import { GraphQLError } from "graphql";

export type ErrorCode =
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "BAD_USER_INPUT"
  | "NOT_FOUND"
  | "CONFLICT"
  | "RATE_LIMITED"
  | "COST_LIMIT_EXCEEDED"
  | "UNAVAILABLE"
  | "INTERNAL_SERVER_ERROR";

export class AppError extends GraphQLError {
  constructor(message: string, code: ErrorCode, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { code, ...extensions } });
  }
}

export class UnauthenticatedError extends AppError {
  constructor(message = "You must be signed in to do this.") {
    super(message, "UNAUTHENTICATED");
  }
}

export class ForbiddenError extends AppError {
  constructor(message = "You are not allowed to do this.") {
    super(message, "FORBIDDEN");
  }
}

/** `field` names the input field at fault, as a dotted path (e.g. "input.email"). */
export class BadUserInputError extends AppError {
  constructor(message: string, field?: string) {
    super(message, "BAD_USER_INPUT", field ? { field } : {});
  }
}

export class NotFoundError extends AppError {
  constructor(what: string) {
    super(`${what} was not found.`, "NOT_FOUND");
  }
}

export class ConflictError extends AppError {
  constructor(message: string, field?: string) {
    super(message, "CONFLICT", field ? { field } : {});
  }
}

/**
 * A service the operation needs could not be reached (or failed) and the operation was undone or
 * never made: the client may retry. A field error (HTTP 200 with partial data, as GraphQL over HTTP
 * has it), since the router answers for the whole operation.
 */
export class UnavailableError extends AppError {
  constructor(message: string) {
    super(message, "UNAVAILABLE");
  }
}

/** HTTP 429 with Retry-After: the caller used up a rate limit's window. */
export class RateLimitedError extends AppError {
  constructor(message: string, retryAfterSeconds: number) {
    super(message, "RATE_LIMITED", {
      retryAfterSeconds,
      http: { status: 429, headers: new Map([["retry-after", String(retryAfterSeconds)]]) },
    });
  }
}

/** The same error answered with HTTP 401: a bad token refuses the whole request (router and subgraphs alike). */
export function asHttp401(error: UnauthenticatedError): AppError {
  return new AppError(error.message, "UNAUTHENTICATED", { ...error.extensions, http: { status: 401 } });
}

/**
 * What an expected business outcome carries (see the header): the GraphQL type's name, a message for
 * people and a code for programs. Domain functions return `Success | ErrorResultOf<...>` and the union's
 * `__resolveType` reads `__typename` (`resolveResultType`).
 */
export interface ErrorResult<TypeName extends string = string, Code extends string = string> {
  __typename: TypeName;
  message: string;
  code: Code;
}

export const isErrorResult = (value: object): value is ErrorResult =>
  "__typename" in value && typeof value.__typename === "string" && "code" in value && "message" in value;

/** `__resolveType` for a result union: the error members carry `__typename`, the success member is `successType`. */
export function resolveResultType<Success extends string>(successType: Success) {
  return <T extends object>(value: T) => (isErrorResult(value) ? value.__typename : successType) as never;
}

/** The database refusals our code handles on purpose, from Prisma's known error codes. */
export type PrismaErrorKind = "unique" | "foreign-key" | "serialization" | "not-found";

/**
 * Classifies a Prisma error (of any subgraph's generated client): unique and foreign-key violations
 * (P2002, P2003, P2014), serialization failures to retry (P2034) and a missing row (P2025); raw queries
 * (P2010) by the PostgreSQL code the driver reports. Null for anything else, which callers rethrow.
 */
export function prismaErrorKind(error: unknown): PrismaErrorKind | null {
  if (!(error instanceof Error) || !("clientVersion" in error) || !("code" in error)) return null;
  switch (error.code) {
    case "P2002":
      return "unique";
    case "P2003":
    case "P2014":
      return "foreign-key";
    case "P2034":
      return "serialization";
    case "P2025":
      return "not-found";
    case "P2010": {
      const meta = "meta" in error ? (error.meta as { driverAdapterError?: { cause?: { originalCode?: string } } } | undefined) : undefined;
      const sqlState = meta?.driverAdapterError?.cause?.originalCode;
      if (sqlState === "23505") return "unique";
      if (sqlState === "23503") return "foreign-key";
      if (sqlState === "40001") return "serialization";
      return null;
    }
    default:
      return null;
  }
}

/** Codes our own code throws on purpose; anything else reaching a client is an internal error. */
export const EXPECTED_ERROR_CODES = new Set<string>([
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "BAD_USER_INPUT",
  "NOT_FOUND",
  "CONFLICT",
  "RATE_LIMITED",
  "COST_LIMIT_EXCEEDED",
  "UNAVAILABLE",
  // Apollo Server's own request-level codes.
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_REQUEST",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
  "OPERATION_RESOLUTION_FAILURE",
]);

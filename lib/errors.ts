// Exceptional failures, thrown as GraphQLError with a stable `extensions.code`.
// Expected business outcomes (out of stock, say) are result unions in the schema instead.
import { GraphQLError } from "graphql";

export type ErrorCode =
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "BAD_USER_INPUT"
  | "NOT_FOUND"
  | "CONFLICT"
  | "RATE_LIMITED"
  | "COST_LIMIT_EXCEEDED"
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

/** Codes our own code throws on purpose; anything else reaching a client is an internal error. */
export const EXPECTED_ERROR_CODES = new Set<string>([
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "BAD_USER_INPUT",
  "NOT_FOUND",
  "CONFLICT",
  "RATE_LIMITED",
  "COST_LIMIT_EXCEEDED",
  // Apollo Server's own request-level codes.
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_REQUEST",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
  "OPERATION_RESOLUTION_FAILURE",
]);

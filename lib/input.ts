// The floor every GraphQL request stands on, in the router and in every subgraph: no string in an
// operation (variables or literals) may carry a C0 control character other than tab, LF and CR, nor
// DEL, nor half a UTF-16 surrogate pair. PostgreSQL refuses NUL in text and lone surrogates cannot be
// stored faithfully, so without this floor such input became a 500 deep in Prisma. Fields that must
// be one line (emails, names, slugs) are stricter in their own zod schemas.
import { GraphQLError, Kind, type DirectiveNode, type DocumentNode, type SelectionSetNode, type ValueNode } from "graphql";
import type { ApolloServerPlugin, BaseContext } from "@apollo/server";

/** U+0000-U+0008, U+000B, U+000C, U+000E-U+001F, U+007F, and a surrogate without its partner. */
const UNACCEPTABLE_TEXT =
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Legitimate input never nests this deep; deeper input is refused rather than walked. */
export const MAX_INPUT_DEPTH = 64;

export const isAcceptableText = (text: string): boolean => !UNACCEPTABLE_TEXT.test(text);

export interface TextProblem {
  /** Dotted path of the offending value, e.g. "input.name" or "filter.search" or "ids.2". */
  field: string;
  reason: "control-character" | "too-deep";
}

const isPlainObject = (value: object): value is Record<string, unknown> => {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
};

/**
 * The first string in `value` (JSON variables: nested objects and arrays) that is not acceptable text.
 * Anything that is not a plain object, array or string (an Upload, say) is skipped.
 */
export function findUnacceptableVariable(value: unknown, path: (string | number)[] = []): TextProblem | null {
  if (typeof value === "string") return isAcceptableText(value) ? null : { field: path.join("."), reason: "control-character" };
  if (value === null || typeof value !== "object") return null;
  if (path.length >= MAX_INPUT_DEPTH) return { field: path.join("."), reason: "too-deep" };
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      path.push(index);
      const problem = findUnacceptableVariable(value[index], path);
      path.pop();
      if (problem) return problem;
    }
    return null;
  }
  if (!isPlainObject(value)) return null;
  for (const key in value) {
    path.push(key);
    const problem = isAcceptableText(key)
      ? findUnacceptableVariable(value[key], path)
      : { field: path.join("."), reason: "control-character" as const };
    path.pop();
    if (problem) return problem;
  }
  return null;
}

function findInValue(node: ValueNode, path: (string | number)[]): TextProblem | null {
  switch (node.kind) {
    case Kind.STRING:
      return isAcceptableText(node.value) ? null : { field: path.join("."), reason: "control-character" };
    case Kind.LIST:
      for (let index = 0; index < node.values.length; index++) {
        path.push(index);
        const problem = findInValue(node.values[index]!, path);
        path.pop();
        if (problem) return problem;
      }
      return null;
    case Kind.OBJECT:
      for (const field of node.fields) {
        path.push(field.name.value);
        const problem = findInValue(field.value, path);
        path.pop();
        if (problem) return problem;
      }
      return null;
    // No text in these; a variable's value is checked with the variables.
    case Kind.INT:
    case Kind.FLOAT:
    case Kind.BOOLEAN:
    case Kind.NULL:
    case Kind.ENUM:
    case Kind.VARIABLE:
      return null;
  }
}

function findInArguments(node: { arguments?: readonly { name: { value: string }; value: ValueNode }[] }): TextProblem | null {
  for (const argument of node.arguments ?? []) {
    const problem = findInValue(argument.value, [argument.name.value]);
    if (problem) return problem;
  }
  return null;
}

function findInDirectives(directives: readonly DirectiveNode[] | undefined): TextProblem | null {
  for (const directive of directives ?? []) {
    const problem = findInArguments(directive);
    if (problem) return problem;
  }
  return null;
}

function findInSelections(selectionSet: SelectionSetNode | undefined): TextProblem | null {
  for (const selection of selectionSet?.selections ?? []) {
    const problem =
      findInDirectives(selection.directives) ??
      (selection.kind === Kind.FIELD ? findInArguments(selection) : null) ??
      (selection.kind === Kind.FRAGMENT_SPREAD ? null : findInSelections(selection.selectionSet));
    if (problem) return problem;
  }
  return null;
}

/** The first string literal in the document's arguments, directives or variable defaults that is not acceptable text. */
export function findUnacceptableLiteral(document: DocumentNode): TextProblem | null {
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION && definition.kind !== Kind.FRAGMENT_DEFINITION) continue;
    let problem = findInDirectives(definition.directives) ?? findInSelections(definition.selectionSet);
    if (!problem && definition.kind === Kind.OPERATION_DEFINITION) {
      for (const variable of definition.variableDefinitions ?? []) {
        problem = variable.defaultValue ? findInValue(variable.defaultValue, [variable.variable.name.value]) : null;
        if (problem) break;
      }
    }
    if (problem) return problem;
  }
  return null;
}

/** A client error Apollo Server answers with this HTTP status (`extensions.http` is not sent). */
function requestError(message: string, code: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extensions, http: { status: 400 } } });
}

export function unacceptableInputError(problem: TextProblem): GraphQLError {
  const message =
    problem.reason === "too-deep"
      ? `${problem.field} is nested too deeply.`
      : `${problem.field} contains a control character or broken Unicode text, which is not accepted.`;
  return requestError(message, "BAD_USER_INPUT", { field: problem.field });
}

/**
 * Apollo Server plugin for the router and every subgraph, run once the operation is known and before
 * anything executes: refuses an operation that cannot be picked (a wrong `operationName`, several
 * anonymous operations) with 400 instead of the executor's 500, then unacceptable text in variables
 * or literals with BAD_USER_INPUT and 400.
 */
export function inputFloorPlugin<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, operation }) {
          if (!operation) {
            throw requestError(
              request.operationName
                ? `Unknown operation named "${request.operationName}".`
                : "Must provide operation name if query contains multiple operations.",
              "OPERATION_RESOLUTION_FAILURE",
            );
          }
          const problem = findUnacceptableVariable(request.variables ?? {}) ?? findUnacceptableLiteral(document);
          if (problem) throw unacceptableInputError(problem);
        },
      };
    },
  };
}

// Static cost of an operation, estimated before planning from the schema's demand-control directives
// (`@cost`, `@listSize`, Federation 2.9; IBM GraphQL cost spec), following Apollo's documented model:
//   - a field returning an object, interface or union costs 1; a scalar or enum field costs 0;
//   - a mutation costs 10 on top of its fields;
//   - an input object given as an argument costs 1 plus its fields (scalars 0);
//   - `@cost(weight:)` on a field, argument, input field or type replaces that default;
//   - a list field multiplies (its own cost + its selections' cost) by its size: the value of a
//     `@listSize(slicingArguments:)` argument (from the operation, its variables or the argument's
//     default), else `@listSize(assumedSize:)`, else DEFAULT_LIST_SIZE; with `sizedFields` (connections)
//     that size applies to the named child fields (`edges`) instead;
//   - fragments and inline fragments count as if written out (every type condition counted, so the
//     estimate never falls below the real work); @skip/@include with a known condition are honoured;
//   - introspection fields (`__schema`, `__type`, `__typename`) cost 0, so Sandbox works.
// Pure: no I/O, no Apollo types; the router builds one CostModel from the supergraph at start-up.
import {
  buildASTSchema,
  getNamedType,
  getNullableType,
  isCompositeType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isTypeDefinitionNode,
  isTypeExtensionNode,
  isObjectType,
  Kind,
  OperationTypeNode,
  parse,
  valueFromASTUntyped,
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "graphql";

/** Size assumed for a list field without `@listSize` (every list in our schemas has one: a test checks). */
export const DEFAULT_LIST_SIZE = 100;
export const MUTATION_BASE_COST = 10;

export interface ListSize {
  assumedSize?: number;
  slicingArguments?: string[];
  sizedFields?: string[];
  requireOneSlicingArgument: boolean;
}

export interface CostModel {
  schema: GraphQLSchema;
  /** `@cost` on a type (object, scalar, enum), by type name. */
  typeWeights: Map<string, number>;
  /** `@cost` on a field or input field, by "Type.field". */
  fieldWeights: Map<string, number>;
  /** `@cost` on a field argument, by "Type.field(argument)". */
  argumentWeights: Map<string, number>;
  /** `@listSize` on a field, by "Type.field". */
  listSizes: Map<string, ListSize>;
}

/** Thrown when an operation breaks a `@listSize(requireOneSlicingArgument: true)` rule. */
export class CostEstimationError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

function constArgument(directive: DirectiveNode, name: string): unknown {
  const argument = directive.arguments?.find((a) => a.name.value === name);
  return argument ? valueFromASTUntyped(argument.value) : undefined;
}

/**
 * Reads `@cost` and `@listSize` from a supergraph (or any SDL that defines its directives). The
 * supergraph's join types and directives build like any SDL, so the same schema types the operation.
 */
export function buildCostModel(sdl: string | DocumentNode): CostModel {
  const document = typeof sdl === "string" ? parse(sdl) : sdl;
  const model: CostModel = {
    schema: buildASTSchema(document, { assumeValidSDL: true }),
    typeWeights: new Map(),
    fieldWeights: new Map(),
    argumentWeights: new Map(),
    listSizes: new Map(),
  };
  const weightOf = (directives: readonly DirectiveNode[] | undefined) => {
    const cost = directives?.find((d) => d.name.value === "cost");
    const weight = cost ? constArgument(cost, "weight") : undefined;
    return typeof weight === "number" ? weight : undefined;
  };
  const record = (map: Map<string, number>, key: string, weight: number | undefined) => {
    if (weight !== undefined) map.set(key, weight);
  };
  for (const definition of document.definitions) {
    if (!isTypeDefinitionNode(definition) && !isTypeExtensionNode(definition)) continue;
    const typeName = definition.name.value;
    record(model.typeWeights, typeName, weightOf(definition.directives));
    if (!("fields" in definition)) continue;
    for (const field of definition.fields ?? []) {
      const key = `${typeName}.${field.name.value}`;
      record(model.fieldWeights, key, weightOf(field.directives));
      if (field.kind === Kind.FIELD_DEFINITION) {
        for (const argument of field.arguments ?? [])
          record(model.argumentWeights, `${key}(${argument.name.value})`, weightOf(argument.directives));
        const listSize = field.directives?.find((d) => d.name.value === "listSize");
        if (listSize) {
          model.listSizes.set(key, {
            assumedSize: constArgument(listSize, "assumedSize") as number | undefined,
            slicingArguments: constArgument(listSize, "slicingArguments") as string[] | undefined,
            sizedFields: constArgument(listSize, "sizedFields") as string[] | undefined,
            requireOneSlicingArgument: constArgument(listSize, "requireOneSlicingArgument") !== false,
          });
        }
      }
    }
  }
  return model;
}

type Variables = Record<string, unknown>;

/** Whether @skip/@include leave the selection out for sure (an unknown variable keeps it: it may run). */
function skipped(directives: readonly DirectiveNode[] | undefined, variables: Variables): boolean {
  for (const directive of directives ?? []) {
    const name = directive.name.value;
    if (name !== "skip" && name !== "include") continue;
    const condition = directive.arguments?.find((a) => a.name.value === "if");
    const value = condition ? valueFromASTUntyped(condition.value, variables) : undefined;
    if (typeof value !== "boolean") continue;
    if ((name === "skip" && value) || (name === "include" && !value)) return true;
  }
  return false;
}

/**
 * The estimated cost of one operation of `document` (the one named `operationName`, or the only one).
 * `variables` are the request's raw variables; a missing one takes the operation's default.
 */
export function estimateCost(model: CostModel, document: DocumentNode, operationName?: string | null, variables: Variables = {}): number {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName
    ? operations.find((o) => o.name?.value === operationName)
    : operations.length === 1
      ? operations[0]
      : undefined;
  if (!operation) return 0;
  const rootType = model.schema.getRootType(operation.operation);
  if (!rootType) return 0;

  const effectiveVariables: Variables = {};
  for (const definition of operation.variableDefinitions ?? []) {
    if (definition.defaultValue) effectiveVariables[definition.variable.name.value] = valueFromASTUntyped(definition.defaultValue);
  }
  for (const [name, value] of Object.entries(variables ?? {})) if (value !== undefined) effectiveVariables[name] = value;

  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions)
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);

  // A fragment's cost depends only on its own type condition and on the sizes its parent hands to
  // `sizedFields`, so it is computed once per such pair: spreads that fan out cannot explode, and
  // one that spreads itself (refused by validation anyway) counts 0 instead of looping.
  const fragmentCosts = new Map<string, number>();
  const inProgress = new Set<string>();

  const inputCost = (type: GraphQLInputType, value: unknown): number => {
    if (value === null || value === undefined) return 0;
    const nullable = getNullableType(type);
    if (isListType(nullable)) {
      const items = Array.isArray(value) ? value : [value];
      return items.reduce<number>((sum, item) => sum + inputCost(nullable.ofType, item), 0);
    }
    const named = nullable as GraphQLNamedType;
    const typeWeight = model.typeWeights.get(named.name);
    if (!isInputObjectType(named)) return typeWeight ?? 0;
    if (typeof value !== "object") return typeWeight ?? 1;
    let cost = typeWeight ?? 1;
    const fields = named.getFields();
    for (const [name, fieldValue] of Object.entries(value as Record<string, unknown>)) {
      const field = fields[name];
      if (!field || fieldValue === null || fieldValue === undefined) continue;
      cost += model.fieldWeights.get(`${named.name}.${name}`) ?? inputCost(field.type, fieldValue);
    }
    return cost;
  };

  const argumentValue = (field: GraphQLField<unknown, unknown>, node: FieldNode, name: string): unknown => {
    const argument = node.arguments?.find((a) => a.name.value === name);
    const value = argument ? valueFromASTUntyped(argument.value, effectiveVariables) : undefined;
    return value ?? field.args.find((a) => a.name === name)?.defaultValue;
  };

  /** The slicing size a `@listSize` field's arguments ask for, else its assumed size. */
  const listSizeOf = (key: string, listSize: ListSize, field: GraphQLField<unknown, unknown>, node: FieldNode): number => {
    if (listSize.slicingArguments?.length) {
      const given = listSize.slicingArguments
        .map((name) => argumentValue(field, node, name))
        .filter((value): value is number => typeof value === "number" && Number.isFinite(value));
      if (listSize.requireOneSlicingArgument && given.length > 1) {
        throw new CostEstimationError(`Give exactly one of ${listSize.slicingArguments.join(", ")} on ${key}.`, key);
      }
      if (given.length > 0) return Math.max(0, ...given);
    }
    return listSize.assumedSize ?? DEFAULT_LIST_SIZE;
  };

  const selectionSetCost = (parentType: GraphQLNamedType, selectionSet: SelectionSetNode, sizes?: Map<string, number>): number => {
    let cost = 0;
    for (const selection of selectionSet.selections) {
      if (skipped(selection.directives, effectiveVariables)) continue;
      if (selection.kind === Kind.FIELD) cost += fieldCost(parentType, selection, sizes?.get(selection.name.value));
      else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? model.schema.getType(selection.typeCondition.name.value) : parentType;
        if (type) cost += selectionSetCost(type, selection.selectionSet, sizes);
      } else {
        const fragment = fragments.get(selection.name.value);
        const type = fragment && model.schema.getType(fragment.typeCondition.name.value);
        if (!fragment || !type) continue;
        const key = `${fragment.name.value}|${sizes ? JSON.stringify([...sizes]) : ""}`;
        let fragmentCost = fragmentCosts.get(key);
        if (fragmentCost === undefined) {
          if (inProgress.has(key)) continue;
          inProgress.add(key);
          fragmentCost = selectionSetCost(type, fragment.selectionSet, sizes);
          inProgress.delete(key);
          fragmentCosts.set(key, fragmentCost);
        }
        cost += fragmentCost;
      }
    }
    return cost;
  };

  const fieldCost = (parentType: GraphQLNamedType, node: FieldNode, sizeFromParent: number | undefined): number => {
    if (node.name.value.startsWith("__")) return 0;
    if (!isObjectType(parentType) && !isInterfaceType(parentType)) return 0;
    const field = parentType.getFields()[node.name.value];
    if (!field) return 0; // validation has refused unknown fields already
    const key = `${parentType.name}.${field.name}`;
    const type = getNamedType(field.type);
    const ownCost = model.fieldWeights.get(key) ?? model.typeWeights.get(type.name) ?? (isCompositeType(type) ? 1 : 0);

    let argumentsCost = 0;
    for (const argument of node.arguments ?? []) {
      const definition = field.args.find((a) => a.name === argument.name.value);
      if (!definition) continue;
      const weight = model.argumentWeights.get(`${key}(${definition.name})`);
      const value = valueFromASTUntyped(argument.value, effectiveVariables);
      if (value === null || value === undefined) continue;
      argumentsCost += weight ?? inputCost(definition.type, value);
    }

    const listSize = model.listSizes.get(key);
    let childSizes: Map<string, number> | undefined;
    let size = 1;
    if (listSize?.sizedFields?.length) {
      const slice = listSizeOf(key, listSize, field, node);
      childSizes = new Map(listSize.sizedFields.map((name) => [name, slice]));
    } else if (isListType(getNullableType(field.type))) {
      size = sizeFromParent ?? (listSize ? listSizeOf(key, listSize, field, node) : DEFAULT_LIST_SIZE);
    }
    const childrenCost = node.selectionSet ? selectionSetCost(type, node.selectionSet, childSizes) : 0;
    return argumentsCost + size * (ownCost + childrenCost);
  };

  const base = operation.operation === OperationTypeNode.MUTATION ? MUTATION_BASE_COST : 0;
  return base + selectionSetCost(rootType, operation.selectionSet);
}

/** Every list field of the schema that has no `@listSize` and is not a connection's sized field. */
export function listFieldsWithoutListSize(model: CostModel): string[] {
  const missing: string[] = [];
  for (const type of Object.values(model.schema.getTypeMap())) {
    if (type.name.startsWith("__") || (!isObjectType(type) && !isInterfaceType(type))) continue;
    for (const field of Object.values(type.getFields())) {
      const key = `${type.name}.${field.name}`;
      if (isListType(getNullableType(field.type)) && !model.listSizes.has(key)) missing.push(key);
    }
  }
  return missing;
}

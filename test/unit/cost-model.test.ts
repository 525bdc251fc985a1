// The static cost model (router/src/cost.ts) on the real supergraph, without a running stack.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { getIntrospectionQuery, Kind, parse } from "graphql";
import { buildCostModel, estimateCost, listFieldsWithoutListSize } from "../../router/src/cost.js";
import { SUPERGRAPH_PATH, isLocalOrigin, rootFieldCounts } from "../../router/src/server.js";
import { loadConfig } from "../../lib/config.js";
import { ATTACK_QUERY } from "../support/costQueries.js";

const model = buildCostModel(readFileSync(SUPERGRAPH_PATH, "utf8"));
const defaults = loadConfig({});
const MAX = defaults.queryLimits.maxCost;
const cost = (query: string, variables: Record<string, unknown> = {}, operationName?: string) =>
  estimateCost(model, parse(query), operationName, variables);

describe("cost model", () => {
  it("knows a size for every list field of the supergraph", () => {
    assert.deepEqual(listFieldsWithoutListSize(model), []);
  });

  it("counts objects 1, scalars 0, and multiplies a connection's edges by `first`", () => {
    // products (1) + 10 x (edge 1 + node 1 + price 1); id, name, amount are scalars.
    assert.equal(cost(`{ products(first: 10) { totalCount edges { node { id name price { amount } } } } }`), 31);
    assert.equal(cost(`{ products(first: 50) { totalCount edges { node { id name price { amount } } } } }`), 151);
    // Without `first`, the argument's default (20).
    assert.equal(cost(`{ products { edges { node { id } } } }`), 41);
    assert.equal(cost(`{ me { id name } }`), 1);
  });

  it("takes `first` from variables, then the variable's default, then the argument's default", () => {
    const query = `query Page($n: Int = 5) { products(first: $n) { edges { node { id } } } }`;
    assert.equal(cost(query, { n: 40 }), 81);
    assert.equal(cost(query, {}), 11);
    assert.equal(cost(query, { n: null }), 41);
    assert.ok(cost(query, { n: 1_000_000 }) > MAX);
  });

  it("multiplies nested lists, with assumed sizes for fixed lists", () => {
    // categories (assumed 50) x (category 1 + children (assumed 25) x 1)
    assert.equal(cost(`{ categories { id children { id } } }`), 50 * (1 + 25));
    // stockMovements slices on `first` without sizedFields: the list itself is multiplied.
    assert.equal(cost(`{ product(id: "x") { stockMovements(first: 7) { id } } }`), 1 + 7);
  });

  it("adds mutations' base cost, @cost weights and input objects", () => {
    const register = `mutation($input: RegisterInput!) { register(input: $input) { __typename ... on AuthPayload { token user { id } } ... on ErrorResult { message code } } }`;
    // 10 (mutation) + 100 (@cost on register) + 1 (user) + 1 (the RegisterInput object)
    assert.equal(cost(register, { input: { email: "a@example.test", password: "x", name: "A" } }), 112);
    // A search costs 20 more (@cost on ProductFilter.search) plus 1 for the filter object.
    const plain = cost(`{ products(first: 10, filter: { minPrice: 1 }) { totalCount } }`);
    assert.equal(cost(`{ products(first: 10, filter: { minPrice: 1, search: "lamp" }) { totalCount } }`), plain + 20);
    assert.equal(plain, 1 + 1);
  });

  it("counts fragments and inline fragments, honours @skip/@include, and ignores introspection", () => {
    const inline = `{ products(first: 10) { edges { node { ... on Product { category { id } } } } } }`;
    const spread = `{ products(first: 10) { edges { node { ...F } } } } fragment F on Product { category { id } }`;
    assert.equal(cost(inline), 1 + 10 * 3);
    assert.equal(cost(spread), cost(inline));
    assert.equal(cost(`query($s: Boolean!) { products(first: 10) @skip(if: $s) { totalCount } }`, { s: true }), 0);
    assert.equal(cost(`query($s: Boolean!) { products(first: 10) @include(if: $s) { totalCount } }`, { s: true }), 1);
    assert.equal(cost(getIntrospectionQuery()), 0);
    assert.equal(cost(`{ __typename me { __typename } }`), 1);
  });

  it("terminates on fragment cycles and on fragments that fan out exponentially", () => {
    const cycle = `{ products { edges { node { ...A } } } } fragment A on Product { category { id } ...B } fragment B on Product { ...A }`;
    assert.ok(Number.isFinite(cost(cycle)));
    // F0 spreads F1 twice, F1 spreads F2 twice... 2^60 paths if followed naively.
    const fragments = Array.from({ length: 60 }, (_, i) => `fragment F${i} on Product { category { id } ...F${i + 1} ...F${i + 1} }`);
    const bomb = `{ product(id: "x") { ...F0 } } ${fragments.join(" ")} fragment F60 on Product { id }`;
    assert.ok(cost(bomb) > MAX);
  });

  it("prices every SDK operation well under MAX_OPERATION_COST, even at 100 items a page", () => {
    const dir = path.join(import.meta.dirname, "..", "..", "sdk", "operations");
    let checked = 0;
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".graphql"))) {
      const document = parse(readFileSync(path.join(dir, file), "utf8"));
      for (const operation of document.definitions) {
        if (operation.kind !== Kind.OPERATION_DEFINITION) continue;
        const estimated = estimateCost(model, document, operation.name!.value, { first: 100 });
        assert.ok(estimated * 2 <= MAX, `${operation.name!.value} costs ${estimated}, more than half of ${MAX}`);
        checked++;
      }
    }
    assert.ok(checked >= 7);
  });

  it("refuses the nested-lists attack by a wide margin", () => {
    assert.ok(cost(ATTACK_QUERY) > 100 * MAX, String(cost(ATTACK_QUERY)));
  });
});

describe("auth field counting", () => {
  const counts = (query: string) => {
    const document = parse(query);
    const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION)!;
    return rootFieldCounts(document, operation.selectionSet);
  };

  it("counts aliases, fragments and inline fragments", () => {
    const query = `mutation { a: register(input: $i) { __typename ... on AuthPayload { token } ... on ErrorResult { message code } } b: register(input: $i) { __typename ... on AuthPayload { token } ... on ErrorResult { message code } } ...M ... on Mutation { login(email: "", password: "") { __typename ... on AuthPayload { token } ... on ErrorResult { message code } } } }
      fragment M on Mutation { c: register(input: $i) { __typename ... on AuthPayload { token } ... on ErrorResult { message code } } ...N } fragment N on Mutation { login(email: "", password: "") { __typename ... on AuthPayload { token } ... on ErrorResult { message code } } }`;
    const result = counts(query);
    assert.equal(result.get("register"), 3);
    assert.equal(result.get("login"), 2);
  });

  it("multiplies fragments spread several times without walking every path", () => {
    const fragments = Array.from({ length: 60 }, (_, i) => `fragment F${i} on Mutation { ...F${i + 1} ...F${i + 1} }`);
    const result = counts(
      `mutation { ...F0 } ${fragments.join(" ")} fragment F60 on Mutation { login(email: "", password: "") { __typename ... on AuthPayload { token } ... on ErrorResult { message code } } }`,
    );
    assert.equal(result.get("login"), 2 ** 60);
  });
});

describe("development CORS", () => {
  const allowed = (origin: string | undefined) => {
    let answer: boolean | undefined;
    isLocalOrigin(origin, (_error, allow) => (answer = allow));
    return answer;
  };

  it("allows pages served from this machine only", () => {
    for (const origin of ["http://localhost:5173", "https://localhost", "http://127.0.0.1:3000", "http://[::1]:8080"])
      assert.equal(allowed(origin), true, origin);
    for (const origin of [
      "https://evil.example",
      "http://localhost.evil.example",
      "http://evil.example/http://localhost",
      "null",
      undefined,
    ])
      assert.equal(allowed(origin), false, String(origin));
  });
});

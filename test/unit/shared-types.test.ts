// Value types that several subgraphs must each declare (federation has no shared import) are the
// same everywhere they appear. Composition does not catch every drift: an output-only enum such as
// ErrorResultCode composes as the union of its values, so a subgraph could lack a code another one
// returns. This check makes "add it to every copy" a failing test instead of a runtime error.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { parse, print, type DefinitionNode } from "graphql";
import { SUBGRAPHS, SUBGRAPH_NAMES } from "../../lib/registry.js";

/** Types whose every copy must be identical (descriptions aside). */
const SHARED_TYPES = ["ErrorResult", "ErrorResultCode", "Money", "PageInfo", "Address", "DateTime"];

function definitionsByName(): Map<string, Map<string, string>> {
  const copies = new Map<string, Map<string, string>>();
  for (const name of SUBGRAPH_NAMES) {
    const document = parse(readFileSync(SUBGRAPHS[name].schemaFile, "utf8"), { noLocation: true });
    for (const definition of document.definitions) {
      if (!("name" in definition) || !definition.name || !SHARED_TYPES.includes(definition.name.value)) continue;
      const withoutDescription = { ...definition, description: undefined } as DefinitionNode;
      const fields =
        "fields" in definition && definition.fields ? { fields: definition.fields.map((f) => ({ ...f, description: undefined })) } : {};
      const values =
        "values" in definition && definition.values ? { values: definition.values.map((v) => ({ ...v, description: undefined })) } : {};
      const text = print({ ...withoutDescription, ...fields, ...values } as DefinitionNode);
      const perSubgraph = copies.get(definition.name.value) ?? new Map<string, string>();
      perSubgraph.set(name, text);
      copies.set(definition.name.value, perSubgraph);
    }
  }
  return copies;
}

describe("types declared by several subgraphs", () => {
  const copies = definitionsByName();

  it("finds the shared result types where results are used", () => {
    assert.ok((copies.get("ErrorResult")?.size ?? 0) >= 2, "ErrorResult is declared by several subgraphs");
    assert.ok((copies.get("ErrorResultCode")?.size ?? 0) >= 2, "ErrorResultCode is declared by several subgraphs");
  });

  for (const typeName of SHARED_TYPES) {
    it(`declares ${typeName} identically in every subgraph that has it`, () => {
      const perSubgraph = [...(copies.get(typeName) ?? new Map<string, string>())];
      const [first, ...others] = perSubgraph;
      for (const [subgraph, text] of others) {
        assert.equal(text, first![1], `${typeName} in ${subgraph} differs from its copy in ${first![0]}`);
      }
    });
  }
});

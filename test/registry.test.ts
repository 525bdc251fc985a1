// supergraph.yaml is the one list of subgraphs (lib/registry.ts): the typed name tuple, the config's
// default ports and the composition all derive from it, and a disagreement stops every process.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parse, stringify } from "yaml";
import { loadConfig } from "../lib/config.js";
import { SUBGRAPHS, SUBGRAPH_NAMES, SUPERGRAPH_CONFIG_FILE, parseSupergraphConfig } from "../lib/registry.js";

const text = readFileSync(SUPERGRAPH_CONFIG_FILE, "utf8");
type Entry = { routing_url: string; schema: { file: string } };
/** supergraph.yaml as it is, its subgraphs edited. */
const withSubgraphs = (edit: (subgraphs: Record<string, Entry>) => Record<string, Entry>) => {
  const file = parse(text) as { subgraphs: Record<string, Entry> };
  return stringify({ ...file, subgraphs: edit(file.subgraphs) });
};

describe("the subgraph registry", () => {
  it("lists the names of supergraph.yaml, with their schema files and routing URLs", () => {
    assert.deepEqual(Object.keys(SUBGRAPHS), [...SUBGRAPH_NAMES]);
    for (const name of SUBGRAPH_NAMES) {
      assert.ok(text.includes(`  ${name}:\n    routing_url: ${SUBGRAPHS[name].routingUrl}`), name);
      assert.ok(SUBGRAPHS[name].schemaFile.endsWith(`/subgraphs/${name}/schema.graphql`), name);
    }
  });

  it("gives the config its default ports", () => {
    const config = loadConfig({});
    for (const name of SUBGRAPH_NAMES) assert.equal(config.subgraphs[name].port, Number(new URL(SUBGRAPHS[name].routingUrl).port));
  });

  it("refuses a supergraph.yaml that disagrees with the typed names", () => {
    const missing = withSubgraphs(({ inventory: _inventory, ...rest }) => rest);
    assert.throws(() => parseSupergraphConfig(missing), /supergraph\.yaml lists users, products, carts, orders, payments;/);
    const extra = withSubgraphs((subgraphs) => ({ ...subgraphs, shipping: subgraphs.users! }));
    assert.throws(() => parseSupergraphConfig(extra), /shipping/);
    const reordered = withSubgraphs(({ users, ...rest }) => ({ ...rest, users: users! }));
    assert.throws(() => parseSupergraphConfig(reordered), /Make them agree/);
  });

  it("refuses routing URLs without a port and entries without a schema file", () => {
    const portless = withSubgraphs((subgraphs) => ({ ...subgraphs, users: { ...subgraphs.users!, routing_url: "http://users/graphql" } }));
    assert.throws(() => parseSupergraphConfig(portless), /subgraphs\.users\.routing_url: must name its port/);
    const noSchema = withSubgraphs((subgraphs) => ({ ...subgraphs, carts: { routing_url: subgraphs.carts!.routing_url } as Entry }));
    assert.throws(() => parseSupergraphConfig(noSchema), /subgraphs\.carts\.schema/);
  });

  it("accepts the file as written", () => {
    assert.deepEqual(parseSupergraphConfig(withSubgraphs((subgraphs) => subgraphs)), SUBGRAPHS);
  });
});

// The list of subgraphs has one source: supergraph.yaml (Rover's format, the input of composition).
// Its names, schema files and routing URLs give the config's names and default ports, the code
// generator's targets and the composition's inputs. The names are repeated below as a literal tuple
// only so that TypeScript can check them; loading this module fails when the tuple and the file disagree.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

export const SUBGRAPH_NAMES = ["users", "products", "carts", "orders", "payments", "inventory"] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];

export interface SubgraphEntry {
  name: SubgraphName;
  /** Where the router reaches the subgraph unless <NAME>_URL says otherwise. */
  routingUrl: string;
  /** The port of `routingUrl`: the subgraph listens there unless <NAME>_PORT says otherwise. */
  defaultPort: number;
  /** Absolute path of the subgraph's SDL. */
  schemaFile: string;
}

export const SUPERGRAPH_CONFIG_FILE = fileURLToPath(new URL("../supergraph.yaml", import.meta.url));

const supergraphConfigSchema = z.object({
  subgraphs: z.record(
    z.string(),
    z.object({
      routing_url: z.url({ protocol: /^https?$/ }).refine((url) => new URL(url).port !== "", "must name its port"),
      schema: z.object({ file: z.string().min(1) }),
    }),
  ),
});

/** Reads a supergraph.yaml text; throws when it is malformed or does not list exactly `SUBGRAPH_NAMES`, in order. */
export function parseSupergraphConfig(text: string, baseDir = path.dirname(SUPERGRAPH_CONFIG_FILE)): Record<SubgraphName, SubgraphEntry> {
  const parsed = supergraphConfigSchema.safeParse(parseYaml(text));
  if (!parsed.success) {
    throw new Error(`supergraph.yaml: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  }
  const listed = Object.keys(parsed.data.subgraphs);
  if (listed.join() !== SUBGRAPH_NAMES.join()) {
    throw new Error(
      `supergraph.yaml lists ${listed.join(", ")}; lib/registry.ts's SUBGRAPH_NAMES is ${SUBGRAPH_NAMES.join(", ")}. Make them agree.`,
    );
  }
  return Object.fromEntries(
    SUBGRAPH_NAMES.map((name) => {
      const { routing_url: routingUrl, schema } = parsed.data.subgraphs[name]!;
      return [name, { name, routingUrl, defaultPort: Number(new URL(routingUrl).port), schemaFile: path.resolve(baseDir, schema.file) }];
    }),
  ) as Record<SubgraphName, SubgraphEntry>;
}

/** Every subgraph as supergraph.yaml describes it, in its order. */
export const SUBGRAPHS = parseSupergraphConfig(readFileSync(SUPERGRAPH_CONFIG_FILE, "utf8"));

// docker-compose.yml runs the same processes as `npm start` (scripts/lib/stack.ts): every subgraph and
// every worker that exists. A worker missing there is a queue nobody consumes in production.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { SUBGRAPH_NAMES } from "../../lib/config.js";

const compose = readFileSync(new URL("../../docker-compose.yml", import.meta.url), "utf8");
const commands = [...compose.matchAll(/command: \[[^\]]*"([\w/.-]+\.ts)"\]/g)].map((match) => match[1]);

describe("docker-compose.yml", () => {
  it("runs every subgraph, every worker and the router, each once", () => {
    const entries = SUBGRAPH_NAMES.flatMap((name) =>
      [`subgraphs/${name}/src/index.ts`, `subgraphs/${name}/src/worker.ts`].filter((file) => existsSync(file)),
    );
    assert.ok(
      entries.some((file) => file.endsWith("worker.ts")),
      "the check sees the workers",
    );
    for (const entry of [...entries, "router/src/index.ts"]) {
      assert.equal(commands.filter((command) => command === entry).length, 1, `${entry} runs once in docker-compose.yml`);
    }
  });
});

// The access rules every customer-owned entity shares (carts, orders, payments), checked on its
// subgraph's `_entities`: the owner and administrators see it, another customer gets FORBIDDEN
// (and null in its place), an anonymous caller and a token signed with another key get
// UNAUTHENTICATED, unknown and malformed ids resolve to null.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";
import type { SubgraphName } from "../../lib/config.js";
import { createAdmin, expectError, gql, gqlOk, subgraphUrl, type Account } from "./client.js";
import { forgedToken } from "./tokens.js";

export interface OwnerOnlyAccess {
  subgraph: SubgraphName;
  /** An `_entities(representations: $r)` query selecting at least the entity's `id`. */
  query: string;
  /** The entity's type name, as in its representations. */
  typename: string;
  /** The entity under test and its owner, and another customer; read when the tests run (after `before`). */
  subject: () => { id: string; owner: Account; otherCustomer: Account };
  /** An id of the wrong shape for this entity ("not-a-uuid", a provider's payment id...). */
  malformedId: string;
}

type Entities = { _entities: ({ id: string } | null)[] };

/** Registers the shared access tests in the current `describe`. */
export function checkOwnerOnlyAccess({ subgraph, query, typename, subject, malformedId }: OwnerOnlyAccess): void {
  const url = subgraphUrl(subgraph);
  const ref = (id: string) => ({ __typename: typename, id });
  const resolve = (ids: string[], token?: string) => gql<Entities>(query, { r: ids.map(ref) }, { url, token });

  test("resolves for its owner", async () => {
    const { id, owner } = subject();
    const data = await gqlOk<Entities>(query, { r: [ref(id)] }, { url, token: owner.token });
    assert.equal(data._entities[0]?.id, id);
  });

  test("resolves for an administrator", async () => {
    const { id } = subject();
    const admin = await createAdmin();
    const data = await gqlOk<Entities>(query, { r: [ref(id)] }, { url, token: admin.token });
    assert.equal(data._entities[0]?.id, id);
  });

  test("is FORBIDDEN to another customer, with null in its place", async () => {
    const { id, otherCustomer } = subject();
    const result = await resolve([id], otherCustomer.token);
    expectError(result, "FORBIDDEN");
    assert.equal(result.data?._entities[0], null);
  });

  test("is UNAUTHENTICATED for an anonymous caller", async () => {
    const result = await resolve([subject().id]);
    expectError(result, "UNAUTHENTICATED");
    assert.equal(result.data?._entities[0] ?? null, null);
  });

  test("an unknown or malformed id resolves to null", async () => {
    const { owner } = subject();
    const data = await gqlOk<Entities>(query, { r: [ref(randomUUID()), ref(malformedId)] }, { url, token: owner.token });
    assert.deepEqual(data._entities, [null, null]);
  });

  test("a token signed with another key is rejected with UNAUTHENTICATED", async () => {
    const { id, owner } = subject();
    const result = await resolve([id], await forgedToken(owner.id));
    assert.equal(result.status, 401);
    expectError(result, "UNAUTHENTICATED");
    assert.equal(result.data?._entities, undefined);
  });
}

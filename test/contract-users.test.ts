// Federation contract: the users subgraph resolves User references by key.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createAdmin, gql, gqlOk, registerCustomer, subgraphUrl } from "./support/client.js";

const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id name email role } } }`;

describe("User entity (users subgraph)", () => {
  it("resolves references in order, with null for unknown and malformed ids", async () => {
    const a = await registerCustomer("Entity A");
    const b = await registerCustomer("Entity B");
    const admin = await createAdmin();
    const data = await gqlOk(
      ENTITIES,
      {
        r: [
          { __typename: "User", id: b.id },
          { __typename: "User", id: "01a2008b-0000-7000-8000-000000000000" },
          { __typename: "User", id: a.id },
          { __typename: "User", id: "not-a-uuid" },
        ],
      },
      { url: subgraphUrl("users"), token: admin.token },
    );
    assert.deepEqual(
      data._entities.map((u: { id: string; name: string } | null) => u && [u.id, u.name]),
      [[b.id, "Entity B"], null, [a.id, "Entity A"], null],
    );
  });

  it("shows the email to the user themself only (and to admins)", async () => {
    const a = await registerCustomer();
    const own = await gqlOk(ENTITIES, { r: [{ __typename: "User", id: a.id }] }, { url: subgraphUrl("users"), token: a.token });
    assert.equal(own._entities[0].email, a.email);
  });

  it("resolves a user for the user themself and administrators only: nobody else learns names or roles", async () => {
    const a = await registerCustomer("Private A");
    const b = await registerCustomer("Private B");
    const admin = await createAdmin();
    const NAMES = `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id name role createdAt } } }`;
    const r = [
      { __typename: "User", id: admin.id },
      { __typename: "User", id: a.id },
    ];
    const anonymous = await gql(NAMES, { r }, { url: subgraphUrl("users") });
    assert.equal(anonymous.errors, undefined);
    assert.deepEqual(anonymous.data._entities, [null, null]);
    const other = await gqlOk(NAMES, { r }, { url: subgraphUrl("users"), token: b.token });
    assert.deepEqual(other._entities, [null, null]);
    const self = await gqlOk(NAMES, { r }, { url: subgraphUrl("users"), token: a.token });
    assert.deepEqual(
      self._entities.map((u: { name: string } | null) => u?.name ?? null),
      [null, "Private A"],
    );
    const byAdmin = await gqlOk(NAMES, { r }, { url: subgraphUrl("users"), token: admin.token });
    assert.deepEqual(
      byAdmin._entities.map((u: { role: string } | null) => u?.role),
      ["ADMIN", "CUSTOMER"],
    );
  });
});

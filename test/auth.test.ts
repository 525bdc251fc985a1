// Users and authentication, end to end through the router.
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { createPublicKey } from "node:crypto";
import { readFileSync } from "node:fs";
import {
  STRONG_PASSWORD,
  config,
  createAdmin,
  expectError,
  expectErrorResult,
  gql,
  randomIp,
  request,
  requestOk,
  registerCustomer,
  subgraphUrl,
  uniqueEmail,
  type Account,
} from "./support/client.js";
import {
  AdminUsersDocument,
  LoginDocument,
  MeDocument,
  RegisterDocument,
  SetUserRoleDocument,
  UpdateProfileDocument,
  type LoginMutation,
  type RegisterMutation,
  type UpdateProfileMutation,
} from "../sdk/__generated__/graphql.js";
import { foreignKey, projectPrivateKey, signWith, tamper, unsigned } from "./support/tokens.js";

type AuthOutcome = RegisterMutation["register"] | LoginMutation["login"];

/** The session an AuthPayload carries; fails on a refusal. */
function session(result: AuthOutcome): Extract<AuthOutcome, { __typename: "AuthPayload" }> {
  assert.equal(result.__typename, "AuthPayload", JSON.stringify(result));
  return result;
}

/** The user an updateProfile changed; fails on a refusal. */
function profile(result: UpdateProfileMutation["updateProfile"]): Extract<UpdateProfileMutation["updateProfile"], { __typename: "User" }> {
  assert.equal(result.__typename, "User", JSON.stringify(result));
  return result;
}

describe("registration", () => {
  it("creates a customer, signs it in, and normalises the email", async () => {
    const email = uniqueEmail("Mixed.Case").replace("example", "EXAMPLE");
    const data = await requestOk(
      RegisterDocument,
      { input: { email: `  ${email} `, password: STRONG_PASSWORD, name: " Ada " } },
      { ip: randomIp() },
    );
    const registered = session(data.register);
    assert.equal(registered.user.email, email.toLowerCase());
    assert.equal(registered.user.name, "Ada");
    assert.equal(registered.user.role, "CUSTOMER");
    assert.ok(new Date(registered.expiresAt).getTime() > Date.now());
    const me = await requestOk(MeDocument, {}, { token: registered.token });
    assert.equal(me.me?.id, registered.user.id);
  });

  it("answers an email already taken in another case with EmailTakenError, creating nothing", async () => {
    const email = uniqueEmail("dup");
    await requestOk(RegisterDocument, { input: { email, password: STRONG_PASSWORD, name: "First" } }, { ip: randomIp() });
    const result = await request(
      RegisterDocument,
      { input: { email: email.toUpperCase(), password: STRONG_PASSWORD, name: "Second" } },
      { ip: randomIp() },
    );
    expectErrorResult(result, "register", "EmailTakenError", "EMAIL_TAKEN");
    const admin = await createAdmin();
    const users = await requestOk(AdminUsersDocument, { search: email }, { token: admin.token });
    assert.deepEqual(
      users.users.edges.map((edge) => edge.node.name),
      ["First"],
    );
  });

  for (const [label, password] of [
    ["too short", "short1"],
    ["common", "password123"],
    ["repetitive", "aaaaaaaaaaaa"],
  ] as const) {
    it(`refuses a weak password (${label}) with BAD_USER_INPUT on input.password`, async () => {
      const email = uniqueEmail("weak");
      const result = await request(RegisterDocument, { input: { email, password, name: "Weak" } }, { ip: randomIp() });
      expectError(result, "BAD_USER_INPUT", "input.password");
      // Nothing was created: the same email can still register.
      await requestOk(RegisterDocument, { input: { email, password: STRONG_PASSWORD, name: "Weak" } }, { ip: randomIp() });
    });
  }

  it("refuses a malformed email and an empty name with the field named", async () => {
    expectError(
      await request(RegisterDocument, { input: { email: "not-an-email", password: STRONG_PASSWORD, name: "X" } }, { ip: randomIp() }),
      "BAD_USER_INPUT",
      "input.email",
    );
    expectError(
      await request(RegisterDocument, { input: { email: uniqueEmail(), password: STRONG_PASSWORD, name: "  " } }, { ip: randomIp() }),
      "BAD_USER_INPUT",
      "input.name",
    );
  });
});

describe("login", () => {
  let account: Account;
  before(async () => {
    account = await registerCustomer();
  });

  it("signs in with any case of the email", async () => {
    const data = await requestOk(LoginDocument, { email: account.email.toUpperCase(), password: account.password }, { ip: randomIp() });
    assert.equal(session(data.login).user.id, account.id);
  });

  it("answers a wrong password and an unknown email the same way", async () => {
    const wrongPassword = await request(LoginDocument, { email: account.email, password: "not-the-password-1" }, { ip: randomIp() });
    const unknownEmail = await request(LoginDocument, { email: uniqueEmail("nobody"), password: "not-the-password-1" }, { ip: randomIp() });
    const a = expectErrorResult(wrongPassword, "login", "InvalidCredentialsError", "INVALID_CREDENTIALS");
    const b = expectErrorResult(unknownEmail, "login", "InvalidCredentialsError", "INVALID_CREDENTIALS");
    assert.deepEqual(a, b);
  });
});

describe("profile", () => {
  it("updates name and default shipping address, and removes the address with null", async () => {
    const account = await registerCustomer();
    const address = { line1: "1 Main St", city: "Berlin", postalCode: "10115", country: "de" };
    const updated = await requestOk(
      UpdateProfileDocument,
      { input: { name: "Renamed", defaultShippingAddress: address } },
      { token: account.token },
    );
    assert.equal(profile(updated.updateProfile).name, "Renamed");
    assert.deepEqual(profile(updated.updateProfile).defaultShippingAddress, { ...address, country: "DE", line2: null, region: null });
    const cleared = await requestOk(UpdateProfileDocument, { input: { defaultShippingAddress: null } }, { token: account.token });
    assert.equal(profile(cleared.updateProfile).defaultShippingAddress, null);
    assert.equal(profile(cleared.updateProfile).name, "Renamed");
  });

  it("refuses a bad country code and changes nothing", async () => {
    const account = await registerCustomer("Unchanged");
    const result = await request(
      UpdateProfileDocument,
      { input: { name: "Changed", defaultShippingAddress: { line1: "x", city: "y", postalCode: "1", country: "Germany" } } },
      { token: account.token },
    );
    expectError(result, "BAD_USER_INPUT", "input.defaultShippingAddress.country");
    assert.equal((await requestOk(MeDocument, {}, { token: account.token })).me?.name, "Unchanged");
  });

  it("changes the password only with the current one", async () => {
    const account = await registerCustomer();
    expectError(
      await request(UpdateProfileDocument, { input: { newPassword: "another-strong-pass-9" } }, { token: account.token }),
      "BAD_USER_INPUT",
      "input.currentPassword",
    );
    expectErrorResult(
      await request(
        UpdateProfileDocument,
        { input: { currentPassword: "wrong-current-pass", newPassword: "another-strong-pass-9" } },
        { token: account.token },
      ),
      "updateProfile",
      "InvalidCredentialsError",
      "INVALID_CREDENTIALS",
    );
    expectError(
      await request(
        UpdateProfileDocument,
        { input: { currentPassword: account.password, newPassword: "short" } },
        { token: account.token },
      ),
      "BAD_USER_INPUT",
      "input.newPassword",
    );
    await requestOk(
      UpdateProfileDocument,
      { input: { currentPassword: account.password, newPassword: "another-strong-pass-9" } },
      { token: account.token },
    );
    expectErrorResult(
      await request(LoginDocument, { email: account.email, password: account.password }, { ip: randomIp() }),
      "login",
      "InvalidCredentialsError",
      "INVALID_CREDENTIALS",
    );
    await requestOk(LoginDocument, { email: account.email, password: "another-strong-pass-9" }, { ip: randomIp() });
  });

  it("needs a signed-in user", async () => {
    expectError(await request(UpdateProfileDocument, { input: { name: "Anon" } }), "UNAUTHENTICATED");
    assert.equal((await requestOk(MeDocument)).me, null);
  });
});

describe("administration", () => {
  let admin: Account;
  let customer: Account;
  before(async () => {
    admin = await createAdmin();
    customer = await registerCustomer();
  });

  it("lets an admin page through users with stable cursors", async () => {
    const first = await requestOk(AdminUsersDocument, { first: 2 }, { token: admin.token });
    assert.equal(first.users.edges.length, 2);
    assert.ok(first.users.totalCount >= 2);
    const second = await requestOk(AdminUsersDocument, { first: 2, after: first.users.pageInfo.endCursor }, { token: admin.token });
    const firstIds = first.users.edges.map((e: { node: { id: string } }) => e.node.id);
    for (const edge of second.users.edges) assert.ok(!firstIds.includes(edge.node.id), "pages overlap");
    const found = await requestOk(AdminUsersDocument, { search: customer.email.toUpperCase() }, { token: admin.token });
    assert.deepEqual(
      found.users.edges.map((e: { node: { id: string } }) => e.node.id),
      [customer.id],
    );
    expectError(await request(AdminUsersDocument, { first: 1000 }, { token: admin.token }), "BAD_USER_INPUT", "first");
    expectError(await request(AdminUsersDocument, { after: "garbage" }, { token: admin.token }), "BAD_USER_INPUT", "after");
  });

  it("refuses admin operations to a customer (FORBIDDEN) and to anonymous callers (UNAUTHENTICATED)", async () => {
    expectError(await request(AdminUsersDocument, {}, { token: customer.token }), "FORBIDDEN");
    expectError(await request(SetUserRoleDocument, { userId: customer.id, role: "ADMIN" }, { token: customer.token }), "FORBIDDEN");
    expectError(await request(AdminUsersDocument), "UNAUTHENTICATED");
    const me = await requestOk(MeDocument, {}, { token: customer.token });
    assert.equal(me.me?.role, "CUSTOMER");
  });

  it("lets an admin change a role, effective at the user's next sign-in", async () => {
    const promoted = await registerCustomer();
    const data = await requestOk(SetUserRoleDocument, { userId: promoted.id, role: "ADMIN" }, { token: admin.token });
    assert.equal(data.setUserRole.__typename === "User" && data.setUserRole.role, "ADMIN");
    const login = await requestOk(LoginDocument, { email: promoted.email, password: promoted.password }, { ip: randomIp() });
    await requestOk(AdminUsersDocument, { first: 1 }, { token: session(login.login).token });
    expectError(
      await request(SetUserRoleDocument, { userId: "01a2008b-c86d-731e-9b39-000000000000", role: "ADMIN" }, { token: admin.token }),
      "NOT_FOUND",
    );
  });

  it("hides a user from other customers: no email, not even a name", async () => {
    const other = await registerCustomer();
    // `_entities` is not in the API schema: sent as a string straight to the subgraph.
    const result = await gql(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id name email } } }`,
      { r: [{ __typename: "User", id: customer.id }] },
      { url: subgraphUrl("users"), token: other.token },
    );
    assert.equal(result.errors, undefined);
    assert.deepEqual(result.data._entities, [null]);
  });
});

describe("token verification", () => {
  let customer: Account;
  before(async () => {
    customer = await registerCustomer();
  });

  it("rejects an expired token", async () => {
    const token = await signWith(
      await projectPrivateKey(),
      { sub: customer.id, role: "CUSTOMER" },
      { expiresAt: Math.floor(Date.now() / 1000) - 60 },
    );
    const result = await request(MeDocument, {}, { token });
    assert.equal(result.status, 401);
    assert.match(expectError(result, "UNAUTHENTICATED").message, /expired/);
  });

  it("rejects a token whose payload was changed (role raised to ADMIN)", async () => {
    const result = await request(AdminUsersDocument, {}, { token: tamper(customer.token, { role: "ADMIN" }) });
    assert.equal(result.status, 401);
    expectError(result, "UNAUTHENTICATED");
  });

  it("rejects tokens with the wrong algorithm: alg none, and HS256 keyed with the public key", async () => {
    const noneToken = unsigned({
      sub: customer.id,
      role: "ADMIN",
      iss: config.jwt.issuer,
      aud: config.jwt.audience,
      exp: Math.floor(Date.now() / 1000) + 600,
    });
    expectError(await request(AdminUsersDocument, {}, { token: noneToken }), "UNAUTHENTICATED");
    const keyFile = JSON.parse(readFileSync(config.jwt.keyFile, "utf8")) as { publicJwk: object };
    const publicPem = createPublicKey({ key: keyFile.publicJwk, format: "jwk" } as never).export({ type: "spki", format: "pem" });
    const hsToken = await signWith(new TextEncoder().encode(String(publicPem)), { sub: customer.id, role: "ADMIN" }, { alg: "HS256" });
    expectError(await request(AdminUsersDocument, {}, { token: hsToken }), "UNAUTHENTICATED");
  });

  it("rejects a token signed by another key", async () => {
    const token = await signWith(await foreignKey(), { sub: customer.id, role: "ADMIN" });
    expectError(await request(AdminUsersDocument, {}, { token }), "UNAUTHENTICATED");
  });
});

describe("identity sent straight to a subgraph", () => {
  it("ignores identity headers a client could set", async () => {
    const admin = await createAdmin();
    const result = await request(
      AdminUsersDocument,
      {},
      {
        url: subgraphUrl("users"),
        headers: { "x-user-id": admin.id, "x-user-role": "ADMIN", "x-viewer": JSON.stringify({ userId: admin.id, role: "ADMIN" }) },
      },
    );
    expectError(result, "UNAUTHENTICATED");
  });

  it("rejects a forged token with a 401", async () => {
    const admin = await createAdmin();
    const token = await signWith(await foreignKey(), { sub: admin.id, role: "ADMIN" });
    const result = await request(AdminUsersDocument, {}, { url: subgraphUrl("users"), token });
    assert.equal(result.status, 401);
    expectError(result, "UNAUTHENTICATED");
  });

  it("accepts the genuine token the router forwards", async () => {
    const admin = await createAdmin();
    const data = await requestOk(AdminUsersDocument, { first: 1 }, { url: subgraphUrl("users"), token: admin.token });
    assert.equal(data.users.edges.length, 1);
  });
});

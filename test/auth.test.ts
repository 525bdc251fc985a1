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
  gqlOk,
  randomIp,
  registerCustomer,
  subgraphUrl,
  uniqueEmail,
  type Account,
} from "./support/client.js";
import { foreignKey, projectPrivateKey, signWith, tamper, unsigned } from "./support/tokens.js";

const REGISTER = `mutation Register($input: RegisterInput!) { register(input: $input) { __typename ... on AuthPayload { token expiresAt user { id email name role } } ... on ErrorResult { message code } } }`;
const LOGIN = `mutation Login($email: String!, $password: String!) { login(email: $email, password: $password) { __typename ... on AuthPayload { token user { id email } } ... on ErrorResult { message code } } }`;
const ME = `query Me { me { id email name role defaultShippingAddress { line1 city postalCode country } } }`;
const UPDATE_PROFILE = `mutation Update($input: UpdateProfileInput!) { updateProfile(input: $input) { __typename ... on User { id name defaultShippingAddress { line1 line2 city region postalCode country } } ... on ErrorResult { message code } } }`;
const USERS = `query Users($first: Int, $after: String, $search: String) { users(first: $first, after: $after, search: $search) { totalCount edges { cursor node { id email role } } pageInfo { hasNextPage endCursor } } }`;
const SET_ROLE = `mutation SetRole($userId: ID!, $role: Role!) { setUserRole(userId: $userId, role: $role) { __typename ... on User { id role } ... on ErrorResult { message code } } }`;

describe("registration", () => {
  it("creates a customer, signs it in, and normalises the email", async () => {
    const email = uniqueEmail("Mixed.Case").replace("example", "EXAMPLE");
    const data = await gqlOk(REGISTER, { input: { email: `  ${email} `, password: STRONG_PASSWORD, name: " Ada " } }, { ip: randomIp() });
    assert.equal(data.register.user.email, email.toLowerCase());
    assert.equal(data.register.user.name, "Ada");
    assert.equal(data.register.user.role, "CUSTOMER");
    assert.ok(new Date(data.register.expiresAt).getTime() > Date.now());
    const me = await gqlOk(ME, {}, { token: data.register.token });
    assert.equal(me.me.id, data.register.user.id);
  });

  it("answers an email already taken in another case with EmailTakenError, creating nothing", async () => {
    const email = uniqueEmail("dup");
    await gqlOk(REGISTER, { input: { email, password: STRONG_PASSWORD, name: "First" } }, { ip: randomIp() });
    const result = await gql(
      REGISTER,
      { input: { email: email.toUpperCase(), password: STRONG_PASSWORD, name: "Second" } },
      { ip: randomIp() },
    );
    expectErrorResult(result, "register", "EmailTakenError", "EMAIL_TAKEN");
    const admin = await createAdmin();
    const users = await gqlOk(
      `query($search: String) { users(search: $search) { totalCount edges { node { name } } } }`,
      { search: email },
      { token: admin.token },
    );
    assert.deepEqual(
      users.users.edges.map((edge: { node: { name: string } }) => edge.node.name),
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
      const result = await gql(REGISTER, { input: { email, password, name: "Weak" } }, { ip: randomIp() });
      expectError(result, "BAD_USER_INPUT", "input.password");
      // Nothing was created: the same email can still register.
      await gqlOk(REGISTER, { input: { email, password: STRONG_PASSWORD, name: "Weak" } }, { ip: randomIp() });
    });
  }

  it("refuses a malformed email and an empty name with the field named", async () => {
    expectError(
      await gql(REGISTER, { input: { email: "not-an-email", password: STRONG_PASSWORD, name: "X" } }, { ip: randomIp() }),
      "BAD_USER_INPUT",
      "input.email",
    );
    expectError(
      await gql(REGISTER, { input: { email: uniqueEmail(), password: STRONG_PASSWORD, name: "  " } }, { ip: randomIp() }),
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
    const data = await gqlOk(LOGIN, { email: account.email.toUpperCase(), password: account.password }, { ip: randomIp() });
    assert.equal(data.login.user.id, account.id);
  });

  it("answers a wrong password and an unknown email the same way", async () => {
    const wrongPassword = await gql(LOGIN, { email: account.email, password: "not-the-password-1" }, { ip: randomIp() });
    const unknownEmail = await gql(LOGIN, { email: uniqueEmail("nobody"), password: "not-the-password-1" }, { ip: randomIp() });
    const a = expectErrorResult(wrongPassword, "login", "InvalidCredentialsError", "INVALID_CREDENTIALS");
    const b = expectErrorResult(unknownEmail, "login", "InvalidCredentialsError", "INVALID_CREDENTIALS");
    assert.deepEqual(a, b);
  });
});

describe("profile", () => {
  it("updates name and default shipping address, and removes the address with null", async () => {
    const account = await registerCustomer();
    const address = { line1: "1 Main St", city: "Berlin", postalCode: "10115", country: "de" };
    const updated = await gqlOk(UPDATE_PROFILE, { input: { name: "Renamed", defaultShippingAddress: address } }, { token: account.token });
    assert.equal(updated.updateProfile.name, "Renamed");
    assert.deepEqual(updated.updateProfile.defaultShippingAddress, { ...address, country: "DE", line2: null, region: null });
    const cleared = await gqlOk(UPDATE_PROFILE, { input: { defaultShippingAddress: null } }, { token: account.token });
    assert.equal(cleared.updateProfile.defaultShippingAddress, null);
    assert.equal(cleared.updateProfile.name, "Renamed");
  });

  it("refuses a bad country code and changes nothing", async () => {
    const account = await registerCustomer("Unchanged");
    const result = await gql(
      UPDATE_PROFILE,
      { input: { name: "Changed", defaultShippingAddress: { line1: "x", city: "y", postalCode: "1", country: "Germany" } } },
      { token: account.token },
    );
    expectError(result, "BAD_USER_INPUT", "input.defaultShippingAddress.country");
    assert.equal((await gqlOk(ME, {}, { token: account.token })).me.name, "Unchanged");
  });

  it("changes the password only with the current one", async () => {
    const account = await registerCustomer();
    expectError(
      await gql(UPDATE_PROFILE, { input: { newPassword: "another-strong-pass-9" } }, { token: account.token }),
      "BAD_USER_INPUT",
      "input.currentPassword",
    );
    expectErrorResult(
      await gql(
        UPDATE_PROFILE,
        { input: { currentPassword: "wrong-current-pass", newPassword: "another-strong-pass-9" } },
        { token: account.token },
      ),
      "updateProfile",
      "InvalidCredentialsError",
      "INVALID_CREDENTIALS",
    );
    expectError(
      await gql(UPDATE_PROFILE, { input: { currentPassword: account.password, newPassword: "short" } }, { token: account.token }),
      "BAD_USER_INPUT",
      "input.newPassword",
    );
    await gqlOk(
      UPDATE_PROFILE,
      { input: { currentPassword: account.password, newPassword: "another-strong-pass-9" } },
      { token: account.token },
    );
    expectErrorResult(
      await gql(LOGIN, { email: account.email, password: account.password }, { ip: randomIp() }),
      "login",
      "InvalidCredentialsError",
      "INVALID_CREDENTIALS",
    );
    await gqlOk(LOGIN, { email: account.email, password: "another-strong-pass-9" }, { ip: randomIp() });
  });

  it("needs a signed-in user", async () => {
    expectError(await gql(UPDATE_PROFILE, { input: { name: "Anon" } }), "UNAUTHENTICATED");
    assert.equal((await gqlOk(ME)).me, null);
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
    const first = await gqlOk(USERS, { first: 2 }, { token: admin.token });
    assert.equal(first.users.edges.length, 2);
    assert.ok(first.users.totalCount >= 2);
    const second = await gqlOk(USERS, { first: 2, after: first.users.pageInfo.endCursor }, { token: admin.token });
    const firstIds = first.users.edges.map((e: { node: { id: string } }) => e.node.id);
    for (const edge of second.users.edges) assert.ok(!firstIds.includes(edge.node.id), "pages overlap");
    const found = await gqlOk(USERS, { search: customer.email.toUpperCase() }, { token: admin.token });
    assert.deepEqual(
      found.users.edges.map((e: { node: { id: string } }) => e.node.id),
      [customer.id],
    );
    expectError(await gql(USERS, { first: 1000 }, { token: admin.token }), "BAD_USER_INPUT", "first");
    expectError(await gql(USERS, { after: "garbage" }, { token: admin.token }), "BAD_USER_INPUT", "after");
  });

  it("refuses admin operations to a customer (FORBIDDEN) and to anonymous callers (UNAUTHENTICATED)", async () => {
    expectError(await gql(USERS, {}, { token: customer.token }), "FORBIDDEN");
    expectError(await gql(SET_ROLE, { userId: customer.id, role: "ADMIN" }, { token: customer.token }), "FORBIDDEN");
    expectError(await gql(USERS), "UNAUTHENTICATED");
    const me = await gqlOk(ME, {}, { token: customer.token });
    assert.equal(me.me.role, "CUSTOMER");
  });

  it("lets an admin change a role, effective at the user's next sign-in", async () => {
    const promoted = await registerCustomer();
    const data = await gqlOk(SET_ROLE, { userId: promoted.id, role: "ADMIN" }, { token: admin.token });
    assert.equal(data.setUserRole.role, "ADMIN");
    const login = await gqlOk(LOGIN, { email: promoted.email, password: promoted.password }, { ip: randomIp() });
    await gqlOk(USERS, { first: 1 }, { token: login.login.token });
    expectError(
      await gql(SET_ROLE, { userId: "01a2008b-c86d-731e-9b39-000000000000", role: "ADMIN" }, { token: admin.token }),
      "NOT_FOUND",
    );
  });

  it("hides a user from other customers: no email, not even a name", async () => {
    const other = await registerCustomer();
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
    const result = await gql(ME, {}, { token });
    assert.equal(result.status, 401);
    assert.match(expectError(result, "UNAUTHENTICATED").message, /expired/);
  });

  it("rejects a token whose payload was changed (role raised to ADMIN)", async () => {
    const result = await gql(USERS, {}, { token: tamper(customer.token, { role: "ADMIN" }) });
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
    expectError(await gql(USERS, {}, { token: noneToken }), "UNAUTHENTICATED");
    const keyFile = JSON.parse(readFileSync(config.jwt.keyFile, "utf8")) as { publicJwk: object };
    const publicPem = createPublicKey({ key: keyFile.publicJwk, format: "jwk" } as never).export({ type: "spki", format: "pem" });
    const hsToken = await signWith(new TextEncoder().encode(String(publicPem)), { sub: customer.id, role: "ADMIN" }, { alg: "HS256" });
    expectError(await gql(USERS, {}, { token: hsToken }), "UNAUTHENTICATED");
  });

  it("rejects a token signed by another key", async () => {
    const token = await signWith(await foreignKey(), { sub: customer.id, role: "ADMIN" });
    expectError(await gql(USERS, {}, { token }), "UNAUTHENTICATED");
  });
});

describe("identity sent straight to a subgraph", () => {
  it("ignores identity headers a client could set", async () => {
    const admin = await createAdmin();
    const result = await gql(
      USERS,
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
    const result = await gql(USERS, {}, { url: subgraphUrl("users"), token });
    assert.equal(result.status, 401);
    expectError(result, "UNAUTHENTICATED");
  });

  it("accepts the genuine token the router forwards", async () => {
    const admin = await createAdmin();
    const data = await gqlOk(USERS, { first: 1 }, { url: subgraphUrl("users"), token: admin.token });
    assert.equal(data.users.edges.length, 1);
  });
});

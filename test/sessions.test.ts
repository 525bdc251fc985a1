// Sessions end to end: short access tokens, rotating refresh tokens with reuse detection, logout,
// and revocation (role change, password change, deletion) refused by the router and every subgraph.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { SignJWT } from "jose";
import { TokenRevocations } from "../lib/revocations.js";
import { createLogger } from "../lib/logger.js";
import { prismaAdapter } from "../lib/database.js";
import { PrismaClient as UsersPrisma } from "../prisma/users/__generated__/client.js";
import {
  config,
  createAdmin,
  expectError,
  expectErrorResult,
  gql,
  documentSource,
  randomIp,
  registerCustomer,
  request,
  requestOk,
  subgraphUrl,
  type Account,
  type GraphQLResult,
} from "./support/client.js";
import {
  AdminUsersDocument,
  CreateCategoryDocument,
  DeleteAccountDocument,
  DeleteUserDocument,
  LoginDocument,
  LogoutDocument,
  LogoutEverywhereDocument,
  MeDocument,
  RefreshTokenDocument,
  SetUserRoleDocument,
  UpdateProfileDocument,
} from "../sdk/__generated__/graphql.js";
import { projectPrivateKey, signWith } from "./support/tokens.js";

// Kept as strings: myCart straight to the carts subgraph (MyCart selects product fields only the
// catalog resolves) and user(id), which no SDK operation sends.
const CARTS_SUBGRAPH_MY_CART = `query MyCart { myCart { id } }`;
const USER = `query User($id: ID!) { user(id: $id) { id } }`;

// The test reads and removes revocation markers directly, under the run's own key prefix.
const redis = new Redis(config.redis.url);
const revocations = new TokenRevocations(redis, config.redis.prefix, config.jwt.ttlSeconds, createLogger("test", "silent"));
const usersDb = new UsersPrisma({ adapter: prismaAdapter(config.subgraphs.users.databaseUrl, 1) });
after(async () => {
  redis.disconnect();
  await usersDb.$disconnect();
});

// Refreshing is limited per client address like login: every call comes from an address of its own.
const refresh = (refreshToken: string) => request(RefreshTokenDocument, { refreshToken }, { ip: randomIp() });
async function login(account: Pick<Account, "email" | "password">) {
  const { login: result } = await requestOk(LoginDocument, { email: account.email, password: account.password }, { ip: randomIp() });
  assert.equal(result.__typename, "AuthPayload", JSON.stringify(result));
  return result;
}

function expectRefused(result: GraphQLResult<unknown>, where: string): void {
  assert.equal(result.status, 401, `${where}: expected 401, got ${result.status} ${JSON.stringify(result.errors)}`);
  expectError(result, "UNAUTHENTICATED");
}

/** The access token is refused by the router and straight by two subgraphs. */
async function expectTokenRefusedEverywhere(token: string): Promise<void> {
  expectRefused(await request(MeDocument, {}, { token }), "router me");
  expectRefused(await request(MeDocument, {}, { token, url: subgraphUrl("users") }), "users subgraph me");
  expectRefused(await gql(CARTS_SUBGRAPH_MY_CART, {}, { token, url: subgraphUrl("carts") }), "carts subgraph myCart");
}

async function expectRefreshRefused(refreshToken: string): Promise<void> {
  const result = await refresh(refreshToken);
  expectError(result, "UNAUTHENTICATED");
  assert.equal(result.data, null);
}

describe("a demoted administrator", () => {
  it("is refused everywhere with the old token, and cannot promote itself back", async () => {
    const demoted = await createAdmin();
    const other = await createAdmin();
    await requestOk(AdminUsersDocument, { first: 1 }, { token: demoted.token });
    await requestOk(SetUserRoleDocument, { userId: demoted.id, role: "CUSTOMER" }, { token: other.token });

    expectRefused(await request(AdminUsersDocument, { first: 1 }, { token: demoted.token }), "router users");
    expectRefused(
      await request(SetUserRoleDocument, { userId: demoted.id, role: "ADMIN" }, { token: demoted.token }),
      "router setUserRole",
    );
    expectRefused(
      await request(CreateCategoryDocument, { input: { name: `Sneaky ${randomUUID()}` } }, { token: demoted.token }),
      "router createCategory",
    );
    expectRefused(
      await request(AdminUsersDocument, { first: 1 }, { token: demoted.token, url: subgraphUrl("users") }),
      "users subgraph users",
    );
    expectRefused(
      await request(SetUserRoleDocument, { userId: demoted.id, role: "ADMIN" }, { token: demoted.token, url: subgraphUrl("users") }),
      "users subgraph setUserRole",
    );
    expectRefused(
      await request(
        CreateCategoryDocument,
        { input: { name: `Sneaky ${randomUUID()}` } },
        { token: demoted.token, url: subgraphUrl("products") },
      ),
      "products subgraph createCategory",
    );
    await expectTokenRefusedEverywhere(demoted.token);
    await expectRefreshRefused(demoted.refreshToken);

    // Signing in again gives a customer's token, which cannot raise itself either.
    const fresh = await login(demoted);
    assert.equal(fresh.user.role, "CUSTOMER");
    expectError(await request(SetUserRoleDocument, { userId: demoted.id, role: "ADMIN" }, { token: fresh.token }), "FORBIDDEN");
    assert.equal((await requestOk(MeDocument, {}, { token: other.token })).me?.role, "ADMIN");
  });

  it("is refused by the users subgraph's own role check even if the revocation marker is lost", async () => {
    const demoted = await createAdmin();
    const other = await createAdmin();
    await requestOk(SetUserRoleDocument, { userId: demoted.id, role: "CUSTOMER" }, { token: other.token });
    // Simulate a verifier that could not see the revocation (Redis lost the key): the token's ADMIN role
    // is then still readable, and the users subgraph must refuse from the database.
    await redis.del(revocations.userKey(demoted.id));
    await requestOk(MeDocument, {}, { token: demoted.token });
    expectError(await request(AdminUsersDocument, { first: 1 }, { token: demoted.token }), "FORBIDDEN");
    expectError(await gql(USER, { id: other.id }, { token: demoted.token }), "FORBIDDEN");
    expectError(await request(SetUserRoleDocument, { userId: demoted.id, role: "ADMIN" }, { token: demoted.token }), "FORBIDDEN");
    expectError(await request(DeleteUserDocument, { id: other.id }, { token: demoted.token }), "FORBIDDEN");
    assert.equal((await requestOk(MeDocument, {}, { token: other.token })).me?.role, "ADMIN");
  });
});

describe("deleting accounts", () => {
  it("deleteAccount needs the password, then refuses the user's tokens everywhere", async () => {
    const customer = await registerCustomer();
    expectErrorResult(
      await request(DeleteAccountDocument, { password: "not-the-password-1" }, { token: customer.token }),
      "deleteAccount",
      "InvalidCredentialsError",
      "INVALID_CREDENTIALS",
    );
    expectError(await request(DeleteAccountDocument, { password: customer.password }), "UNAUTHENTICATED");
    await requestOk(MeDocument, {}, { token: customer.token });

    assert.deepEqual((await requestOk(DeleteAccountDocument, { password: customer.password }, { token: customer.token })).deleteAccount, {
      __typename: "UserDeleted",
      id: customer.id,
    });
    await expectTokenRefusedEverywhere(customer.token);
    await expectRefreshRefused(customer.refreshToken);
    expectErrorResult(
      await request(LoginDocument, { email: customer.email, password: customer.password }, { ip: randomIp() }),
      "login",
      "InvalidCredentialsError",
      "INVALID_CREDENTIALS",
    );
  });

  it("deleteUser is for administrators, refuses unknown ids, and refuses the deleted user's tokens", async () => {
    const admin = await createAdmin();
    const customer = await registerCustomer();
    const bystander = await registerCustomer();
    expectError(await request(DeleteUserDocument, { id: bystander.id }, { token: customer.token }), "FORBIDDEN");
    expectError(await request(DeleteUserDocument, { id: "01a2008b-c86d-731e-9b39-000000000000" }, { token: admin.token }), "NOT_FOUND");
    expectError(await request(DeleteUserDocument, { id: "not-a-uuid" }, { token: admin.token }), "NOT_FOUND");

    assert.deepEqual((await requestOk(DeleteUserDocument, { id: customer.id }, { token: admin.token })).deleteUser, {
      __typename: "UserDeleted",
      id: customer.id,
    });
    await expectTokenRefusedEverywhere(customer.token);
    await expectRefreshRefused(customer.refreshToken);
    expectError(await request(DeleteUserDocument, { id: customer.id }, { token: admin.token }), "NOT_FOUND");
    // Nobody else was touched.
    assert.equal((await requestOk(MeDocument, {}, { token: bystander.token })).me?.id, bystander.id);
    await requestOk(MeDocument, {}, { token: admin.token });
  });

  it("an administrator deleting themself goes through the same check and ends their own sessions", async () => {
    const admin = await createAdmin();
    await createAdmin(); // so this one is not the last
    assert.equal((await requestOk(DeleteUserDocument, { id: admin.id }, { token: admin.token })).deleteUser.__typename, "UserDeleted");
    await expectTokenRefusedEverywhere(admin.token);
  });
});

describe("changing the password", () => {
  it("ends every session (old access and refresh tokens refused); the new password signs in", async () => {
    const account = await registerCustomer();
    const otherDevice = await login(account);
    const newPassword = "fresh-harbor-lantern-77";
    await requestOk(UpdateProfileDocument, { input: { currentPassword: account.password, newPassword } }, { token: account.token });

    await expectTokenRefusedEverywhere(account.token);
    await expectTokenRefusedEverywhere(otherDevice.token);
    await expectRefreshRefused(account.refreshToken);
    await expectRefreshRefused(otherDevice.refreshToken);

    const signedIn = await login({ email: account.email, password: newPassword });
    assert.equal((await requestOk(MeDocument, {}, { token: signedIn.token })).me?.id, account.id);
    assert.equal((await refresh(signedIn.refreshToken)).errors, undefined);
  });

  it("a profile change without a new password ends nothing", async () => {
    const account = await registerCustomer();
    await requestOk(UpdateProfileDocument, { input: { name: "Renamed" } }, { token: account.token });
    await requestOk(MeDocument, {}, { token: account.token });
    assert.equal((await refresh(account.refreshToken)).errors, undefined);
  });
});

describe("refresh tokens", () => {
  it("rotate: the new pair works, and the session keeps its original end", async () => {
    const account = await registerCustomer();
    const first = await login(account);
    const r1 = await refresh(first.refreshToken);
    assert.equal(r1.errors, undefined, JSON.stringify(r1.errors));
    const second = r1.data.refreshToken;
    assert.notEqual(second.refreshToken, first.refreshToken);
    assert.notEqual(second.token, first.token);
    assert.equal(second.refreshTokenExpiresAt, first.refreshTokenExpiresAt);
    assert.equal(r1.data.refreshToken.user.email, account.email);
    assert.equal((await requestOk(MeDocument, {}, { token: second.token })).me?.id, account.id);
    // The access token of before the rotation stays valid until it expires: rotation is not revocation.
    await requestOk(MeDocument, {}, { token: first.token });
    const r2 = await refresh(second.refreshToken);
    assert.equal(r2.errors, undefined, JSON.stringify(r2.errors));
  });

  it("a reused refresh token ends the whole session, newest tokens included, and no other session", async () => {
    const account = await registerCustomer();
    const stolen = await login(account);
    const otherDevice = await login(account);
    const second = (await refresh(stolen.refreshToken)).data.refreshToken;
    const third = (await refresh(second.refreshToken)).data.refreshToken;
    await requestOk(MeDocument, {}, { token: third.token });

    const replay = await refresh(stolen.refreshToken);
    assert.match(expectError(replay, "UNAUTHENTICATED").message, /already used/);
    await expectRefreshRefused(third.refreshToken);
    await expectTokenRefusedEverywhere(third.token);
    await expectTokenRefusedEverywhere(second.token);
    await expectTokenRefusedEverywhere(stolen.token);

    await requestOk(MeDocument, {}, { token: otherDevice.token });
    assert.equal((await refresh(otherDevice.refreshToken)).errors, undefined);
  });

  it("of concurrent refreshes with the same token, at most one succeeds", async () => {
    const account = await registerCustomer();
    const session = await login(account);
    const results = await Promise.all(Array.from({ length: 4 }, () => refresh(session.refreshToken)));
    const succeeded = results.filter((r) => r.errors === undefined);
    assert.ok(succeeded.length <= 1, `${succeeded.length} refreshes succeeded`);
    for (const failed of results.filter((r) => r.errors !== undefined)) {
      assert.equal(failed.status, 200);
      expectError(failed, "UNAUTHENTICATED");
    }
    // The losers count as reuse: the session is over, including whatever the winner got.
    for (const won of succeeded) {
      await expectRefreshRefused(won.data.refreshToken.refreshToken);
      expectRefused(await request(MeDocument, {}, { token: won.data.refreshToken.token }), "winner's access token");
    }
    await expectRefreshRefused(session.refreshToken);
  });

  it("cannot refresh a session that began before the user's sessions were ended (a sign-in racing the change)", async () => {
    const account = await registerCustomer();
    const racing = await login(account);
    // The outcome of the race, made directly: the session was created after the sweep that marks sessions
    // ended, so only the user's sessionsRevokedAt, later than the session's start, can stop it.
    await usersDb.user.update({ where: { id: account.id }, data: { sessionsRevokedAt: new Date() } });
    await expectRefreshRefused(racing.refreshToken);
    const next = await login(account);
    assert.equal((await refresh(next.refreshToken)).errors, undefined);
  });

  it("are limited per client address like login", async () => {
    const ip = randomIp();
    const garbage = { refreshToken: "not-a-refresh-token" };
    for (let i = 0; i < config.rateLimit.authMax; i++) expectError(await request(RefreshTokenDocument, garbage, { ip }), "BAD_USER_INPUT");
    const limited = await request(RefreshTokenDocument, garbage, { ip });
    assert.equal(limited.status, 429);
    expectError(limited, "RATE_LIMITED");
  });

  it("garbage answers BAD_USER_INPUT or UNAUTHENTICATED, never a server error", async () => {
    const malformed = [
      "",
      " ",
      "x".repeat(100_000),
      "\u0000".repeat(43),
      `${"a".repeat(41)}\n\r`,
      "a".repeat(42) + "=",
      "a".repeat(44),
      "+/".repeat(21) + "a",
      "' OR 1=1 --",
    ];
    const customer = await registerCustomer();
    malformed.push(customer.token); // an access token is not a refresh token
    for (const value of malformed) {
      const result = await refresh(value);
      assert.ok(result.status < 500, `status ${result.status} for ${JSON.stringify(value.slice(0, 50))}`);
      expectError(result, "BAD_USER_INPUT", "refreshToken");
      assert.doesNotMatch(result.errors![0]!.message, /aaaa|OR 1=1/, "the message must not echo the token");
      expectError(await request(LogoutDocument, { refreshToken: value }, { token: customer.token }), "BAD_USER_INPUT", "refreshToken");
    }
    // Well-formed but unknown, and another user's already rotated token.
    expectError(await refresh(randomBytes(32).toString("base64url")), "UNAUTHENTICATED");
    const victim = await registerCustomer();
    await refresh(victim.refreshToken);
    const reuse = await refresh(victim.refreshToken);
    assert.equal(reuse.status, 200);
    expectError(reuse, "UNAUTHENTICATED");
    expectError(await gql(documentSource(RefreshTokenDocument), { refreshToken: null }, { ip: randomIp() }), "BAD_USER_INPUT");
    expectError(await gql(documentSource(RefreshTokenDocument), { refreshToken: 42 }, { ip: randomIp() }), "BAD_USER_INPUT");
    // The customer's own session was never touched by any of it.
    await requestOk(MeDocument, {}, { token: customer.token });
  });
});

describe("logout", () => {
  it("ends that session only; another device keeps working", async () => {
    const account = await registerCustomer();
    const phone = await login(account);
    assert.equal((await requestOk(LogoutDocument, { refreshToken: account.refreshToken }, { token: account.token })).logout, true);
    await expectTokenRefusedEverywhere(account.token);
    await expectRefreshRefused(account.refreshToken);
    await requestOk(MeDocument, {}, { token: phone.token });
    assert.equal((await refresh(phone.refreshToken)).errors, undefined);
  });

  it("works with only the access token, or only the refresh token, and is idempotent", async () => {
    const account = await registerCustomer();
    const byAccessToken = await login(account);
    assert.equal((await requestOk(LogoutDocument, {}, { token: byAccessToken.token })).logout, true);
    await expectRefreshRefused(byAccessToken.refreshToken);
    await expectTokenRefusedEverywhere(byAccessToken.token);

    const byRefreshToken = await login(account);
    assert.equal((await requestOk(LogoutDocument, { refreshToken: byRefreshToken.refreshToken })).logout, true);
    assert.equal((await requestOk(LogoutDocument, { refreshToken: byRefreshToken.refreshToken })).logout, true);
    await expectTokenRefusedEverywhere(byRefreshToken.token);
    await requestOk(MeDocument, {}, { token: account.token });
  });

  it("refuses a call with nothing to end, and another user's refresh token", async () => {
    expectError(await request(LogoutDocument, {}), "UNAUTHENTICATED");
    expectError(await request(LogoutDocument, { refreshToken: randomBytes(32).toString("base64url") }), "UNAUTHENTICATED");
    const mallory = await registerCustomer();
    const victim = await registerCustomer();
    expectError(await request(LogoutDocument, { refreshToken: victim.refreshToken }, { token: mallory.token }), "UNAUTHENTICATED");
    await requestOk(MeDocument, {}, { token: victim.token });
    await requestOk(MeDocument, {}, { token: mallory.token });
    assert.equal((await refresh(victim.refreshToken)).errors, undefined);
  });

  it("logoutEverywhere ends every session of the user and no one else's", async () => {
    const account = await registerCustomer();
    const phone = await login(account);
    const bystander = await registerCustomer();
    assert.equal((await requestOk(LogoutEverywhereDocument, {}, { token: phone.token })).logoutEverywhere, true);
    for (const session of [account, phone]) {
      await expectTokenRefusedEverywhere(session.token);
      await expectRefreshRefused(session.refreshToken);
    }
    expectError(await request(LogoutEverywhereDocument), "UNAUTHENTICATED");
    await requestOk(MeDocument, {}, { token: bystander.token });
    const again = await login(account);
    await requestOk(MeDocument, {}, { token: again.token });
  });
});

describe("tokens issued around a revocation", () => {
  const signSessionToken = async (userId: string, issuedAtMs: number, sessionId = randomUUID()) =>
    new SignJWT({ role: "CUSTOMER", sid: sessionId, iat_ms: issuedAtMs })
      .setProtectedHeader({ alg: "EdDSA", typ: "JWT" })
      .setSubject(userId)
      .setIssuer(config.jwt.issuer)
      .setAudience(config.jwt.audience)
      .setIssuedAt(Math.floor(issuedAtMs / 1000))
      .setExpirationTime(Math.floor(Date.now() / 1000) + 600)
      .sign(await projectPrivateKey());

  it("a sign-in right after logoutEverywhere works", async () => {
    const account = await registerCustomer();
    for (let i = 0; i < 3; i++) {
      await requestOk(LogoutEverywhereDocument, {}, { token: (await login(account)).token });
      const next = await login(account);
      assert.equal((await requestOk(MeDocument, {}, { token: next.token })).me?.id, account.id);
    }
  });

  it("compares milliseconds: in the revocation's second, a token from before it is refused and one from after works", async () => {
    const account = await registerCustomer();
    await requestOk(LogoutEverywhereDocument, {}, { token: account.token });
    const marker = Number(await redis.get(revocations.userKey(account.id)));
    assert.ok(marker > 0, "logoutEverywhere wrote no marker");
    const secondStart = Math.floor(marker / 1000) * 1000;
    expectRefused(await request(MeDocument, {}, { token: await signSessionToken(account.id, marker - 1) }), "token from just before");
    // Whole seconds could not tell these apart: same `iat`, one before the revocation, the others after.
    if (marker > secondStart) {
      expectRefused(
        await request(MeDocument, {}, { token: await signSessionToken(account.id, secondStart) }),
        "token from earlier that second",
      );
    }
    assert.equal((await requestOk(MeDocument, {}, { token: await signSessionToken(account.id, marker) })).me?.id, account.id);
    await requestOk(MeDocument, {}, { token: await signSessionToken(account.id, marker + 1) });
    await requestOk(MeDocument, {}, { token: await signSessionToken(account.id, secondStart + 999) });
  });

  it("refuses a token without a session (made before sessions existed), even well signed", async () => {
    const customer = await registerCustomer();
    const token = await signWith(await projectPrivateKey(), { sub: customer.id, role: "CUSTOMER" });
    expectRefused(await request(MeDocument, {}, { token }), "token without sid");
  });
});

describe("TokenRevocations when Redis cannot be read", () => {
  it("fails open to the revocations it last saw", async () => {
    const client = new Redis(config.redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
    await client.connect();
    const checker = new TokenRevocations(client, config.redis.prefix, config.jwt.ttlSeconds, createLogger("test", "silent"));
    const revokedUser = randomUUID();
    const session = { sessionId: randomUUID(), issuedAtMs: Date.now() - 1000 };
    await checker.revokeUser(revokedUser);
    assert.equal(await checker.isRevoked({ userId: revokedUser, ...session }), true);
    assert.equal(await checker.isRevoked({ userId: randomUUID(), ...session }), false);

    client.disconnect(); // from here every read fails, as with Redis away
    assert.equal(await checker.isRevoked({ userId: revokedUser, ...session }), true, "the known revocation still applies");
    assert.equal(await checker.isRevoked({ userId: randomUUID(), ...session }), false, "unknown users pass");
    await assert.rejects(checker.revokeSession(randomUUID()), "a revocation that cannot be written fails loudly");
  });
});

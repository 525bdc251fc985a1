// The last administrator can be neither demoted nor deleted, by anyone, themself included. The run's
// users database holds many administrators, so this file starts a users subgraph of its own, in this
// process, on a users database of its own.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { SUBGRAPH_NAMES, type Config } from "../lib/config.js";
import { createPrisma } from "../lib/database.js";
import type { RunningServer } from "../lib/subgraph.js";
import { dropDatabases, ensureDatabases } from "../scripts/lib/stack.js";
import { PrismaClient as UsersPrisma } from "../prisma/users/__generated__/client.js";
import { createUsersServer } from "../subgraphs/users/src/server.js";
import { makeAdmin } from "../subgraphs/users/src/users.js";
import { DeleteAccountDocument, DeleteUserDocument, LoginDocument, MeDocument, SetUserRoleDocument } from "../sdk/__generated__/graphql.js";
import { config as runConfig, expectErrorResult, request, requestOk, serviceHeaders, uniqueEmail, type Account } from "./support/client.js";

const config: Config = {
  ...runConfig,
  logLevel: "silent",
  subgraphs: Object.fromEntries(
    SUBGRAPH_NAMES.map((name) => {
      const url = new URL(runConfig.subgraphs[name].databaseUrl);
      url.pathname = `${url.pathname}_admins`;
      return [name, { ...runConfig.subgraphs[name], databaseUrl: url.toString() }];
    }),
  ) as Config["subgraphs"],
};

let prisma: NonNullable<Parameters<typeof createUsersServer>[1]>;
let server: RunningServer;
let url: string;

before(async () => {
  await ensureDatabases(config);
  await promisify(execFile)("npx", ["prisma", "migrate", "deploy", "--config", "prisma/users/prisma.config.ts"], {
    env: { ...process.env, USERS_DATABASE_URL: config.subgraphs.users.databaseUrl },
  });
  prisma = createPrisma("users", config, UsersPrisma);
  server = await createUsersServer(config, prisma);
  url = `http://127.0.0.1:${await server.listen(0)}/graphql`;
});

after(async () => {
  await server?.stop();
  await dropDatabases(config);
});

async function admin(): Promise<Account> {
  const email = uniqueEmail("admin");
  const { user, generatedPassword } = await makeAdmin(prisma, email);
  const { login } = await requestOk(LoginDocument, { email, password: generatedPassword! }, { url, headers: serviceHeaders() });
  assert.equal(login.__typename, "AuthPayload", JSON.stringify(login));
  return { id: user.id, email, password: generatedPassword!, token: login.token, refreshToken: login.refreshToken };
}

const adminCount = () => prisma.user.count({ where: { role: "ADMIN" } });

describe("the last administrator", () => {
  it("cannot demote or delete themself, by deleteUser or deleteAccount", async () => {
    const only = await admin();
    expectErrorResult(
      await request(SetUserRoleDocument, { userId: only.id, role: "CUSTOMER" }, { url, headers: serviceHeaders(), token: only.token }),
      "setUserRole",
      "LastAdminError",
      "LAST_ADMIN",
    );
    expectErrorResult(
      await request(DeleteUserDocument, { id: only.id }, { url, headers: serviceHeaders(), token: only.token }),
      "deleteUser",
      "LastAdminError",
      "LAST_ADMIN",
    );
    expectErrorResult(
      await request(DeleteAccountDocument, { password: only.password }, { url, headers: serviceHeaders(), token: only.token }),
      "deleteAccount",
      "LastAdminError",
      "LAST_ADMIN",
    );
    assert.equal(await adminCount(), 1);
    // Nothing ended: the session still works.
    assert.equal((await requestOk(MeDocument, {}, { url, headers: serviceHeaders(), token: only.token })).me?.role, "ADMIN");
  });

  it("survives two administrators deleting each other at once", async () => {
    await prisma.user.deleteMany({});
    const a = await admin();
    const b = await admin();
    const results = await Promise.all([
      request(DeleteUserDocument, { id: b.id }, { url, headers: serviceHeaders(), token: a.token }),
      request(DeleteUserDocument, { id: a.id }, { url, headers: serviceHeaders(), token: b.token }),
    ]);
    for (const result of results) {
      assert.ok(result.status < 500, JSON.stringify(result.errors));
      if (result.errors) assert.ok(["CONFLICT", "UNAUTHENTICATED", "NOT_FOUND"].includes(String(result.errors[0]!.extensions?.code)));
      else assert.ok(["UserDeleted", "LastAdminError"].includes(String(result.data.deleteUser.__typename)));
    }
    assert.ok(results.filter((r) => r.data?.deleteUser?.__typename === "UserDeleted").length <= 1, "both deletions succeeded");
    assert.ok((await adminCount()) >= 1, "no administrator left");
  });
});

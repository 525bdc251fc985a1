// The job dashboard (router/src/jobDashboard.ts): Bull Board at /admin/queues for administrators only,
// its cookie session, the same-origin rule for cookie-authenticated changes, and retrying a failed job.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { Job } from "bullmq";
import { createLogger } from "../lib/logger.js";
import { QUEUE_NAMES, createQueue, stockJobId, type StockJobData } from "../lib/queues.js";
import { LogoutEverywhereDocument } from "../sdk/__generated__/graphql.js";
import { config, createAdmin, eventually, registerCustomer, requestOk, routerBase, type Account } from "./support/client.js";
import { forgedToken } from "./support/tokens.js";

const log = createLogger("job-dashboard-test", "warn");
const stockQueue = createQueue(QUEUE_NAMES.stock, config, log);
const DASHBOARD = `${routerBase}/admin/queues`;
const QUEUES_API = `${DASHBOARD}/api/queues`;
const SESSION = `${routerBase}/admin/session`;

let admin: Account;
let customer: Account;
const createdJobs: Job[] = [];

before(async () => {
  [admin, customer] = await Promise.all([createAdmin(), registerCustomer()]);
});

after(async () => {
  for (const job of createdJobs) await job.remove().catch(() => undefined);
  await stockQueue.close();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function errorCode(response: Response): Promise<string> {
  assert.match(response.headers.get("content-type") ?? "", /application\/json/);
  const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
  return body.errors[0]!.extensions.code;
}

/** Signs in to the dashboard with a Bearer token; returns the cookie pair to send back. */
async function dashboardSession(token: string): Promise<{ cookie: string; setCookie: string }> {
  const response = await fetch(SESSION, { method: "POST", headers: bearer(token) });
  assert.equal(response.status, 200, await response.clone().text());
  const setCookie = response.headers.get("set-cookie") ?? "";
  return { cookie: setCookie.split(";")[0]!, setCookie };
}

/** A stock job the inventory worker fails at once as unrecoverable: its lines are not a list. */
async function failedStockJob(): Promise<Job<StockJobData>> {
  const orderId = randomUUID();
  const job = await stockQueue.add(
    "reserve",
    { orderId, lines: "not a list" as unknown as StockJobData["lines"] },
    { jobId: stockJobId("reserve", orderId) },
  );
  createdJobs.push(job);
  await eventually(async () => (await job.getState()) === "failed", "the malformed stock job failing");
  return job;
}

describe("who may use the dashboard", () => {
  for (const [what, url] of [
    ["the page", DASHBOARD],
    ["its API", QUEUES_API],
  ] as const) {
    it(`refuses anonymous callers on ${what} with 401`, async () => {
      const response = await fetch(url);
      assert.equal(response.status, 401);
      assert.equal(await errorCode(response), "UNAUTHENTICATED");
    });

    it(`refuses customers on ${what} with 403, by header or by cookie`, async () => {
      const byHeader = await fetch(url, { headers: bearer(customer.token) });
      assert.equal(byHeader.status, 403);
      assert.equal(await errorCode(byHeader), "FORBIDDEN");
      // A customer's token in the cookie (set by hand: the session endpoint refuses customers) is refused too.
      const byCookie = await fetch(url, { headers: { cookie: `shopgraph_admin=${customer.token}` } });
      assert.equal(byCookie.status, 403);
    });

    it(`refuses a forged admin token on ${what} with 401`, async () => {
      const response = await fetch(url, { headers: bearer(await forgedToken(admin.id)) });
      assert.equal(response.status, 401);
      assert.equal(await errorCode(response), "UNAUTHENTICATED");
    });
  }

  it("will not give a customer a dashboard session", async () => {
    const response = await fetch(SESSION, { method: "POST", headers: bearer(customer.token) });
    assert.equal(response.status, 403);
    assert.equal(response.headers.get("set-cookie"), null);
    const anonymous = await fetch(SESSION, { method: "POST" });
    assert.equal(anonymous.status, 401);
  });

  it("shows an administrator every queue, with this run's jobs", async () => {
    const page = await fetch(DASHBOARD, { headers: bearer(admin.token) });
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type") ?? "", /text\/html/);
    const response = await fetch(QUEUES_API, { headers: bearer(admin.token) });
    assert.equal(response.status, 200);
    const { queues } = (await response.json()) as { queues: { name: string; counts: Record<string, number> }[] };
    assert.deepEqual(queues.map((queue) => queue.name).sort(), Object.values(QUEUE_NAMES).sort());
    // The counts come from this run's REDIS_PREFIX: the stock queue sees a job this test adds.
    const before = queues.find((queue) => queue.name === "stock")!.counts.failed ?? 0;
    await failedStockJob();
    const again = (await (await fetch(QUEUES_API, { headers: bearer(admin.token) })).json()) as { queues: typeof queues };
    assert.equal(again.queues.find((queue) => queue.name === "stock")!.counts.failed, before + 1);
  });
});

describe("the cookie session", () => {
  it("is HttpOnly, SameSite=Strict, limited to /admin and expires with the token", async () => {
    const { setCookie } = await dashboardSession(admin.token);
    assert.match(setCookie, /^shopgraph_admin=[\w-]+\.[\w-]+\.[\w-]+;/);
    assert.match(setCookie, /; HttpOnly/);
    assert.match(setCookie, /; SameSite=Strict/);
    assert.match(setCookie, /; Path=\/admin(;|$)/);
    const maxAge = Number(/Max-Age=(\d+)/.exec(setCookie)?.[1]);
    assert.ok(maxAge > 0 && maxAge <= config.jwt.ttlSeconds, `Max-Age ${maxAge}`);
    // Not Secure outside production (tests run over http); production adds it (lib/config isProduction).
    assert.doesNotMatch(setCookie, /Secure/);
  });

  it("opens the page and the API, and a revoked token is refused at once", async () => {
    const own = await createAdmin();
    const { cookie } = await dashboardSession(own.token);
    assert.equal((await fetch(DASHBOARD, { headers: { cookie } })).status, 200);
    assert.equal((await fetch(QUEUES_API, { headers: { cookie } })).status, 200);

    assert.equal((await requestOk(LogoutEverywhereDocument, {}, { token: own.token })).logoutEverywhere, true);
    for (const url of [DASHBOARD, QUEUES_API]) {
      const response = await fetch(url, { headers: { cookie } });
      assert.equal(response.status, 401, url);
      assert.equal(await errorCode(response), "UNAUTHENTICATED");
    }
    // Nor can the revoked token start a new session.
    assert.equal((await fetch(SESSION, { method: "POST", headers: bearer(own.token) })).status, 401);
  });

  it("signing out clears the cookie", async () => {
    const response = await fetch(SESSION, { method: "DELETE" });
    assert.equal(response.status, 204);
    assert.match(response.headers.get("set-cookie") ?? "", /^shopgraph_admin=; Path=\/admin; HttpOnly; SameSite=Strict; Max-Age=0/);
  });
});

describe("retrying a failed job", () => {
  const retryUrl = (job: Job) => `${QUEUES_API}/${QUEUE_NAMES.stock}/${encodeURIComponent(job.id!)}/retry`;

  it("an administrator retries a failed job through the dashboard's API and the worker runs it again", async () => {
    const job = await failedStockJob();
    const failed = (await stockQueue.getJob(job.id!))!;
    assert.equal(failed.attemptsMade, 1, "unrecoverable: failed after one attempt");
    assert.match(failed.failedReason, /Invalid reserve job/);

    const response = await fetch(retryUrl(job), { method: "PUT", headers: bearer(admin.token) });
    assert.equal(response.status, 204, await response.clone().text());
    // The worker took it again and failed it again (its payload is still malformed): a second attempt.
    await eventually(async () => (await stockQueue.getJob(job.id!))?.attemptsMade === 2, "the retried job running again");
    const retried = (await stockQueue.getJob(job.id!))!;
    assert.equal(await retried.getState(), "failed");
    assert.match(retried.failedReason, /Invalid reserve job/);
    assert.ok(retried.finishedOn! >= failed.finishedOn!);
  });

  it("a customer cannot retry, and the job stays failed", async () => {
    const job = await failedStockJob();
    const response = await fetch(retryUrl(job), { method: "PUT", headers: bearer(customer.token) });
    assert.equal(response.status, 403);
    assert.equal(await errorCode(response), "FORBIDDEN");
    const unchanged = (await stockQueue.getJob(job.id!))!;
    assert.equal(await unchanged.getState(), "failed");
    assert.equal(unchanged.attemptsMade, 1);
  });

  it("with the cookie, a change must come from the router's own origin (CSRF)", async () => {
    const { cookie } = await dashboardSession(admin.token);
    const job = await failedStockJob();
    for (const origin of [undefined, "https://evil.example"]) {
      const refused = await fetch(retryUrl(job), { method: "PUT", headers: { cookie, ...(origin ? { origin } : {}) } });
      assert.equal(refused.status, 403, `origin ${origin}`);
      assert.equal(await errorCode(refused), "FORBIDDEN");
    }
    assert.equal((await stockQueue.getJob(job.id!))!.attemptsMade, 1, "a refused retry changed nothing");

    const sameOrigin = await fetch(retryUrl(job), { method: "PUT", headers: { cookie, origin: new URL(routerBase).origin } });
    assert.equal(sameOrigin.status, 204, await sameOrigin.clone().text());
    await eventually(async () => (await stockQueue.getJob(job.id!))?.attemptsMade === 2, "the retried job running again");
  });
});

// Email settings (lib/config.ts) and which SMTP failures the email worker retries (subgraphs/users/src/emails/mailer.ts).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, DEFAULT_SMTP_URL, loadConfig } from "../../lib/config.js";
import { isPermanentSmtpError, messageIdDomain } from "../../subgraphs/users/src/emails/mailer.js";

const smtpError = (fields: { responseCode?: number; code?: string }) => Object.assign(new Error("smtp"), fields);

describe("email settings", () => {
  it("defaults: shopgraph at localhost:3000, MailDev's SMTP port, not explicit", () => {
    const { email } = loadConfig({});
    assert.deepEqual(email, {
      shopName: "shopgraph",
      shopUrl: "http://localhost:3000",
      smtpUrl: DEFAULT_SMTP_URL,
      smtpUrlIsExplicit: false,
      from: '"shopgraph" <no-reply@shopgraph.dev>',
    });
  });

  it("reads SHOP_NAME, SHOP_URL (trailing slash dropped), SMTP_URL and MAIL_FROM", () => {
    const { email } = loadConfig({
      SHOP_NAME: "Acme",
      SHOP_URL: "https://acme.example/",
      SMTP_URL: "smtps://user:secret@smtp.example:465",
      MAIL_FROM: "Acme <shop@acme.example>",
    });
    assert.equal(email.shopUrl, "https://acme.example");
    assert.equal(email.smtpUrlIsExplicit, true);
    assert.equal(email.smtpUrl, "smtps://user:secret@smtp.example:465");
  });

  it("refuses an SMTP_URL of another protocol without echoing it (it may hold a password)", () => {
    try {
      loadConfig({ SMTP_URL: "http://user:hunter2@smtp.example" });
      assert.fail("expected a ConfigError");
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      assert.match(error.problems.join("\n"), /SMTP_URL: must be a URL starting with smtp:\/\/ or smtps:\/\//);
      assert.doesNotMatch(error.message, /hunter2/);
    }
  });
});

describe("SMTP failures", () => {
  it("5xx replies and unbuildable messages are permanent", () => {
    assert.equal(isPermanentSmtpError(smtpError({ responseCode: 550, code: "EENVELOPE" })), true);
    assert.equal(isPermanentSmtpError(smtpError({ responseCode: 553 })), true);
    assert.equal(isPermanentSmtpError(smtpError({ code: "EENVELOPE" })), true);
  });

  it("4xx replies, refused connections, timeouts and unknown errors are transient", () => {
    assert.equal(isPermanentSmtpError(smtpError({ responseCode: 451, code: "EENVELOPE" })), false);
    assert.equal(isPermanentSmtpError(smtpError({ responseCode: 421 })), false);
    assert.equal(isPermanentSmtpError(smtpError({ code: "ESOCKET" })), false);
    assert.equal(isPermanentSmtpError(smtpError({ code: "ETIMEDOUT" })), false);
    assert.equal(isPermanentSmtpError("not an error"), false);
  });

  it("makes Message-IDs in MAIL_FROM's domain", () => {
    assert.equal(messageIdDomain('"shopgraph" <no-reply@shopgraph.dev>'), "shopgraph.dev");
    assert.equal(messageIdDomain("shop@acme.example"), "acme.example");
    assert.equal(messageIdDomain("no address"), "shopgraph.invalid");
  });
});

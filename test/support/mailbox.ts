// The test run's SMTP inbox (scripts/mailbox.ts, started by the test stack): read what the shop sent, and make
// the SMTP server refuse recipients or go away for a while.
import assert from "node:assert/strict";
import type { ReceivedMessage } from "../../scripts/lib/mailbox.js";
import { eventually } from "./client.js";

export type { ReceivedMessage };

const MAILBOX_URL = process.env.MAILBOX_URL;

function mailboxUrl(path: string): string {
  assert.ok(MAILBOX_URL, "MAILBOX_URL is not set: run the tests with `npm test`, which starts the inbox");
  return `${MAILBOX_URL}${path}`;
}

async function call(method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(mailboxUrl(path), { method, body: body === undefined ? undefined : JSON.stringify(body) });
  assert.equal(response.status, 200, `mailbox ${method} ${path}: ${response.status}`);
  return response.json();
}

/** Every message the inbox holds for `address` (envelope recipient), oldest first. */
export async function messagesTo(address: string): Promise<ReceivedMessage[]> {
  const all = (await call("GET", "/messages")) as ReceivedMessage[];
  return all.filter((message) => message.envelopeTo.some((to) => to.toLowerCase() === address.toLowerCase()));
}

/** Waits until `count` messages (matching `subject`, when given) reached `address`; returns them. */
export async function waitForMessages(address: string, options: { count?: number; subject?: RegExp; timeoutMs?: number } = {}) {
  const { count = 1, subject, timeoutMs = 10_000 } = options;
  const matching = async () => (await messagesTo(address)).filter((m) => !subject || subject.test(m.subject ?? ""));
  await eventually(
    async () => (await matching()).length >= count,
    `${count} email(s) to ${address}${subject ? ` (${subject})` : ""}`,
    timeoutMs,
  );
  return matching();
}

/** The SMTP server answers RCPT TO for `address` with `code` (e.g. 550), `times` times or always. */
export const refuseRecipient = (address: string, code = 550, times?: number) =>
  call("PUT", `/refusals/${encodeURIComponent(address)}`, {
    code,
    message: code >= 500 ? "Mailbox unavailable" : "Try again later",
    times,
  });

export const acceptRecipient = (address: string) => call("DELETE", `/refusals/${encodeURIComponent(address)}`);

/** Closes the SMTP port (connections are refused) and opens it again. */
export const stopSmtp = () => call("POST", "/smtp/stop");
export const startSmtp = () => call("POST", "/smtp/start");

// The tests' SMTP inbox as its own process (scripts/lib/mailbox.ts): SMTP on MAILBOX_SMTP_PORT, its HTTP API on
// MAILBOX_HTTP_PORT, both on 127.0.0.1. The test stack starts it and points SMTP_URL and MAILBOX_URL at it.
import { startMailbox } from "./lib/mailbox.js";

const port = (name: string) => {
  const value = Number(process.env[name] ?? "0");
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new Error(`${name} must be a port number`);
  return value;
};

const mailbox = await startMailbox({ smtpPort: port("MAILBOX_SMTP_PORT"), httpPort: port("MAILBOX_HTTP_PORT") });
console.log(`mailbox: SMTP on 127.0.0.1:${mailbox.smtpPort}, messages at http://127.0.0.1:${mailbox.httpPort}/messages`);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    mailbox.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}

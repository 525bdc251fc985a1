// Sending over SMTP with nodemailer (SMTP_URL, MAIL_FROM), and which failures are worth a retry.
import nodemailer from "nodemailer";
import type { Config } from "../../../../lib/config.js";
import type { EmailContent } from "./templates.js";

export interface OutgoingEmail extends EmailContent {
  to: { name: string; address: string };
  /** Stable per delivery, so a repeat after a crash carries the same Message-ID. */
  messageId: string;
}

export interface Mailer {
  send(email: OutgoingEmail): Promise<void>;
  close(): void;
}

/** The domain Message-IDs are made in: MAIL_FROM's (e.g. shopgraph.dev). */
export function messageIdDomain(from: string): string {
  return /@([A-Za-z0-9.-]+)>?\s*$/.exec(from)?.[1] ?? "shopgraph.invalid";
}

export function createMailer(config: Config): Mailer {
  // One connection per message: simple and robust across server restarts; the volume is low.
  const transport = nodemailer.createTransport({
    url: config.email.smtpUrl,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  return {
    async send(email) {
      await transport.sendMail({
        from: config.email.from,
        to: email.to,
        subject: email.subject,
        text: email.text,
        html: email.html,
        messageId: email.messageId,
      });
    },
    close: () => transport.close(),
  };
}

/**
 * Whether an SMTP failure will fail again however often it is retried: a 5xx reply (550 mailbox unavailable,
 * 553 bad address) or a message nodemailer cannot even build (no recipient, bad sender). Everything else (4xx
 * replies such as 421 or 451, refused connections, timeouts, DNS) is transient.
 */
export function isPermanentSmtpError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { responseCode, code } = error as Error & { responseCode?: number; code?: string };
  if (typeof responseCode === "number") return responseCode >= 500 && responseCode < 600;
  return code === "EENVELOPE" || code === "EMESSAGE";
}

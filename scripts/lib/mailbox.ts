// The tests' inbox: a real SMTP server (smtp-server) that keeps every message it accepts, parsed with
// mailparser, and a small HTTP API on another port through which tests read the messages and make the
// server misbehave: refuse given recipients with a chosen reply (550 for good, 451 for a while) or stop
// listening altogether (connection refused) and start again.
//
//   GET    /health                      200 when up
//   GET    /messages                    every message, oldest first
//   DELETE /messages                    forget them all
//   PUT    /refusals/<address>          { "code": 550, "message": "...", "times": 2 } (times: refuse so often, then accept)
//   DELETE /refusals/<address>
//   POST   /smtp/stop, /smtp/start      close the SMTP port, open it again
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";
import { simpleParser, type AddressObject } from "mailparser";
import { SMTPServer, type SMTPServerAddress } from "smtp-server";

export interface ReceivedMessage {
  id: string;
  receivedAt: string;
  /** RCPT TO addresses. */
  envelopeTo: string[];
  envelopeFrom: string | null;
  messageId: string | null;
  from: string | null;
  /** Addresses of the To header. */
  to: string[];
  /** The To header as written (display names included). */
  toText: string | null;
  subject: string | null;
  text: string | null;
  html: string | null;
}

interface Refusal {
  code: number;
  message: string;
  /** Refusals left; undefined: always. */
  times?: number;
}

const addressesOf = (header: AddressObject | AddressObject[] | undefined): string[] =>
  (Array.isArray(header) ? header : header ? [header] : []).flatMap((h) => h.value.map((v) => v.address ?? "").filter(Boolean));

const headerText = (header: AddressObject | AddressObject[] | undefined): string | null =>
  header ? (Array.isArray(header) ? header.map((h) => h.text).join(", ") : header.text) : null;

export interface Mailbox {
  smtpPort: number;
  httpPort: number;
  close(): Promise<void>;
}

export async function startMailbox(options: { smtpPort: number; httpPort: number; host?: string }): Promise<Mailbox> {
  const host = options.host ?? "127.0.0.1";
  const messages: ReceivedMessage[] = [];
  const refusals = new Map<string, Refusal>();

  const refusalFor = (address: string): Refusal | undefined => {
    const rule = refusals.get(address.toLowerCase()) ?? refusals.get("*");
    if (!rule) return undefined;
    if (rule.times !== undefined) {
      if (rule.times <= 0) return undefined;
      rule.times -= 1;
    }
    return rule;
  };

  const newSmtpServer = () =>
    new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      logger: false,
      onRcptTo(address: SMTPServerAddress, _session, callback) {
        const refusal = refusalFor(address.address);
        if (!refusal) return callback();
        const error = new Error(refusal.message) as Error & { responseCode: number };
        error.responseCode = refusal.code;
        callback(error);
      },
      onData(stream, session, callback) {
        simpleParser(stream)
          .then((mail) => {
            messages.push({
              id: randomUUID(),
              receivedAt: new Date().toISOString(),
              envelopeTo: session.envelope.rcptTo.map((r) => r.address),
              envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
              messageId: mail.messageId ?? null,
              from: headerText(mail.from),
              to: addressesOf(mail.to),
              toText: headerText(mail.to),
              subject: mail.subject ?? null,
              text: mail.text ?? null,
              html: typeof mail.html === "string" ? mail.html : null,
            });
            callback();
          })
          .catch((error: unknown) => callback(error as Error));
      },
    });

  let smtp: SMTPServer | undefined;
  let smtpPort = options.smtpPort;
  const startSmtp = () =>
    new Promise<void>((resolve, reject) => {
      if (smtp) return resolve();
      const server = newSmtpServer();
      server.on("error", (error) => console.error("mailbox smtp error", error));
      server.server.once("error", reject);
      server.listen(smtpPort, host, () => {
        const address = server.server.address();
        if (typeof address === "object" && address) smtpPort = address.port;
        smtp = server;
        resolve();
      });
    });
  const stopSmtp = () =>
    new Promise<void>((resolve) => {
      const server = smtp;
      smtp = undefined;
      if (!server) return resolve();
      server.close(() => resolve());
    });

  const json = (response: ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, { "content-type": "application/json" });
    response.end(JSON.stringify(body));
  };
  const readBody = async (request: IncomingMessage): Promise<unknown> => {
    let raw = "";
    for await (const chunk of request) raw += String(chunk);
    return raw ? JSON.parse(raw) : {};
  };

  const http = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://mailbox");
    const route = `${request.method} ${url.pathname}`;
    const handle = async () => {
      if (route === "GET /health") return json(response, 200, { smtp: smtp !== undefined, smtpPort });
      if (route === "GET /messages") return json(response, 200, messages);
      if (route === "DELETE /messages") {
        messages.length = 0;
        return json(response, 200, {});
      }
      if (route === "POST /smtp/stop") return void (await stopSmtp(), json(response, 200, {}));
      if (route === "POST /smtp/start") return void (await startSmtp(), json(response, 200, {}));
      const refusal = /^\/refusals\/(.+)$/.exec(url.pathname);
      if (refusal) {
        const address = decodeURIComponent(refusal[1]!).toLowerCase();
        if (request.method === "DELETE") {
          refusals.delete(address);
          return json(response, 200, {});
        }
        if (request.method === "PUT") {
          const body = (await readBody(request)) as Partial<Refusal>;
          refusals.set(address, { code: body.code ?? 550, message: body.message ?? "Mailbox unavailable", times: body.times });
          return json(response, 200, {});
        }
      }
      json(response, 404, { error: `no route ${route}` });
    };
    handle().catch((error: unknown) => json(response, 500, { error: String(error) }));
  });

  await startSmtp();
  const httpPort = await new Promise<number>((resolve, reject) => {
    http.once("error", reject);
    http.listen(options.httpPort, host, () => {
      const address = http.address();
      resolve(typeof address === "object" && address ? address.port : options.httpPort);
    });
  });

  return {
    smtpPort,
    httpPort,
    close: async () => {
      await stopSmtp();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

// MailDev for `npm start` when SMTP_URL is not set: every email the shop sends lands in its web inbox.
// SMTP on DEFAULT_SMTP_URL's port (1025), the web page on MAILDEV_WEB_PORT (1080), both on 127.0.0.1;
// messages are kept in var/maildev across restarts.
import { MailDev } from "maildev";
import { DEFAULT_SMTP_URL } from "../lib/config.js";

const smtp = Number(new URL(DEFAULT_SMTP_URL).port);
const web = Number(process.env.MAILDEV_WEB_PORT ?? "1080");
const maildev = new MailDev({
  smtp,
  ip: "127.0.0.1",
  web,
  webIp: "127.0.0.1",
  mailDirectory: process.env.MAILDEV_MAIL_DIRECTORY ?? "var/maildev",
  maxEmails: 1000,
  silent: true,
});
try {
  await maildev.start();
} catch (error) {
  console.error(
    `MailDev could not start (${(error as Error).message}). Is another MailDev or SMTP server on port ${smtp} or ${web}? ` +
      "Stop it, set MAILDEV_WEB_PORT, or set SMTP_URL to use that server instead.",
  );
  process.exit(1);
}
console.log(`maildev: SMTP on 127.0.0.1:${smtp}, inbox at http://127.0.0.1:${web}/index.html`);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    maildev.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}

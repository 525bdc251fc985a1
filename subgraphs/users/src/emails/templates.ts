// The shop's emails: one plain function per kind, each returning its subject, text and HTML. An email is
// written once as a list of blocks, rendered twice (text and HTML), so both always say the same and
// every piece of text passes one HTML escape: names, addresses, product names and reasons come from
// customers and payment providers and must never become markup.
import type { EmailJobName } from "../../../../lib/queues.js";
import type { Money } from "../../../../lib/types.js";
import { escapeHtml, formatInstant, formatMoney, orderReference } from "./format.js";

export interface Shop {
  /** SHOP_NAME */
  name: string;
  /** SHOP_URL, without a trailing slash. */
  url: string;
}

export interface Recipient {
  name: string;
  email: string;
}

export interface Address {
  line1: string;
  line2?: string | null;
  city: string;
  region?: string | null;
  postalCode: string;
  country: string;
}

export interface OrderLine {
  productName: string;
  quantity: number;
  unitPrice: Money;
  lineTotal: Money;
}

/** What the emails about an order show of it (the orders subgraph's `orderForNotification`). */
export interface OrderDetails {
  id: string;
  status: string;
  items: OrderLine[];
  subtotal: Money;
  shippingTotal: Money;
  taxTotal: Money;
  total: Money;
  shippingAddress: Address | null;
  /** When an unpaid order is cancelled; null once paid or cancelled. */
  expiresAt: Date | null;
  /** The note of the order's latest status change (e.g. a carrier's tracking number, why it was cancelled). */
  latestNote: string | null;
}

export interface EmailContent {
  subject: string;
  text: string;
  html: string;
}

/** Everything any template may need; which parts are required depends on the email. */
export interface EmailInput {
  shop: Shop;
  recipient: Recipient;
  order?: OrderDetails;
  /** refund-issued: the amount refunded. */
  amount?: Money;
  /** payment-failed: the provider's message; order-cancelled: why, when the producer knows. */
  reason?: string;
}

type Block =
  | { kind: "paragraph"; text: string }
  | { kind: "link"; label: string; url: string }
  | { kind: "lines"; order: OrderDetails }
  | { kind: "address"; address: Address };

const paragraph = (text: string): Block => ({ kind: "paragraph", text });
const link = (label: string, url: string): Block => ({ kind: "link", label, url });

export const orderUrl = (shop: Shop, orderId: string) => `${shop.url}/orders/${encodeURIComponent(orderId)}`;

function addressLines(address: Address): string[] {
  return [address.line1, address.line2, [address.postalCode, address.city].join(" "), address.region, address.country].filter(
    (line): line is string => Boolean(line),
  );
}

function totalsOf(order: OrderDetails): [string, string][] {
  return [
    ["Subtotal", formatMoney(order.subtotal)],
    ["Shipping", formatMoney(order.shippingTotal)],
    ["Tax", formatMoney(order.taxTotal)],
    ["Total", formatMoney(order.total)],
  ];
}

function blockText(block: Block): string {
  switch (block.kind) {
    case "paragraph":
      return block.text;
    case "link":
      return `${block.label}: ${block.url}`;
    case "lines": {
      const lines = block.order.items.map(
        (item) => `- ${item.quantity} × ${item.productName} at ${formatMoney(item.unitPrice)}: ${formatMoney(item.lineTotal)}`,
      );
      const totals = totalsOf(block.order).map(([label, value]) => `${label}: ${value}`);
      return [...lines, "", ...totals].join("\n");
    }
    case "address":
      return ["Shipping to:", ...addressLines(block.address)].join("\n");
  }
}

const cell = (text: string, align: "left" | "right" = "left") => `<td style="padding:4px 8px;text-align:${align}">${escapeHtml(text)}</td>`;

function blockHtml(block: Block): string {
  switch (block.kind) {
    case "paragraph":
      return `<p>${escapeHtml(block.text)}</p>`;
    case "link":
      return `<p><a href="${escapeHtml(block.url)}">${escapeHtml(block.label)}</a></p>`;
    case "lines": {
      const rows = block.order.items.map(
        (item) =>
          `<tr>${cell(String(item.quantity), "right")}${cell(item.productName)}${cell(formatMoney(item.unitPrice), "right")}${cell(formatMoney(item.lineTotal), "right")}</tr>`,
      );
      const totals = totalsOf(block.order).map(
        ([label, value]) =>
          `<tr><td colspan="3" style="padding:4px 8px;text-align:right">${escapeHtml(label)}</td>${cell(value, "right")}</tr>`,
      );
      return [
        `<table style="border-collapse:collapse">`,
        `<thead><tr><th style="padding:4px 8px">Qty</th><th style="padding:4px 8px;text-align:left">Item</th><th style="padding:4px 8px">Price</th><th style="padding:4px 8px">Total</th></tr></thead>`,
        `<tbody>${rows.join("")}</tbody>`,
        `<tfoot>${totals.join("")}</tfoot>`,
        `</table>`,
      ].join("\n");
    }
    case "address":
      return `<p>Shipping to:<br>${addressLines(block.address).map(escapeHtml).join("<br>")}</p>`;
  }
}

/** The common frame: greeting, the email's blocks, the shop's signature and link. */
function compose(input: EmailInput, subject: string, blocks: Block[]): EmailContent {
  const { shop, recipient } = input;
  const greeting = paragraph(`Hello ${recipient.name},`);
  const signature = paragraph(`— ${shop.name}`);
  const all = [greeting, ...blocks, signature];
  const text = [...all.map(blockText), shop.url].join("\n\n") + "\n";
  const html = [
    `<!doctype html>`,
    `<html><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>`,
    `<body style="font-family:sans-serif;line-height:1.5">`,
    `<h1 style="font-size:20px">${escapeHtml(shop.name)}</h1>`,
    ...all.map(blockHtml),
    `<p style="color:#666;font-size:12px"><a href="${escapeHtml(shop.url)}">${escapeHtml(shop.url)}</a></p>`,
    `</body></html>`,
  ].join("\n");
  return { subject, text, html };
}

function required<T>(value: T | undefined, what: string, email: EmailJobName): T {
  if (value === undefined) throw new Error(`the ${email} email needs ${what}`);
  return value;
}

export function welcomeEmail(input: EmailInput): EmailContent {
  const { shop } = input;
  return compose(input, `Welcome to ${shop.name}`, [
    paragraph(`Thank you for creating your ${shop.name} account with ${input.recipient.email}.`),
    paragraph("You can now fill your cart, check out and follow your orders."),
    link("Start shopping", shop.url),
  ]);
}

export function orderConfirmationEmail(input: EmailInput): EmailContent {
  const order = required(input.order, "the order", "order-confirmation");
  const blocks = [
    paragraph(`Thank you for your order ${orderReference(order.id)}. Here is what you ordered:`),
    { kind: "lines", order } as const,
  ];
  if (order.shippingAddress) blocks.push({ kind: "address", address: order.shippingAddress });
  if (order.status === "PENDING_PAYMENT") {
    blocks.push(
      paragraph(
        order.expiresAt
          ? `We ship it once your payment arrives. Unpaid orders are cancelled at ${formatInstant(order.expiresAt)}.`
          : "We ship it once your payment arrives.",
      ),
    );
  }
  blocks.push(link("See your order", orderUrl(input.shop, order.id)));
  return compose(input, `Your ${input.shop.name} order ${orderReference(order.id)}`, blocks);
}

export function paymentReceivedEmail(input: EmailInput): EmailContent {
  const order = required(input.order, "the order", "payment-received");
  return compose(input, `Payment received for order ${orderReference(order.id)}`, [
    paragraph(`We received your payment of ${formatMoney(order.total)} for order ${orderReference(order.id)}.`),
    paragraph("We are preparing your order and will tell you when it ships."),
    link("See your order", orderUrl(input.shop, order.id)),
  ]);
}

export function paymentFailedEmail(input: EmailInput): EmailContent {
  const order = required(input.order, "the order", "payment-failed");
  const deadline = order.expiresAt
    ? `before ${formatInstant(order.expiresAt)}, when unpaid orders are cancelled`
    : "before the order expires";
  const blocks = [paragraph(`Your payment of ${formatMoney(order.total)} for order ${orderReference(order.id)} did not go through.`)];
  if (input.reason) blocks.push(paragraph(`Your bank or card provider said: ${input.reason}`));
  blocks.push(
    paragraph(
      `Your order is kept for you. To complete it, open the order page and pay again with another card, ${deadline}. Nothing was charged for the failed attempt.`,
    ),
    link("Pay for your order", orderUrl(input.shop, order.id)),
  );
  return compose(input, `Payment failed for order ${orderReference(order.id)}`, blocks);
}

export function orderShippedEmail(input: EmailInput): EmailContent {
  const order = required(input.order, "the order", "order-shipped");
  const blocks: Block[] = [paragraph(`Good news: your order ${orderReference(order.id)} is on its way.`)];
  if (order.latestNote) blocks.push(paragraph(`Shipping note: ${order.latestNote}`));
  if (order.shippingAddress) blocks.push({ kind: "address", address: order.shippingAddress });
  blocks.push(link("Follow your order", orderUrl(input.shop, order.id)));
  return compose(input, `Your order ${orderReference(order.id)} has shipped`, blocks);
}

export function orderCancelledEmail(input: EmailInput): EmailContent {
  const order = required(input.order, "the order", "order-cancelled");
  const why = input.reason ?? order.latestNote;
  const blocks: Block[] = [paragraph(`Your order ${orderReference(order.id)} was cancelled.`)];
  if (why) blocks.push(paragraph(`Reason: ${why}`));
  blocks.push(
    paragraph("Anything you paid for it is refunded to your card; we will email you when the refund is issued."),
    link("See your order", orderUrl(input.shop, order.id)),
  );
  return compose(input, `Your order ${orderReference(order.id)} was cancelled`, blocks);
}

export function refundIssuedEmail(input: EmailInput): EmailContent {
  const order = required(input.order, "the order", "refund-issued");
  const amount = input.amount ?? order.total;
  return compose(input, `Refund of ${formatMoney(amount)} for order ${orderReference(order.id)}`, [
    paragraph(`We refunded ${formatMoney(amount)} for your order ${orderReference(order.id)} to the card you paid with.`),
    paragraph("Depending on your bank it can take 5 to 10 business days to show on your statement."),
    link("See your order", orderUrl(input.shop, order.id)),
  ]);
}

/** The template of each email job. */
export function renderEmail(name: EmailJobName, input: EmailInput): EmailContent {
  switch (name) {
    case "welcome":
      return welcomeEmail(input);
    case "order-confirmation":
      return orderConfirmationEmail(input);
    case "payment-received":
      return paymentReceivedEmail(input);
    case "payment-failed":
      return paymentFailedEmail(input);
    case "order-shipped":
      return orderShippedEmail(input);
    case "order-cancelled":
      return orderCancelledEmail(input);
    case "refund-issued":
      return refundIssuedEmail(input);
  }
}

/** Whether the email is about an order (every one but welcome): the worker fetches the order first. */
export const needsOrder = (name: EmailJobName): boolean => name !== "welcome";

// Formatting shared by the email templates: HTML escaping, money, dates, order references.
import type { Money } from "../../../../lib/types.js";

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text for HTML element content and quoted attribute values: every character that can open markup or close a quote. */
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);

/**
 * `amount` minor units of `currency` as people read it, e.g. 1500 EUR → "€15.00", 500 JPY → "¥500": the
 * currency's own number of decimals comes from Intl. An unknown currency code is shown as "1500 XYZ".
 */
export function formatMoney({ amount, currency }: Money): string {
  let format: Intl.NumberFormat;
  try {
    format = new Intl.NumberFormat("en-US", { style: "currency", currency });
  } catch {
    return `${amount} ${currency}`;
  }
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(amount / 10 ** digits);
}

/** An instant in UTC, to the minute: "2026-11-23 14:05 UTC" (the same for every reader, wherever they are). */
export const formatInstant = (at: Date): string => `${at.toISOString().slice(0, 16).replace("T", " ")} UTC`;

/** A short reference people can read out: the order id's last 8 characters, upper case. */
export const orderReference = (orderId: string): string => orderId.replace(/-/g, "").slice(-8).toUpperCase();

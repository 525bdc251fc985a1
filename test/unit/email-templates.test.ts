// The email templates (subgraphs/users/src/emails/templates.ts): every email's subject and content, in text
// and HTML, and that nothing a customer or a payment provider wrote can become markup.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { EmailJobName } from "../../lib/queues.js";
import { escapeHtml, formatMoney, orderReference } from "../../subgraphs/users/src/emails/format.js";
import { renderEmail, type EmailInput, type OrderDetails } from "../../subgraphs/users/src/emails/templates.js";

const SHOP = { name: "Test Shop", url: "https://shop.example" };
const ORDER_ID = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
const HOSTILE = `<script>alert("x")</script> O'Brien & <img src=x onerror=alert(1)>`;

const eur = (amount: number) => ({ amount, currency: "EUR" });

function order(overrides: Partial<OrderDetails> = {}): OrderDetails {
  return {
    id: ORDER_ID,
    status: "PENDING_PAYMENT",
    items: [
      { productName: "Blue Mug", quantity: 2, unitPrice: eur(1500), lineTotal: eur(3000) },
      { productName: "Tea Towel", quantity: 1, unitPrice: eur(799), lineTotal: eur(799) },
    ],
    subtotal: eur(3799),
    shippingTotal: eur(499),
    taxTotal: eur(817),
    total: eur(5115),
    shippingAddress: { line1: "Hauptstraße 5", line2: null, city: "Berlin", region: null, postalCode: "10115", country: "DE" },
    expiresAt: new Date("2026-11-23T14:05:00Z"),
    latestNote: null,
    ...overrides,
  };
}

const input = (overrides: Partial<EmailInput> = {}): EmailInput => ({
  shop: SHOP,
  recipient: { name: "Ada", email: "ada@example.test" },
  order: order(),
  ...overrides,
});

const ALL: EmailJobName[] = [
  "welcome",
  "order-confirmation",
  "payment-received",
  "payment-failed",
  "order-shipped",
  "order-cancelled",
  "refund-issued",
];

describe("formatting", () => {
  it("formats minor units with the currency's own decimals", () => {
    assert.equal(formatMoney(eur(1500)), "€15.00");
    assert.equal(formatMoney({ amount: 199, currency: "USD" }), "$1.99");
    assert.equal(formatMoney({ amount: 500, currency: "JPY" }), "¥500");
    assert.equal(formatMoney({ amount: 1234, currency: "KWD" }).replace(/\s/g, " "), "KWD 1.234");
    assert.equal(formatMoney({ amount: 1500, currency: "NOPE!" }), "1500 NOPE!");
  });

  it("escapes every character that can open markup or close an attribute", () => {
    assert.equal(escapeHtml(`<a href="x" title='y'>&</a>`), "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
  });

  it("shortens order ids to a readable reference", () => {
    assert.equal(orderReference(ORDER_ID), "2E3F4A5B");
  });
});

describe("each email", () => {
  it("welcome greets by name and links the shop", () => {
    const email = renderEmail("welcome", input({ order: undefined }));
    assert.equal(email.subject, "Welcome to Test Shop");
    for (const body of [email.text, email.html]) {
      assert.match(body, /Hello Ada,/);
      assert.match(body, /ada@example\.test/);
      assert.match(body, /https:\/\/shop\.example/);
    }
  });

  it("order-confirmation lists every line and the totals, the address and the order link", () => {
    const email = renderEmail("order-confirmation", input());
    assert.equal(email.subject, `Your Test Shop order ${orderReference(ORDER_ID)}`);
    for (const body of [email.text, email.html]) {
      for (const expected of [
        "Blue Mug",
        "€15.00",
        "€30.00",
        "Tea Towel",
        "€7.99",
        "€37.99",
        "€4.99",
        "€8.17",
        "€51.15",
        "Berlin",
        "10115",
      ]) {
        assert.ok(body.includes(expected), `${expected} missing from\n${body}`);
      }
      assert.ok(body.includes(`https://shop.example/orders/${ORDER_ID}`));
      assert.match(body, /2026-11-23 14:05 UTC/);
    }
    assert.match(email.text, /- 2 × Blue Mug at €15\.00: €30\.00/);
    assert.match(email.text, /Total: €51\.15/);
  });

  it("payment-received gives the amount paid", () => {
    const email = renderEmail("payment-received", input({ order: order({ status: "PAID", expiresAt: null }) }));
    assert.equal(email.subject, `Payment received for order ${orderReference(ORDER_ID)}`);
    assert.match(email.text, /payment of €51\.15/);
  });

  it("payment-failed gives the reason and how to retry before the order expires", () => {
    const email = renderEmail("payment-failed", input({ reason: "Your card was declined." }));
    assert.equal(email.subject, `Payment failed for order ${orderReference(ORDER_ID)}`);
    for (const body of [email.text, email.html]) {
      assert.match(body, /Your card was declined\./);
      assert.match(body, /pay again with another card, before 2026-11-23 14:05 UTC/);
      assert.ok(body.includes(`https://shop.example/orders/${ORDER_ID}`));
    }
    const noExpiry = renderEmail("payment-failed", input({ order: order({ expiresAt: null }) }));
    assert.match(noExpiry.text, /before the order expires/);
    assert.doesNotMatch(noExpiry.text, /provider said/);
  });

  it("order-shipped shows the shipping note and address", () => {
    const email = renderEmail("order-shipped", input({ order: order({ status: "SHIPPED", latestNote: "DHL 00340434" }) }));
    assert.equal(email.subject, `Your order ${orderReference(ORDER_ID)} has shipped`);
    assert.match(email.text, /Shipping note: DHL 00340434/);
    assert.match(email.text, /Hauptstraße 5/);
  });

  it("order-cancelled gives the reason: the producer's, else the order's latest note", () => {
    const noted = renderEmail(
      "order-cancelled",
      input({ order: order({ status: "CANCELLED", latestNote: "Not paid within 30 minutes." }) }),
    );
    assert.equal(noted.subject, `Your order ${orderReference(ORDER_ID)} was cancelled`);
    assert.match(noted.text, /Reason: Not paid within 30 minutes\./);
    const given = renderEmail("order-cancelled", input({ reason: "Out of stock", order: order({ latestNote: "x" }) }));
    assert.match(given.text, /Reason: Out of stock/);
  });

  it("refund-issued gives the amount refunded, else the order's total", () => {
    const partial = renderEmail("refund-issued", input({ amount: { amount: 1250, currency: "EUR" } }));
    assert.equal(partial.subject, `Refund of €12.50 for order ${orderReference(ORDER_ID)}`);
    assert.match(partial.text, /We refunded €12\.50/);
    assert.match(renderEmail("refund-issued", input()).text, /We refunded €51\.15/);
  });

  it("every email about an order refuses to render without one", () => {
    for (const name of ALL.filter((n) => n !== "welcome")) {
      assert.throws(() => renderEmail(name, input({ order: undefined })), /needs the order/, name);
    }
  });
});

describe("escaping", () => {
  const hostileOrder = order({
    items: [{ productName: HOSTILE, quantity: 1, unitPrice: eur(100), lineTotal: eur(100) }],
    shippingAddress: { line1: HOSTILE, line2: `"><svg onload=alert(2)>`, city: "Berlin", region: null, postalCode: "10115", country: "DE" },
    latestNote: HOSTILE,
  });

  for (const name of ALL) {
    it(`${name}: names, product names, addresses, notes and reasons never become markup`, () => {
      const email = renderEmail(
        name,
        input({ recipient: { name: HOSTILE, email: "x@example.test" }, order: hostileOrder, reason: HOSTILE }),
      );
      assert.doesNotMatch(email.html, /<script|<img|<svg|onerror=alert\(1\)>|"><svg/i);
      assert.ok(
        email.html.includes("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; O&#39;Brien &amp; &lt;img src=x onerror=alert(1)&gt;"),
      );
      // The text part is not HTML: it keeps what the customer wrote.
      assert.ok(email.text.includes(HOSTILE));
    });
  }

  it("escapes the shop's own settings in HTML too", () => {
    const email = renderEmail("welcome", input({ shop: { name: `A&B <Shop>`, url: `https://x.example/?a="1"` }, order: undefined }));
    assert.ok(email.html.includes("A&amp;B &lt;Shop&gt;"));
    assert.ok(email.html.includes(`href="https://x.example/?a=&quot;1&quot;"`));
  });
});

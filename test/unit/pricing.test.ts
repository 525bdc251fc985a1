// Checkout's shipping and tax rules (subgraphs/orders/src/pricing.ts), number by number.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_AMOUNT, orderTotals, shippingFor, taxFor, type PricingRules } from "../../subgraphs/orders/src/pricing.js";

const RULES: PricingRules = {
  unpaidOrderTtlSeconds: 1800,
  shippingFeeAmount: 499,
  freeShippingMinSubtotal: 5000,
  taxRateBasisPoints: 1900,
};

describe("shipping", () => {
  it("charges the fee below the free-shipping subtotal and nothing from it on", () => {
    assert.equal(shippingFor(0, RULES), 499);
    assert.equal(shippingFor(4999, RULES), 499);
    assert.equal(shippingFor(5000, RULES), 0);
    assert.equal(shippingFor(123_456, RULES), 0);
  });

  it("follows the configured fee and threshold", () => {
    assert.equal(shippingFor(100, { ...RULES, shippingFeeAmount: 0 }), 0);
    assert.equal(shippingFor(100, { ...RULES, freeShippingMinSubtotal: 0 }), 0);
  });
});

describe("tax", () => {
  it("is the rate in basis points, rounded half up to a minor unit", () => {
    assert.equal(taxFor(10_000, RULES), 1900);
    // 1 * 1900 / 10000 = 0.19 -> 0; 3 -> 0.57 -> 1
    assert.equal(taxFor(1, RULES), 0);
    assert.equal(taxFor(3, RULES), 1);
    // exactly half: 50 * 100 bps = 0.5 -> 1 ; 150 -> 1.5 -> 2 (half up, not to even)
    assert.equal(taxFor(50, { ...RULES, taxRateBasisPoints: 100 }), 1);
    assert.equal(taxFor(150, { ...RULES, taxRateBasisPoints: 100 }), 2);
    assert.equal(taxFor(149, { ...RULES, taxRateBasisPoints: 100 }), 1);
    assert.equal(taxFor(0, RULES), 0);
    assert.equal(taxFor(12_345, { ...RULES, taxRateBasisPoints: 0 }), 0);
    assert.equal(taxFor(12_345, { ...RULES, taxRateBasisPoints: 10_000 }), 12_345);
  });

  it("stays exact for large amounts", () => {
    // 2_000_000_001 * 0.19 = 380_000_000.19
    assert.equal(taxFor(2_000_000_001, RULES), 380_000_000);
  });
});

describe("order totals", () => {
  it("adds the lines, then shipping, then tax on both", () => {
    // 2 x 12.50 = 25.00, shipping 4.99, tax 19 % of 29.99 = 5.6981 -> 5.70
    assert.deepEqual(orderTotals([{ unitAmount: 1250, quantity: 2 }], RULES), {
      subtotalAmount: 2500,
      shippingAmount: 499,
      taxAmount: 570,
      totalAmount: 3569,
    });
  });

  it("ships free from the threshold and taxes only the goods then", () => {
    assert.deepEqual(
      orderTotals(
        [
          { unitAmount: 2000, quantity: 2 },
          { unitAmount: 1000, quantity: 1 },
        ],
        RULES,
      ),
      { subtotalAmount: 5000, shippingAmount: 0, taxAmount: 950, totalAmount: 5950 },
    );
  });

  it("refuses a total that does not fit a 32-bit Int with BAD_USER_INPUT", () => {
    assert.throws(
      () => orderTotals([{ unitAmount: 2_000_000_000, quantity: 2 }], RULES),
      (error: Error & { extensions?: { code?: string } }) => error.extensions?.code === "BAD_USER_INPUT",
    );
    // The subtotal fits, the tax pushes it over.
    assert.throws(() => orderTotals([{ unitAmount: MAX_AMOUNT - 10, quantity: 1 }], RULES));
    const largest = orderTotals([{ unitAmount: 1_800_000_000, quantity: 1 }], RULES);
    assert.ok(largest.totalAmount <= MAX_AMOUNT);
  });
});

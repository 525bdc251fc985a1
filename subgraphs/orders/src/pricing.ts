// What an order costs: the rules for shipping and tax, pure, so they are tested number by number
// (test/unit/pricing.test.ts). Amounts are integer minor units (cents) in the order's one currency.
import type { Config } from "../../../lib/config.js";
import { BadUserInputError } from "../../../lib/errors.js";

export type PricingRules = Config["checkout"];

export interface PricedLine {
  unitAmount: number;
  quantity: number;
}

export interface OrderTotals {
  subtotalAmount: number;
  shippingAmount: number;
  taxAmount: number;
  totalAmount: number;
}

/** The largest amount a GraphQL Int (and the database's integer columns) can hold. */
export const MAX_AMOUNT = 2 ** 31 - 1;

/** Shipping is a flat fee per order, free from `freeShippingMinSubtotal` on. */
export const shippingFor = (subtotal: number, rules: PricingRules): number =>
  subtotal >= rules.freeShippingMinSubtotal ? 0 : rules.shippingFeeAmount;

/**
 * Tax on what the customer pays for goods and shipping, in basis points, rounded half up to a minor
 * unit. Integer arithmetic only (BigInt), so no amount is ever off by floating-point rounding.
 */
export function taxFor(taxable: number, rules: PricingRules): number {
  const scaled = BigInt(taxable) * BigInt(rules.taxRateBasisPoints);
  return Number((scaled * 2n + 10_000n) / 20_000n);
}

/**
 * The order's totals from its lines. A total that does not fit a 32-bit Int cannot be charged or
 * stored: BAD_USER_INPUT rather than a wrong number.
 */
export function orderTotals(lines: PricedLine[], rules: PricingRules): OrderTotals {
  let subtotalAmount = 0;
  for (const { unitAmount, quantity } of lines) subtotalAmount += unitAmount * quantity;
  const shippingAmount = shippingFor(subtotalAmount, rules);
  const taxAmount = taxFor(subtotalAmount + shippingAmount, rules);
  const totalAmount = subtotalAmount + shippingAmount + taxAmount;
  if (!Number.isSafeInteger(totalAmount) || totalAmount > MAX_AMOUNT) {
    throw new BadUserInputError(
      `The order would cost more than ${MAX_AMOUNT} minor units, the most one payment can take; order fewer items at once.`,
      "input",
    );
  }
  return { subtotalAmount, shippingAmount, taxAmount, totalAmount };
}

// How a payment follows Stripe's news in any order (subgraphs/payments/src/paymentState.ts): every status against
// every outcome, older and newer, and refunds summed into the status.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PaymentStatus } from "../../prisma/payments/__generated__/client.js";
import { nextPaymentState, refundStatusOf, statusAfterRefunds, type IntentOutcome } from "../../subgraphs/payments/src/paymentState.js";

const STATUSES: PaymentStatus[] = ["REQUIRES_PAYMENT", "PROCESSING", "SUCCEEDED", "FAILED", "REFUNDED", "CANCELLED"];
const earlier = new Date("2026-11-23T12:00:00Z");
const later = new Date("2026-11-23T12:00:05Z");
const declined: IntentOutcome = { kind: "failed", code: "card_declined", message: "Your card was declined." };

/** The status each outcome leads to from each status, written out by hand (null: no change). */
const EXPECTED: Record<IntentOutcome["kind"], Record<PaymentStatus, PaymentStatus | null>> = {
  succeeded: {
    REQUIRES_PAYMENT: "SUCCEEDED",
    PROCESSING: "SUCCEEDED",
    FAILED: "SUCCEEDED",
    CANCELLED: "SUCCEEDED",
    SUCCEEDED: null,
    REFUNDED: null,
  },
  failed: { REQUIRES_PAYMENT: "FAILED", PROCESSING: "FAILED", FAILED: "FAILED", CANCELLED: null, SUCCEEDED: null, REFUNDED: null },
  canceled: {
    REQUIRES_PAYMENT: "CANCELLED",
    PROCESSING: "CANCELLED",
    FAILED: "CANCELLED",
    CANCELLED: null,
    SUCCEEDED: null,
    REFUNDED: null,
  },
  processing: { REQUIRES_PAYMENT: "PROCESSING", PROCESSING: null, FAILED: "PROCESSING", CANCELLED: null, SUCCEEDED: null, REFUNDED: null },
};

const outcomes: Record<IntentOutcome["kind"], IntentOutcome> = {
  succeeded: { kind: "succeeded" },
  failed: declined,
  canceled: { kind: "canceled" },
  processing: { kind: "processing" },
};

describe("nextPaymentState", () => {
  for (const [kind, byStatus] of Object.entries(EXPECTED) as [IntentOutcome["kind"], Record<PaymentStatus, PaymentStatus | null>][]) {
    for (const status of STATUSES) {
      it(`${kind} on ${status} -> ${byStatus[status] ?? "no change"}`, () => {
        const change = nextPaymentState({ status, providerEventAt: earlier }, outcomes[kind], later);
        assert.equal(change?.status ?? (change ? status : null), byStatus[status]);
      });
    }
  }

  it("money in is never undone by a decline, a cancellation or a processing event that arrives late", () => {
    for (const status of ["SUCCEEDED", "REFUNDED"] as const) {
      for (const outcome of [declined, { kind: "canceled" } as const, { kind: "processing" } as const]) {
        assert.equal(nextPaymentState({ status, providerEventAt: later }, outcome, earlier), null);
      }
    }
  });

  it("a success clears the failure; a failure records Stripe's code and message", () => {
    assert.deepEqual(nextPaymentState({ status: "FAILED", providerEventAt: earlier }, { kind: "succeeded" }, later), {
      status: "SUCCEEDED",
      failureCode: null,
      failureMessage: null,
      providerEventAt: later,
    });
    assert.deepEqual(nextPaymentState({ status: "REQUIRES_PAYMENT", providerEventAt: null }, declined, earlier), {
      status: "FAILED",
      failureCode: "card_declined",
      failureMessage: "Your card was declined.",
      providerEventAt: earlier,
    });
  });

  it("an older failure does not replace a newer one", () => {
    const insufficient: IntentOutcome = { kind: "failed", code: "card_declined", message: "Your card has insufficient funds." };
    assert.equal(nextPaymentState({ status: "FAILED", providerEventAt: later }, insufficient, earlier), null);
    assert.equal(
      nextPaymentState({ status: "FAILED", providerEventAt: earlier }, insufficient, later)?.failureMessage,
      insufficient.message,
    );
  });
});

describe("statusAfterRefunds and refundStatusOf", () => {
  it("REFUNDED exactly when everything went back; a partial refund proves the money was collected", () => {
    assert.equal(statusAfterRefunds("SUCCEEDED", 1000, 1000), "REFUNDED");
    assert.equal(statusAfterRefunds("SUCCEEDED", 400, 1000), "SUCCEEDED");
    assert.equal(statusAfterRefunds("REQUIRES_PAYMENT", 400, 1000), "SUCCEEDED", "the refund's news came before the success's");
    assert.equal(statusAfterRefunds("REFUNDED", 0, 1000), "SUCCEEDED", "a refund that failed");
    assert.equal(statusAfterRefunds("REQUIRES_PAYMENT", 0, 1000), "REQUIRES_PAYMENT");
    assert.equal(statusAfterRefunds("CANCELLED", 0, 1000), "CANCELLED");
  });

  it("maps Stripe's refund statuses", () => {
    assert.deepEqual(["succeeded", "pending", "requires_action", "failed", "canceled", null].map(refundStatusOf), [
      "SUCCEEDED",
      "PENDING",
      "PENDING",
      "FAILED",
      "CANCELLED",
      "PENDING",
    ]);
  });
});

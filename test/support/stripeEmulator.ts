// The run's Stripe emulator test controls (/_emulator/...), with the key the stack gave it.
import assert from "node:assert/strict";
import { EMULATOR_TEST_KEY } from "../../lib/stripe.js";
import { config } from "./client.js";

/** Calls an emulator control; parameters form-encoded, as Stripe's API takes them. */
export async function emulator<T = unknown>(path: string, method = "GET", params?: Record<string, string | string[]>): Promise<T> {
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(params ?? {})) {
    if (Array.isArray(value)) value.forEach((item, index) => form.append(`${name}[${index}]`, item));
    else form.append(name, value);
  }
  const response = await fetch(`${config.stripe.apiUrl}/_emulator${path}`, {
    method,
    headers: {
      authorization: `Bearer ${config.stripe.secretKey ?? EMULATOR_TEST_KEY}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: params === undefined ? undefined : form.toString(),
  });
  assert.ok(response.ok, `${method} /_emulator${path}: ${response.status} ${await response.clone().text()}`);
  return (await response.json()) as T;
}

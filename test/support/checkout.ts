// What checkout tests share: stocked products, filled carts, checkout through the router, and
// reading stock and orders back.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import {
  AddToCartDocument,
  AdjustStockDocument,
  AdminProductStockDocument,
  CheckoutDocument,
  OrderTrackingDocument,
  type CheckoutMutation,
} from "../../sdk/__generated__/graphql.js";
import { catalogAdmin, createProduct } from "./catalog.js";
import { request, requestOk, type Account } from "./client.js";

export const ADDRESS = { line1: "Hauptstraße 5", line2: null, city: "Berlin", region: null, postalCode: "10115", country: "DE" };

/** A new ACTIVE product with `onHand` units in stock. */
export async function stockedProduct(onHand: number, priceAmount = 1500): Promise<string> {
  const { id } = await createProduct({ priceAmount });
  if (onHand > 0) {
    const data = await requestOk(
      AdjustStockDocument,
      { productId: id, delta: onHand, reason: "RESTOCK" },
      { token: (await catalogAdmin()).token },
    );
    assert.equal(data.adjustStock.__typename, "Inventory", JSON.stringify(data.adjustStock));
  }
  return id;
}

export async function addToCart(customer: Account, productId: string, quantity: number): Promise<void> {
  const data = await requestOk(AddToCartDocument, { productId, quantity }, { token: customer.token });
  assert.equal(data.addToCart.__typename, "Cart", JSON.stringify(data.addToCart));
}

export interface Stock {
  onHand: number;
  reserved: number;
  available: number;
}

export async function stockOf(productId: string): Promise<Stock> {
  const data = await requestOk(AdminProductStockDocument, { id: productId }, { token: (await catalogAdmin()).token });
  const inventory = data.product?.inventory;
  assert.ok(inventory, `no inventory for ${productId}`);
  return { onHand: inventory.onHand!, reserved: inventory.reserved!, available: inventory.available };
}

export type CheckoutOutcome = CheckoutMutation["checkout"];
export type Placed = Extract<CheckoutOutcome, { __typename: "CheckoutSuccess" }>;

export const checkoutAs = (customer: Account, idempotencyKey: string = randomUUID()) =>
  request(CheckoutDocument, { input: { idempotencyKey, shippingAddress: ADDRESS } }, { token: customer.token });

/** Checks out and fails unless an order was placed. */
export async function placeOrder(customer: Account, idempotencyKey?: string): Promise<Placed> {
  const result = await checkoutAs(customer, idempotencyKey);
  assert.equal(result.errors, undefined, JSON.stringify(result.errors));
  assert.equal(result.data.checkout.__typename, "CheckoutSuccess", JSON.stringify(result.data.checkout));
  return result.data.checkout as Placed;
}

export async function orderOf(customer: Account, id: string) {
  const data = await requestOk(OrderTrackingDocument, { id }, { token: customer.token });
  assert.ok(data.order, `order ${id} not visible`);
  return data.order;
}

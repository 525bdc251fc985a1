// The orders subgraph's synchronous calls to other subgraphs, signed as "orders" (lib/serviceClient.ts).
// Each is one GraphQL operation; the callee checks the caller (service operations) and, where a
// customer's Authorization is forwarded, that customer's rights.
import type { ServiceCallOptions, ServiceClient } from "../../../lib/serviceClient.js";
import type { StockLine } from "../../../lib/queues.js";

export interface CartLine {
  productId: string;
  quantity: number;
}

/** The signed-in customer's cart lines (carts applies the forwarded Authorization); none without a cart. */
export async function cartLines(services: ServiceClient, options: ServiceCallOptions): Promise<CartLine[]> {
  const data = await services.call<{ myCart: { items: CartLine[] } | null }>(
    "carts",
    `query CheckoutCart { myCart { items { productId quantity } } }`,
    {},
    options,
  );
  return data.myCart?.items ?? [];
}

export interface CatalogEntry {
  name: string;
  status: "DRAFT" | "ACTIVE" | "ARCHIVED";
  price: { amount: number; currency: string };
}

const CATALOG_ENTRIES = `query CheckoutProducts($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Product { id name status price { amount currency } } }
}`;

/** Name, status and live price of each product as products shows it to the customer (null: unknown or hidden). */
export async function catalogEntries(
  services: ServiceClient,
  productIds: string[],
  options: ServiceCallOptions,
): Promise<Map<string, CatalogEntry | null>> {
  const ids = [...new Set(productIds)];
  const data = await services.call<{ _entities: (CatalogEntry | null)[] }>(
    "products",
    CATALOG_ENTRIES,
    { representations: ids.map((id) => ({ __typename: "Product", id })) },
    options,
  );
  return new Map(ids.map((id, index) => [id, data._entities[index] ?? null]));
}

export interface StockShortageLine {
  productId: string;
  requested: number;
  available: number;
}

export interface StockReservation {
  reserved: boolean;
  shortages: StockShortageLine[];
}

/** Reserves every line for the order or none (inventory's reserveStock, idempotent per order id). */
export async function reserveStock(
  services: ServiceClient,
  orderId: string,
  lines: StockLine[],
  options: ServiceCallOptions,
): Promise<StockReservation> {
  const data = await services.call<{ reserveStock: StockReservation }>(
    "inventory",
    `mutation CheckoutReserve($orderId: ID!, $lines: [StockLineInput!]!) {
      reserveStock(orderId: $orderId, lines: $lines) { reserved shortages { productId requested available } }
    }`,
    { orderId, lines },
    options,
  );
  return data.reserveStock;
}

export interface PaymentRef {
  id: string;
}

/** Creates the order's payment (a Stripe PaymentIntent), or returns the one it has: idempotent per order. */
export async function startPayment(
  services: ServiceClient,
  args: { orderId: string; customerId: string; amount: number; currency: string },
  options: ServiceCallOptions,
): Promise<PaymentRef> {
  const data = await services.call<{ startPayment: PaymentRef }>(
    "payments",
    `mutation CheckoutStartPayment($orderId: ID!, $customerId: ID!, $amount: Int!, $currency: String!) {
      startPayment(orderId: $orderId, customerId: $customerId, amount: $amount, currency: $currency) { id }
    }`,
    args,
    options,
  );
  return data.startPayment;
}

/** Cancels the order's PaymentIntent unless it has succeeded (null: the order has no payment). */
export async function cancelPayment(services: ServiceClient, orderId: string, options: ServiceCallOptions): Promise<PaymentRef | null> {
  const data = await services.call<{ cancelPayment: PaymentRef | null }>(
    "payments",
    `mutation OrderCancelPayment($orderId: ID!) { cancelPayment(orderId: $orderId) { id } }`,
    { orderId },
    options,
  );
  return data.cancelPayment;
}

/** Refunds what is left of the order's succeeded payment, idempotent per order (null: nothing was paid). */
export async function refundPayment(
  services: ServiceClient,
  orderId: string,
  reason: string,
  options: ServiceCallOptions,
): Promise<PaymentRef | null> {
  const data = await services.call<{ refundPayment: PaymentRef | null }>(
    "payments",
    `mutation OrderRefundPayment($orderId: ID!, $reason: String) { refundPayment(orderId: $orderId, reason: $reason) { id } }`,
    { orderId, reason },
    options,
  );
  return data.refundPayment;
}

/** Takes what the order bought out of the customer's cart (carts acts on the forwarded Authorization). */
export async function removeOrderedItems(services: ServiceClient, items: CartLine[], options: ServiceCallOptions): Promise<void> {
  await services.call<{ removeOrderedItems: { id: string } }>(
    "carts",
    `mutation CheckoutRemoveOrderedItems($items: [OrderedItemInput!]!) { removeOrderedItems(items: $items) { id } }`,
    { items },
    options,
  );
}

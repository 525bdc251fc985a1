// What other subgraphs ask the products subgraph about a product: does it exist, and in which
// status. One `_entities` call through the signed service client (lib/serviceClient.ts).
import type { ServiceCallOptions, ServiceClient } from "./serviceClient.js";

export type ProductStatusName = "DRAFT" | "ACTIVE" | "ARCHIVED";

/**
 * One `_entities` call to `target` for the distinct `productIds`; answers each id's entity (null
 * where the callee has none or hides it), in a map keyed by id.
 */
async function productEntities<T>(
  services: ServiceClient,
  target: "products" | "inventory",
  query: string,
  productIds: string[],
  options: ServiceCallOptions,
): Promise<Map<string, T | null>> {
  const ids = [...new Set(productIds)];
  const data = await services.call<{ _entities: (T | null)[] }>(
    target,
    query,
    { representations: ids.map((id) => ({ __typename: "Product", id })) },
    options,
  );
  return new Map(ids.map((id, index) => [id, data._entities[index] ?? null]));
}

const PRODUCT_STATUSES = `query ProductStatuses($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Product { id status } }
}`;

/**
 * The status of each product, or null when it does not exist or is hidden from the caller: products
 * applies its visibility rules to `options.authorization` (a DRAFT resolves for administrators only).
 */
export async function productStatuses(
  services: ServiceClient,
  productIds: string[],
  options: ServiceCallOptions = {},
): Promise<Map<string, ProductStatusName | null>> {
  const entities = await productEntities<{ status: ProductStatusName }>(services, "products", PRODUCT_STATUSES, productIds, options);
  return new Map([...entities].map(([id, entity]) => [id, entity?.status ?? null]));
}

/** A product's status and live unit price, as products shows it to the caller. */
export interface ProductOffer {
  status: ProductStatusName;
  price: { amount: number; currency: string };
}

const PRODUCT_OFFERS = `query ProductOffers($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Product { id status price { amount currency } } }
}`;

/** Like productStatuses, with the live price: null for unknown products and those hidden from the caller. */
export async function productOffers(
  services: ServiceClient,
  productIds: string[],
  options: ServiceCallOptions = {},
): Promise<Map<string, ProductOffer | null>> {
  return productEntities<ProductOffer>(services, "products", PRODUCT_OFFERS, productIds, options);
}

const AVAILABLE_UNITS = `query AvailableUnits($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Product { inventory { available } } }
}`;

/** Units of each product that can be ordered now, asked of inventory (0 for products it does not know). */
export async function availableUnits(
  services: ServiceClient,
  productIds: string[],
  options: ServiceCallOptions = {},
): Promise<Map<string, number>> {
  const entities = await productEntities<{ inventory: { available: number } | null }>(
    services,
    "inventory",
    AVAILABLE_UNITS,
    productIds,
    options,
  );
  return new Map([...entities].map(([id, entity]) => [id, entity?.inventory?.available ?? 0]));
}

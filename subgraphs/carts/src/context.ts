import DataLoader from "dataloader";
import type { BaseContext } from "../../../lib/subgraph.js";
import { byId, groupedBy } from "../../../lib/loaders.js";
import { availableUnits, productOffers, type ProductOffer } from "../../../lib/productStatus.js";
import type { ServiceCallOptions, ServiceClient } from "../../../lib/serviceClient.js";
import type { Cart, CartItem, PrismaClient } from "../../../prisma/carts/__generated__/client.js";

export interface CartsContext extends BaseContext {
  prisma: PrismaClient;
  loaders: {
    cartById: DataLoader<string, Cart | null>;
    itemsByCartId: DataLoader<string, CartItem[]>;
    /** Status and live price of products, from products: one call per request for all cart lines. */
    productOffer: DataLoader<string, ProductOffer | null>;
    /** Units available now, from inventory: one call per request for all cart lines. */
    availableUnits: DataLoader<string, number>;
  };
  /** Signed calls to other subgraphs (products for status and price, inventory for stock). */
  services: ServiceClient;
}

export function createLoaders(prisma: PrismaClient, services: ServiceClient, options: ServiceCallOptions): CartsContext["loaders"] {
  return {
    cartById: byId((ids) => prisma.cart.findMany({ where: { id: { in: ids } } })),
    itemsByCartId: groupedBy(
      (item) => item.cartId,
      (cartIds) => prisma.cartItem.findMany({ where: { cartId: { in: cartIds } }, orderBy: [{ addedAt: "asc" }, { id: "asc" }] }),
    ),
    // Asked with the customer's own rights: products hides what the customer may not see.
    productOffer: new DataLoader(async (ids) => {
      const offers = await productOffers(services, [...ids], options);
      return ids.map((id) => offers.get(id) ?? null);
    }),
    availableUnits: new DataLoader(async (ids) => {
      const units = await availableUnits(services, [...ids], options);
      return ids.map((id) => units.get(id) ?? 0);
    }),
  };
}

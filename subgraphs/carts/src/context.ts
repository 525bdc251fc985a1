import type DataLoader from "dataloader";
import type { BaseContext } from "../../../lib/subgraph.js";
import { byId, groupedBy } from "../../../lib/loaders.js";
import type { ServiceClient } from "../../../lib/serviceClient.js";
import type { Cart, CartItem, PrismaClient } from "../../../prisma/carts/__generated__/client.js";

export interface CartsContext extends BaseContext {
  prisma: PrismaClient;
  loaders: {
    cartById: DataLoader<string, Cart | null>;
    itemsByCartId: DataLoader<string, CartItem[]>;
  };
  /** Signed calls to other subgraphs (asks products whether a product is on sale). */
  services: ServiceClient;
}

export function createLoaders(prisma: PrismaClient): CartsContext["loaders"] {
  return {
    cartById: byId((ids) => prisma.cart.findMany({ where: { id: { in: ids } } })),
    itemsByCartId: groupedBy(
      (item) => item.cartId,
      (cartIds) => prisma.cartItem.findMany({ where: { cartId: { in: cartIds } }, orderBy: [{ addedAt: "asc" }, { id: "asc" }] }),
    ),
  };
}

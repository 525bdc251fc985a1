import type { ProductResolvers } from "../__generated__/resolvers-types.js";
import * as products from "../products.js";

export const Product: ProductResolvers = {
  __resolveReference: (reference, ctx) => products.productReference(ctx, reference.id),
  price: (product) => ({ amount: product.priceAmount, currency: product.currency }),
  category: (product, _, ctx) => (product.categoryId ? ctx.loaders.categoryById.load(product.categoryId) : null),
  images: (product, _, ctx) => ctx.loaders.imagesByProductId.load(product.id),
};

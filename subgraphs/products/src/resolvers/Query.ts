import type { QueryResolvers } from "../__generated__/resolvers-types.js";
import * as categories from "../categories.js";
import { listProducts } from "../listing.js";
import * as products from "../products.js";

export const Query: QueryResolvers = {
  product: (_, args, ctx) => products.findProduct(ctx, args),
  products: (_, args, ctx) => listProducts(ctx, args),
  categories: (_, __, ctx) => categories.listRoots(ctx),
  category: (_, args, ctx) => categories.findCategory(ctx, args),
};

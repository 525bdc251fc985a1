import type { MutationResolvers } from "../__generated__/resolvers-types.js";
import * as categories from "../categories.js";
import * as products from "../products.js";
import * as productImages from "../productImages.js";

export const Mutation: MutationResolvers = {
  createProduct: (_, { input }, ctx) => products.createProduct(ctx, input),
  updateProduct: (_, { id, input }, ctx) => products.updateProduct(ctx, id, input),
  archiveProduct: (_, { id }, ctx) => products.archiveProduct(ctx, id),
  deleteProduct: (_, { id }, ctx) => products.deleteProduct(ctx, id),
  createCategory: (_, { input }, ctx) => categories.createCategory(ctx, input),
  updateCategory: (_, { id, input }, ctx) => categories.updateCategory(ctx, id, input),
  deleteCategory: (_, { id }, ctx) => categories.deleteCategory(ctx, id),
  uploadProductImage: (_, { productId, file, alt }, ctx) => productImages.uploadProductImage(ctx, productId, file, alt),
  deleteProductImage: (_, { id }, ctx) => productImages.deleteProductImage(ctx, id),
  reorderProductImages: (_, { productId, imageIds }, ctx) => productImages.reorderProductImages(ctx, productId, imageIds),
};

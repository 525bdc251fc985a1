import type { CategoryResolvers } from "../__generated__/resolvers-types.js";

export const Category: CategoryResolvers = {
  __resolveReference: (reference, ctx) => ctx.loaders.categoryById.load(reference.id),
  parent: (category, _, ctx) => (category.parentId ? ctx.loaders.categoryById.load(category.parentId) : null),
  children: (category, _, ctx) => ctx.loaders.childrenByParentId.load(category.id),
  products: (category, { first, after }, ctx) => ctx.loaders.productsByCategory.load({ categoryId: category.id, first, after }),
};

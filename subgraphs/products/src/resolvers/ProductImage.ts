import type { ProductImageResolvers } from "../__generated__/resolvers-types.js";
import { imageUrl } from "../images.js";

export const ProductImage: ProductImageResolvers = {
  url: (image, { width }, ctx) => imageUrl(ctx.assetBaseUrl, image.storageKey, width),
};

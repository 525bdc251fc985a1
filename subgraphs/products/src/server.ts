import type { Config } from "../../../lib/config.js";
import { createPrisma } from "../../../lib/database.js";
import { createSubgraphServer } from "../../../lib/subgraph.js";
import { PrismaClient } from "../../../prisma/products/__generated__/client.js";
import { createLoaders, type ProductsContext } from "./context.js";
import express from "express";
import { multipartUploads } from "../../../lib/uploads.js";
import type { ProductDeletedHook } from "./images.js";
import { LocalDiskStorage, type FileStorage } from "./storage.js";
import { resolvers } from "./resolvers/index.js";

export interface ProductsServerOptions {
  prisma?: PrismaClient;
  /** Where image renditions are served; defaults to the configured public asset URL. */
  assetBaseUrl?: string;
  /** Where image files are kept; the local disk under STORAGE_DIR by default. */
  storage?: FileStorage;
  /** Removes a deleted product's image files; by default its folder in the storage. */
  onProductDeleted?: ProductDeletedHook;
}

export async function createProductsServer(config: Config, options: ProductsServerOptions = {}) {
  const prisma = options.prisma ?? createPrisma("products", config, PrismaClient);
  const assetBaseUrl = (options.assetBaseUrl ?? config.uploads.publicAssetUrl).replace(/\/+$/, "");
  const localStorage = new LocalDiskStorage(config.uploads.storageDir);
  const storage = options.storage ?? localStorage;
  const onProductDeleted: ProductDeletedHook =
    options.onProductDeleted ?? (({ productId }) => storage.deletePrefix(`products/${productId}`));
  const imageLimits = { maxBytes: config.uploads.maxBytes, maxPixels: config.uploads.maxPixels };
  return createSubgraphServer<ProductsContext>({
    name: "products",
    config,
    resolvers,
    createContext: (base) => ({
      ...base,
      prisma,
      loaders: createLoaders(prisma, base.viewer),
      assetBaseUrl,
      onProductDeleted,
      storage,
      imageLimits,
    }),
    // Multipart uploads (re-sent by the router), under the same limits as the router's.
    beforeGraphQL: [multipartUploads(config.uploads)],
    // Renditions never change under a URL (each upload gets a new id), so caches may keep them for a year.
    configureApp: (app) => {
      app.use("/assets", express.static(localStorage.root, { immutable: true, maxAge: "365d", index: false, fallthrough: false }));
    },
    prisma,
  });
}

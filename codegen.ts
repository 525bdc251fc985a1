// GraphQL Code Generator: resolver types for every subgraph from its SDL, and the typed
// client SDK (typed documents) from the composed API schema. Run with `npm run codegen`.
import { existsSync } from "node:fs";
import type { CodegenConfig } from "@graphql-codegen/cli";

type Mappers = Record<string, string>;
const prismaModels = (subgraph: string, models: string[]): Mappers =>
  Object.fromEntries(models.map((model) => [model, `../../../../prisma/${subgraph}/__generated__/client.js#${model} as ${model}Model`]));

/** Which GraphQL types resolve from which Prisma model, per subgraph. */
const subgraphs: Record<string, { context: string; mappers: Mappers }> = {
  users: {
    context: "UsersContext",
    mappers: {
      ...prismaModels("users", ["User"]),
      Address: "../users.js#Address as AddressModel",
    },
  },
  products: {
    context: "ProductsContext",
    mappers: prismaModels("products", ["Product", "Category", "ProductImage"]),
  },
  carts: {
    context: "CartsContext",
    mappers: prismaModels("carts", ["Cart", "CartItem"]),
  },
  orders: {
    context: "OrdersContext",
    mappers: {
      ...prismaModels("orders", ["Order"]),
      OrderItem: "../orders.js#PricedOrderItem as OrderItemModel",
      User: "../orders.js#UserReference",
    },
  },
  payments: {
    context: "PaymentsContext",
    mappers: {
      ...prismaModels("payments", ["Payment"]),
      Order: "../payments.js#OrderReference",
    },
  },
  inventory: {
    context: "InventoryContext",
    mappers: {
      ...prismaModels("inventory", ["StockMovement"]),
      Inventory: "../../../../prisma/inventory/__generated__/client.js#StockLevel as StockLevelModel",
      InsufficientStockError: "../inventory.js#InsufficientStock",
      Product: "../inventory.js#ProductReference",
    },
  },
};

const config: CodegenConfig = {
  overwrite: true,
  // Relative imports with ".js", as ESM under NodeNext needs.
  emitLegacyCommonJSImports: false,
  generates: {
    ...Object.fromEntries(
      Object.entries(subgraphs)
        .filter(([name]) => existsSync(`subgraphs/${name}/schema.graphql`))
        .map(([name, { context, mappers }]) => [
          `subgraphs/${name}/src/__generated__/resolvers-types.ts`,
          {
            schema: `subgraphs/${name}/schema.graphql`,
            plugins: ["typescript", "typescript-resolvers"],
            config: {
              federation: true,
              useIndexSignature: true,
              useTypeImports: true,
              enumsAsTypes: true,
              contextType: `../context.js#${context}`,
              mappers,
              scalars: {
                DateTime: "Date",
                Upload: "Promise<import('graphql-upload-minimal').FileUpload>",
              },
            },
          },
        ]),
    ),
    ...(existsSync("sdk/schema.graphql") && {
      "sdk/__generated__/": {
        schema: "sdk/schema.graphql",
        documents: "sdk/operations/**/*.graphql",
        preset: "client",
        presetConfig: { fragmentMasking: false },
        config: {
          useTypeImports: true,
          enumsAsTypes: true,
          scalars: { DateTime: "string", Upload: "File" },
        },
      },
    }),
  },
};

export default config;

// GraphQL Code Generator: resolver types for every subgraph from its SDL, and the typed
// client SDK (typed documents) from the composed API schema. Run with `npm run codegen`.
import { existsSync } from "node:fs";
import path from "node:path";
import type { CodegenConfig } from "@graphql-codegen/cli";
import { SUBGRAPHS, type SubgraphName } from "./lib/registry.js";

type Mappers = Record<string, string>;
const prismaModels = (subgraph: string, models: string[]): Mappers =>
  Object.fromEntries(models.map((model) => [model, `../../../../prisma/${subgraph}/__generated__/client.js#${model} as ${model}Model`]));

/** Per subgraph (every one in supergraph.yaml): its context type and which GraphQL types resolve from which model. */
const subgraphs: Record<SubgraphName, { context: string; mappers: Mappers }> = {
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
      ...prismaModels("orders", ["Order", "OrderStatusChange"]),
      OrderItem: "../orders.js#PricedOrderItem as OrderItemModel",
      User: "../../../../lib/types.js#EntityReference",
    },
  },
  payments: {
    context: "PaymentsContext",
    mappers: {
      ...prismaModels("payments", ["Payment", "Refund"]),
      Order: "../../../../lib/types.js#EntityReference",
    },
  },
  inventory: {
    context: "InventoryContext",
    mappers: {
      ...prismaModels("inventory", ["StockMovement"]),
      Inventory: "../../../../prisma/inventory/__generated__/client.js#StockLevel as StockLevelModel",
      InsufficientStockError: "../inventory.js#InsufficientStock",
      Product: "../../../../lib/types.js#EntityReference",
    },
  },
};

const config: CodegenConfig = {
  overwrite: true,
  // Relative imports with ".js", as ESM under NodeNext needs.
  emitLegacyCommonJSImports: false,
  generates: {
    ...Object.fromEntries(
      Object.values(SUBGRAPHS)
        .filter(({ schemaFile }) => existsSync(schemaFile))
        .map(({ name, schemaFile }) => [
          `subgraphs/${name}/src/__generated__/resolvers-types.ts`,
          {
            schema: path.relative(process.cwd(), schemaFile),
            plugins: ["typescript", "typescript-resolvers"],
            config: {
              federation: true,
              useIndexSignature: true,
              useTypeImports: true,
              enumsAsTypes: true,
              contextType: `../context.js#${subgraphs[name].context}`,
              mappers: subgraphs[name].mappers,
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

// Products for tests that need real ones (carts take ACTIVE products only, inventory stocks known ones).
import { randomUUID } from "node:crypto";
import { CreateProductDocument, type ProductStatus } from "../../sdk/__generated__/graphql.js";
import { createAdmin, requestOk, type Account } from "./client.js";

let admin: Promise<Account> | undefined;
/** One administrator per test file, made on first use. */
export const catalogAdmin = () => (admin ??= createAdmin());

export interface TestProduct {
  id: string;
  name: string;
}

export async function createProduct(input: { status?: ProductStatus; name?: string; priceAmount?: number } = {}): Promise<TestProduct> {
  const data = await requestOk(
    CreateProductDocument,
    {
      input: {
        name: input.name ?? `Test product ${randomUUID().slice(0, 8)}`,
        priceAmount: input.priceAmount ?? 1500,
        status: input.status ?? "ACTIVE",
      },
    },
    { token: (await catalogAdmin()).token },
  );
  return data.createProduct;
}

/** The id of a new product on sale. */
export const activeProduct = async () => (await createProduct()).id;

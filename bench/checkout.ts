// The checkout scenario of `npm run bench`: many customers at once each put two products in their cart
// and check out through the router (order, stock reservation, Stripe PaymentIntent on the emulator).
import { randomUUID } from "node:crypto";
import type { Config } from "../lib/config.js";
import { prismaAdapter } from "../lib/database.js";
import { PrismaClient as UsersPrisma } from "../prisma/users/__generated__/client.js";
import { makeAdmin } from "../subgraphs/users/src/users.js";
import { measureCpu, stackProcesses } from "./processCpu.js";

interface GraphQLBody<T> {
  data?: T;
  errors?: { message: string }[];
}

async function post<T>(url: string, query: string, variables: Record<string, unknown>, token?: string): Promise<T> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as GraphQLBody<T>;
  if (!body.data || body.errors?.length) throw new Error(`${response.status}: ${JSON.stringify(body.errors ?? body)}`);
  return body.data;
}

const REGISTER = `mutation BenchRegister($input: RegisterInput!) { register(input: $input) { ... on AuthPayload { token } } }`;
const LOGIN = `mutation BenchLogin($email: String!, $password: String!) { login(email: $email, password: $password) { ... on AuthPayload { token } } }`;
const PRODUCTS = `query BenchProducts { products(first: 2) { edges { node { id } } } }`;
const SET_STOCK = `mutation BenchSetStock($productId: ID!) { setStock(productId: $productId, onHand: 1000000) { __typename } }`;
const ADD_TO_CART = `mutation BenchAddToCart($productId: ID!) { addToCart(productId: $productId, quantity: 1) { __typename } }`;
const CHECKOUT = `mutation BenchCheckout($input: CheckoutInput!) {
  checkout(input: $input) { __typename ... on CheckoutSuccess { order { id total { amount } } payment { id clientSecret } } }
}`;
const ADDRESS = { line1: "1 Bench Street", city: "Berlin", postalCode: "10115", country: "DE" };

export interface CheckoutBenchResult {
  customers: number;
  concurrency: number;
  ordersPerSecond: number;
  /** Latency of the checkout mutation alone, and of the whole journey (two addToCart, then checkout). */
  checkoutP50: number;
  checkoutP99: number;
  journeyP99: number;
  failures: number;
  /** CPU milliseconds per order, per process of the stack. */
  cpuMsPerOrder: Map<string, number>;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

async function adminToken(config: Config, routerUrl: string): Promise<string> {
  const prisma = new UsersPrisma({ adapter: prismaAdapter(config.subgraphs.users.databaseUrl, 1) });
  try {
    const email = `bench-admin-${randomUUID().slice(0, 8)}@example.test`;
    const { generatedPassword } = await makeAdmin(prisma, email);
    const { login } = await post<{ login: { token: string } }>(routerUrl, LOGIN, { email, password: generatedPassword });
    return login.token;
  } finally {
    await prisma.$disconnect();
  }
}

/** Runs `work` for each item with at most `concurrency` running at once. */
async function pool<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

export async function benchCheckout(config: Config, options: { customers: number; concurrency: number }): Promise<CheckoutBenchResult> {
  const routerUrl = config.router.publicUrl;
  const admin = await adminToken(config, routerUrl);
  const { products } = await post<{ products: { edges: { node: { id: string } }[] } }>(routerUrl, PRODUCTS, {});
  const productIds = products.edges.map((edge) => edge.node.id);
  for (const productId of productIds) await post(routerUrl, SET_STOCK, { productId }, admin);

  // Accounts first (Argon2 is deliberately slow; it is not what this scenario measures).
  const tokens: string[] = [];
  await pool(
    Array.from({ length: options.customers }, (_, i) => i),
    4,
    async (i) => {
      const input = { email: `bench-${i}-${randomUUID().slice(0, 8)}@example.test`, password: "bench-orbit-canvas-42", name: `Bench ${i}` };
      tokens.push((await post<{ register: { token: string } }>(routerUrl, REGISTER, { input })).register.token);
    },
  );

  const checkoutMs: number[] = [];
  const journeyMs: number[] = [];
  let failures = 0;
  const started = performance.now();
  const { cpuMs } = await measureCpu(stackProcesses(config.redis.prefix), () =>
    pool(tokens, options.concurrency, async (token) => {
      const journeyStart = performance.now();
      try {
        for (const productId of productIds) await post(routerUrl, ADD_TO_CART, { productId }, token);
        const checkoutStart = performance.now();
        const { checkout } = await post<{ checkout: { __typename: string } }>(
          routerUrl,
          CHECKOUT,
          { input: { idempotencyKey: randomUUID(), shippingAddress: ADDRESS } },
          token,
        );
        if (checkout.__typename !== "CheckoutSuccess") throw new Error(checkout.__typename);
        checkoutMs.push(performance.now() - checkoutStart);
        journeyMs.push(performance.now() - journeyStart);
      } catch (error) {
        if (failures++ === 0) console.error(`first checkout failure: ${(error as Error).message}`);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  checkoutMs.sort((a, b) => a - b);
  journeyMs.sort((a, b) => a - b);
  const orders = checkoutMs.length;
  return {
    customers: options.customers,
    concurrency: options.concurrency,
    ordersPerSecond: orders / seconds,
    checkoutP50: percentile(checkoutMs, 50),
    checkoutP99: percentile(checkoutMs, 99),
    journeyP99: percentile(journeyMs, 99),
    failures,
    cpuMsPerOrder: new Map([...cpuMs].map(([name, ms]) => [name, orders > 0 ? ms / orders : 0])),
  };
}

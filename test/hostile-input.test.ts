// Hostile and careless input: control characters in any string, forged cursors, operations that
// cannot be picked, malformed multipart uploads. Each must be a client error with a code, never a
// 500 carrying a PostgreSQL or Prisma message. The pure parts (the input floor's walkers, the
// cursor codec) have their unit tests in test/unit/.
import assert from "node:assert/strict";
import { randomInt, randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { prismaAdapter } from "../lib/database.js";
import { PrismaClient as OrdersPrisma } from "../prisma/orders/__generated__/client.js";
import {
  ROUTER_URL,
  config,
  createAdmin,
  gql,
  gqlOk,
  randomIp,
  registerCustomer,
  serviceHeaders,
  subgraphUrl,
  type Account,
  type GraphQLResult,
} from "./support/client.js";

const NUL = "\u0000";
const ID = "6f1e2f43-8c1c-4b1a-9a55-0b7d1d0b0f01";

/** Fails unless the answer is a client error with this code (and field), no data, and nothing leaked. */
function assertRefused(result: GraphQLResult<unknown>, status: number, code: string, field?: string) {
  const error = result.errors?.[0];
  assert.ok(error, `expected an error, got ${JSON.stringify(result.data)}`);
  assert.equal(error.extensions?.code, code, JSON.stringify(result.errors));
  if (field !== undefined) assert.equal(error.extensions?.field, field);
  assert.equal(result.status, status, JSON.stringify(result.errors));
  assertNoLeak(result);
}

/**
 * Nothing from the database layer anywhere, and no stack trace beside the development-mode
 * `extensions.stacktrace` (not sent in production), which must not pass through Prisma either.
 */
function assertNoLeak(result: GraphQLResult<unknown>) {
  const everything = JSON.stringify(result.errors);
  assert.doesNotMatch(everything, /prisma|postgres/i);
  const withoutStacks = JSON.stringify(
    result.errors?.map(({ extensions, ...error }) => ({ ...error, extensions: { ...extensions, stacktrace: undefined } })),
  );
  assert.doesNotMatch(withoutStacks, /\n\s+at |\.ts:\d+|node_modules/);
}

/** Field errors (a forged cursor is found while resolving) are answered with HTTP 200, as GraphQL over HTTP has it. */
function assertFieldError(result: GraphQLResult<unknown>, code: string, field: string) {
  const error = result.errors?.find((e) => e.extensions?.code === code);
  assert.ok(error, `expected ${code}, got ${JSON.stringify(result.errors)}`);
  assert.equal(error.extensions?.field, field);
  assert.ok(result.status === 200 || result.status === 400, `status ${result.status}`);
  assertNoLeak(result);
}

let admin: Account;
let customer: Account;

before(async () => {
  admin = await createAdmin();
  customer = await registerCustomer();
});

describe("control characters in strings", () => {
  const bad = `bad${NUL}value`;
  /** Each case from the issue: the operation with the string as a variable, the same with it inline, the field named. */
  const cases: {
    name: string;
    variables: string;
    literal: string;
    vars: () => Record<string, unknown>;
    field: string;
    token?: () => string;
  }[] = [
    {
      name: "products(filter: { search })",
      variables: `query($filter: ProductFilter) { products(filter: $filter) { totalCount } }`,
      literal: `{ products(filter: { search: "bad\\u0000value" }) { totalCount } }`,
      vars: () => ({ filter: { search: bad } }),
      field: "filter.search",
    },
    {
      name: "product(slug)",
      variables: `query($slug: String) { product(slug: $slug) { id } }`,
      literal: `{ product(slug: "bad\\u0000value") { id } }`,
      vars: () => ({ slug: bad }),
      field: "slug",
    },
    {
      name: "category(slug)",
      variables: `query($slug: String) { category(slug: $slug) { id } }`,
      literal: `{ category(slug: "bad\\u0000value") { id } }`,
      vars: () => ({ slug: bad }),
      field: "slug",
    },
    {
      name: "login(email)",
      variables: `mutation($email: String!) { login(email: $email, password: "whatever-long") { __typename ... on AuthPayload { token } ... on ErrorResult { message code } } }`,
      literal: `mutation { login(email: "bad\\u0000value@example.test", password: "whatever-long") { __typename ... on AuthPayload { token } ... on ErrorResult { message code } } }`,
      vars: () => ({ email: `${bad}@example.test` }),
      field: "email",
    },
    {
      name: "register(name)",
      variables: `mutation($input: RegisterInput!) { register(input: $input) { __typename ... on AuthPayload { token } ... on ErrorResult { message code } } }`,
      literal: `mutation { register(input: { email: "nul@example.test", password: "plum-orbit-canvas-42", name: "bad\\u0000value" }) { __typename ... on AuthPayload { token } ... on ErrorResult { message code } } }`,
      vars: () => ({ input: { email: "nul@example.test", password: "plum-orbit-canvas-42", name: bad } }),
      field: "input.name",
    },
    {
      name: "updateProfile",
      variables: `mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { __typename ... on User { id } ... on ErrorResult { message code } } }`,
      literal: `mutation { updateProfile(input: { defaultShippingAddress: { line1: "1 Way", city: "bad\\u0000value", postalCode: "1", country: "DE" } }) { __typename ... on User { id } ... on ErrorResult { message code } } }`,
      vars: () => ({ input: { defaultShippingAddress: { line1: "1 Way", city: bad, postalCode: "1", country: "DE" } } }),
      field: "input.defaultShippingAddress.city",
      token: () => customer.token,
    },
    {
      name: "users(search)",
      variables: `query($search: String) { users(search: $search) { totalCount } }`,
      literal: `{ users(search: "bad\\u0000value") { totalCount } }`,
      vars: () => ({ search: bad }),
      field: "search",
      token: () => admin.token,
    },
    {
      name: "createCategory",
      variables: `mutation($input: CreateCategoryInput!) { createCategory(input: $input) { id } }`,
      literal: `mutation { createCategory(input: { name: "bad\\u0000value" }) { id } }`,
      vars: () => ({ input: { name: bad } }),
      field: "input.name",
      token: () => admin.token,
    },
    {
      name: "createProduct",
      variables: `mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }`,
      literal: `mutation { createProduct(input: { name: "Lamp", description: "bad\\u0000value", priceAmount: 100 }) { id } }`,
      vars: () => ({ input: { name: "Lamp", description: bad, priceAmount: 100 } }),
      field: "input.description",
      token: () => admin.token,
    },
    {
      name: "adjustStock(note)",
      variables: `mutation($id: ID!, $note: String) { adjustStock(productId: $id, delta: 1, reason: RESTOCK, note: $note) { __typename } }`,
      literal: `mutation { adjustStock(productId: "${ID}", delta: 1, reason: RESTOCK, note: "bad\\u0000value") { __typename } }`,
      vars: () => ({ id: ID, note: bad }),
      field: "note",
      token: () => admin.token,
    },
  ];
  // login and register are rate limited per address: every request comes from its own.
  const send = (query: string, variables: Record<string, unknown>, token?: string, url?: string) =>
    gql(query, variables, { token, ip: randomIp(), ...(url ? { url } : {}) });

  for (const c of cases) {
    it(`${c.name}: as a variable and inline, 400 BAD_USER_INPUT naming the field`, async () => {
      assertRefused(await send(c.variables, c.vars(), c.token?.()), 400, "BAD_USER_INPUT", c.field);
      assertRefused(await send(c.literal, {}, c.token?.()), 400, "BAD_USER_INPUT", c.field);
    });
  }

  it("refuses each case straight at its subgraph too", async () => {
    const home: Record<string, string> = {
      "products(filter: { search })": "products",
      "product(slug)": "products",
      "category(slug)": "products",
      "login(email)": "users",
      "register(name)": "users",
      updateProfile: "users",
      "users(search)": "users",
      createCategory: "products",
      createProduct: "products",
      "adjustStock(note)": "inventory",
    };
    for (const c of cases) {
      const url = subgraphUrl(home[c.name] as "users");
      assertRefused(await send(c.variables, c.vars(), c.token?.(), url), 400, "BAD_USER_INPUT", c.field);
      assertRefused(await send(c.literal, {}, c.token?.(), url), 400, "BAD_USER_INPUT", c.field);
    }
  });

  it("refuses other control characters, DEL and lone surrogates; keeps tab and line breaks where text may have them", async () => {
    const search = `query($filter: ProductFilter) { products(filter: $filter) { totalCount } }`;
    for (const text of ["a\u0001", "a\u001b[31m", "a\u007f", "a\uD800", "\uDC00b"]) {
      assertRefused(await gql(search, { filter: { search: text } }), 400, "BAD_USER_INPUT", "filter.search");
    }
    const created = await gqlOk(
      `mutation($input: CreateProductInput!) { createProduct(input: $input) { description } }`,
      { input: { name: `Lamp ${randomUUID()}`, description: "Line one\r\nLine two\twith a tab", priceAmount: 100 } },
      { token: admin.token },
    );
    assert.equal(created.createProduct.description, "Line one\r\nLine two\twith a tab");
  });

  it("refuses tabs and line breaks in names, which are one line", async () => {
    const result = await gql(
      `mutation($input: CreateCategoryInput!) { createCategory(input: $input) { id } }`,
      { input: { name: "Two\nlines" } },
      { token: admin.token },
    );
    assertFieldError(result, "BAD_USER_INPUT", "input.name");
    const profile = await gql(
      `mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { __typename ... on User { id } ... on ErrorResult { message code } } }`,
      { input: { name: "Ada\tLovelace" } },
      { token: customer.token },
    );
    assertFieldError(profile, "BAD_USER_INPUT", "input.name");
  });

  it("refuses an over-long user search instead of scanning with it", async () => {
    assertFieldError(
      await gql(`query($s: String) { users(search: $s) { totalCount } }`, { s: "x".repeat(201) }, { token: admin.token }),
      "BAD_USER_INPUT",
      "search",
    );
  });
});

// ------------------------------------------------------------------------------------------------

/** A real cursor with its sort key (the part before the id) replaced by `key`, as a forger would do. */
function tampered(cursor: string, keyJson: string): string {
  const parts = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown[];
  const json = JSON.stringify([...parts.slice(0, -2), "KEY", parts.at(-1)]).replace('"KEY"', keyJson);
  return Buffer.from(json).toString("base64url");
}
const withId = (cursor: string, id: string) => {
  const parts = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown[];
  return Buffer.from(JSON.stringify([...parts.slice(0, -1), id])).toString("base64url");
};

describe("hand-made cursors", () => {
  const PRODUCTS = `query($after: String, $filter: ProductFilter, $sort: ProductSort) {
    products(first: 1, after: $after, filter: $filter, sort: $sort) { edges { node { id } } pageInfo { endCursor } } }`;
  const word = `hostile${Array.from({ length: 8 }, () => String.fromCharCode(97 + randomInt(26))).join("")}`;

  before(async () => {
    for (const [index, price] of [100, 200].entries()) {
      await gqlOk(
        `mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }`,
        { input: { name: `${word} item ${index}`, description: word, priceAmount: price, status: "ACTIVE" } },
        { token: admin.token },
      );
    }
  });

  const sorts = {
    PRICE: ["9999999999", "-5", "1.5", '"100"', "null"],
    CREATED_AT: ['"2020-13-45T00:00:00.000Z"', '"2020-13-45"', '"2026-02-30T00:00:00.000Z"', '"+275760-09-13T00:00:00.000Z"', "0"],
    RELEVANCE: ["1e999", "-1e999", '"NaN"', '"1e999"', "null"],
    NAME: [`"a\\u0000b"`, JSON.stringify("x".repeat(5000)), "12", "null"],
  } as const;

  for (const [field, keys] of Object.entries(sorts)) {
    it(`products sorted by ${field}: a forged key, id or sort is BAD_USER_INPUT on after`, async () => {
      const variables = { filter: { search: word }, sort: { field } };
      const first = await gqlOk(PRODUCTS, variables);
      const cursor: string = first.products.pageInfo.endCursor;
      // The real cursor works, so the refusals below are about the forgery.
      const second = await gqlOk(PRODUCTS, { ...variables, after: cursor });
      assert.notEqual(second.products.edges[0]?.node.id, first.products.edges[0].node.id);
      for (const key of keys)
        assertFieldError(await gql(PRODUCTS, { ...variables, after: tampered(cursor, key) }), "BAD_USER_INPUT", "after");
      assertFieldError(await gql(PRODUCTS, { ...variables, after: withId(cursor, "1; DROP TABLE x") }), "BAD_USER_INPUT", "after");
      const otherSort = field === "PRICE" ? "NAME" : "PRICE";
      assertFieldError(await gql(PRODUCTS, { ...variables, sort: { field: otherSort }, after: cursor }), "BAD_USER_INPUT", "after");
      const otherDirection = field === "CREATED_AT" || field === "RELEVANCE" ? "ASC" : "DESC";
      assertFieldError(
        await gql(PRODUCTS, { ...variables, sort: { field, direction: otherDirection }, after: cursor }),
        "BAD_USER_INPUT",
        "after",
      );
    });
  }

  it("the cursors of the issue (the old format) are refused", async () => {
    const old = (parts: unknown[]) => Buffer.from(JSON.stringify(parts)).toString("base64url");
    for (const [field, key] of [
      ["PRICE", "9999999999"],
      ["CREATED_AT", "2020-13-45 00:00:00"],
      ["RELEVANCE", "1e999"],
      ["NAME", `a${NUL}b`],
    ] as const) {
      const after = old([field, field === "NAME" || field === "PRICE" ? "ASC" : "DESC", key, randomUUID()]);
      assertFieldError(await gql(PRODUCTS, { filter: { search: word }, sort: { field }, after }), "BAD_USER_INPUT", "after");
    }
  });

  it("a category's product page refuses a forged cursor", async () => {
    const category = await gqlOk(
      `mutation { createCategory(input: { name: "Hostile ${randomUUID()}" }) { id } }`,
      {},
      { token: admin.token },
    );
    const query = `query($id: ID, $after: String) { category(id: $id) { products(after: $after) { totalCount } } }`;
    const forged = Buffer.from(JSON.stringify(["products:CREATED_AT:DESC", "2020-13-45T00:00:00.000Z", ID])).toString("base64url");
    assertFieldError(await gql(query, { id: category.createCategory.id, after: forged }), "BAD_USER_INPUT", "after");
  });

  it("the users list refuses forged dates, ids and another list's cursor", async () => {
    const USERS = `query($after: String) { users(first: 1, after: $after) { edges { node { id } } pageInfo { endCursor } } }`;
    const cursor: string = (await gqlOk(USERS, {}, { token: admin.token })).users.pageInfo.endCursor;
    await gqlOk(USERS, { after: cursor }, { token: admin.token });
    for (const key of ['"2020-13-45T00:00:00.000Z"', '"2020-13-45"', '"+275760-09-13T00:00:00.000Z"', "1e999", `"a\\u0000"`]) {
      assertFieldError(await gql(USERS, { after: tampered(cursor, key) }, { token: admin.token }), "BAD_USER_INPUT", "after");
    }
    assertFieldError(await gql(USERS, { after: withId(cursor, "x") }, { token: admin.token }), "BAD_USER_INPUT", "after");
    const ordersCursor = Buffer.from(JSON.stringify(["orders", new Date().toISOString(), ID])).toString("base64url");
    assertFieldError(await gql(USERS, { after: ordersCursor }, { token: admin.token }), "BAD_USER_INPUT", "after");
  });

  describe("orders", () => {
    const prisma = new OrdersPrisma({ adapter: prismaAdapter(config.subgraphs.orders.databaseUrl, 1) });
    after(() => prisma.$disconnect());

    it("myOrders refuses forged dates and ids", async () => {
      for (const minutesAgo of [2, 1]) {
        await prisma.order.create({
          data: {
            customerId: customer.id,
            currency: "EUR",
            subtotalAmount: 100,
            totalAmount: 100,
            createdAt: new Date(Date.now() - minutesAgo * 60_000),
          },
        });
      }
      const MY_ORDERS = `query($after: String) { myOrders(first: 1, after: $after) { edges { node { id } } pageInfo { endCursor } } }`;
      const cursor: string = (await gqlOk(MY_ORDERS, {}, { token: customer.token })).myOrders.pageInfo.endCursor;
      assert.equal((await gqlOk(MY_ORDERS, { after: cursor }, { token: customer.token })).myOrders.edges.length, 1);
      for (const key of ['"2020-13-45T00:00:00.000Z"', '"2020-13-45"', '"+275760-09-13T00:00:00.000Z"', "1e999"]) {
        assertFieldError(await gql(MY_ORDERS, { after: tampered(cursor, key) }, { token: customer.token }), "BAD_USER_INPUT", "after");
      }
      const usersCursor = Buffer.from(JSON.stringify(["users", new Date().toISOString(), ID])).toString("base64url");
      assertFieldError(await gql(MY_ORDERS, { after: usersCursor }, { token: customer.token }), "BAD_USER_INPUT", "after");
    });
  });
});

// ------------------------------------------------------------------------------------------------

describe("operations that cannot be picked", () => {
  const TWO = `query A { __typename } query B { __typename }`;
  for (const [name, url] of [
    ["the router", ROUTER_URL],
    ["a subgraph", subgraphUrl("products")],
  ] as const) {
    it(`${name} answers 400 for an unknown operationName or a missing one`, async () => {
      assertRefused(await gql(TWO, {}, { url, operationName: "C" }), 400, "OPERATION_RESOLUTION_FAILURE");
      assertRefused(await gql(TWO, {}, { url }), 400, "OPERATION_RESOLUTION_FAILURE");
      assertRefused(await gql(`{ __typename }`, {}, { url, operationName: "Named" }), 400, "OPERATION_RESOLUTION_FAILURE");
      assertRefused(await gql(`{ __typename } { __typename }`, {}, { url }), 400, "GRAPHQL_VALIDATION_FAILED");
      assert.equal((await gqlOk(TWO, {}, { url, operationName: "B" })).__typename, "Query");
    });
  }
});

// ------------------------------------------------------------------------------------------------

describe("malformed uploads", () => {
  const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");
  let productId: string;

  before(async () => {
    productId = (
      await gqlOk(
        `mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }`,
        { input: { name: `Upload target ${randomUUID()}`, priceAmount: 100 } },
        { token: admin.token },
      )
    ).createProduct.id;
  });

  /** A GraphQL multipart request: `files` part names with their bytes, in order. */
  async function multipart(
    url: string,
    operations: object,
    map: Record<string, string[]>,
    files: string[],
  ): Promise<GraphQLResult<unknown>> {
    const form = new FormData();
    form.append("operations", JSON.stringify(operations));
    form.append("map", JSON.stringify(map));
    for (const name of files) form.append(name, new Blob([PNG], { type: "image/png" }), `${name}.png`);
    const response = await fetch(url, {
      method: "POST",
      headers: {
        authorization: `Bearer ${admin.token}`,
        "apollo-require-preflight": "true",
        "x-forwarded-for": randomIp(),
        // Straight to products: sign as the router does.
        ...(url === ROUTER_URL ? {} : serviceHeaders()),
      },
      body: form,
    });
    const body = (await response.json()) as { data?: unknown; errors?: GraphQLResult<unknown>["errors"] };
    return { status: response.status, headers: response.headers, data: body.data, errors: body.errors };
  }

  const TWO_UPLOADS = `mutation($p: ID!, $a: Upload!, $b: Upload!) {
    a: uploadProductImage(productId: $p, file: $a) { id } b: uploadProductImage(productId: $p, file: $b) { id } }`;
  const ONE_UPLOAD = `mutation($p: ID!, $file: Upload!) { uploadProductImage(productId: $p, file: $file) { id } }`;
  const imagesOf = async () =>
    (await gqlOk(`query($id: ID!) { product(id: $id) { images { id } } }`, { id: productId }, { token: admin.token })).product.images;
  const fileVariables = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`f${i}`, null]));
  const fileMap = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [String(i), [`variables.f${i}`]]));
  const fileNames = (count: number) => Array.from({ length: count }, (_, i) => String(i));

  for (const [name, url] of [
    ["the router", ROUTER_URL],
    ["products", subgraphUrl("products")],
  ] as const) {
    it(`${name}: one file mapped to two variables is BAD_USER_INPUT (400), and nothing is stored`, async () => {
      const result = await multipart(
        url,
        { query: TWO_UPLOADS, variables: { p: productId, a: null, b: null } },
        { "0": ["variables.a", "variables.b"] },
        ["0"],
      );
      assertRefused(result, 400, "BAD_USER_INPUT", "b");
      assert.deepEqual(await imagesOf(), []);
    });

    it(`${name}: a map entry whose file never comes is BAD_USER_INPUT (400)`, async () => {
      const result = await multipart(url, { query: ONE_UPLOAD, variables: { p: productId, file: null } }, { "0": ["variables.file"] }, []);
      assertRefused(result, 400, "BAD_USER_INPUT", "file");
      assert.deepEqual(await imagesOf(), []);
    });

    it(`${name}: MAX_UPLOAD_FILES files are read, one more is refused with BAD_USER_INPUT`, async () => {
      const limit = config.uploads.maxFiles;
      const atLimit = await multipart(url, { query: `{ __typename }`, variables: fileVariables(limit) }, fileMap(limit), fileNames(limit));
      assert.equal(atLimit.status, 200, JSON.stringify(atLimit.errors));
      assert.deepEqual(atLimit.data, { __typename: "Query" });
      const over = await multipart(
        url,
        { query: `{ __typename }`, variables: fileVariables(limit + 1) },
        fileMap(limit + 1),
        fileNames(limit + 1),
      );
      assertRefused(over, 413, "BAD_USER_INPUT", "map");
    });
  }

  it("a well-formed upload still works through the router", async () => {
    const result = await multipart(
      ROUTER_URL,
      { query: ONE_UPLOAD, variables: { p: productId, file: null } },
      { "0": ["variables.file"] },
      ["0"],
    );
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    assert.equal((await imagesOf()).length, 1);
  });
});

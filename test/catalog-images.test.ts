// Product images: multipart uploads through the router, sharp renditions, storage, clean-up.
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import sharp from "sharp";
import {
  DeleteProductImageDocument,
  ProductGalleryDocument,
  ReorderProductImagesDocument,
  UploadProductImageDocument,
  type UploadProductImageMutation,
} from "../sdk/__generated__/graphql.js";
import {
  ROUTER_URL,
  config,
  createAdmin,
  documentSource,
  expectError,
  gqlOk,
  registerCustomer,
  request,
  requestOk,
  type Account,
  type GraphQLResult,
} from "./support/client.js";

let admin: Account;
let customer: Account;

before(async () => {
  admin = await createAdmin();
  customer = await registerCustomer();
});

async function createProduct(status: "ACTIVE" | "DRAFT" = "ACTIVE"): Promise<string> {
  const data = await gqlOk(
    `mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }`,
    { input: { name: `Camera ${Date.now()}`, priceAmount: 19900, status } },
    { token: admin.token },
  );
  return data.createProduct.id;
}

/** A GraphQL multipart request (the spec's operations, map and file parts) sent to the router. */
async function upload(
  productId: string,
  bytes: Buffer,
  options: { filename?: string; type?: string; token?: string; preflight?: boolean; alt?: string } = {},
): Promise<GraphQLResult<UploadProductImageMutation | null>> {
  const form = new FormData();
  form.append(
    "operations",
    JSON.stringify({ query: documentSource(UploadProductImageDocument), variables: { productId, file: null, alt: options.alt ?? null } }),
  );
  form.append("map", JSON.stringify({ "0": ["variables.file"] }));
  form.append("0", new Blob([bytes], { type: options.type ?? "image/jpeg" }), options.filename ?? "photo.jpg");
  const headers: Record<string, string> = {};
  if (options.preflight !== false) headers["apollo-require-preflight"] = "true";
  const token = options.token === undefined ? admin.token : options.token;
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(ROUTER_URL, { method: "POST", headers, body: form });
  const body = (await response.json()) as { data: never; errors?: GraphQLResult<unknown>["errors"] };
  return { status: response.status, headers: response.headers, data: body.data, errors: body.errors };
}

const productFolder = (productId: string) => path.join(config.uploads.storageDir, "products", productId);
const filesOf = (productId: string) =>
  existsSync(productFolder(productId)) ? readdirSync(productFolder(productId), { recursive: true }) : [];

async function imagesOf(productId: string) {
  const { product } = await requestOk(ProductGalleryDocument, { id: productId, width: 800 }, { token: admin.token });
  assert.ok(product, "the product exists");
  return product.images;
}

async function assertNothingStored(productId: string) {
  assert.deepEqual(await imagesOf(productId), []);
  assert.deepEqual(filesOf(productId), []);
}

describe("uploading a product image", () => {
  it("stores upright, metadata-free WebP renditions served with long cache headers", async () => {
    const productId = await createProduct();
    // 300x120 pixels stored sideways: EXIF orientation 6 means "rotate 90° clockwise to view".
    const sideways = await sharp({ create: { width: 300, height: 120, channels: 3, background: "#c33" } })
      .jpeg()
      .withMetadata({ orientation: 6, exif: { IFD0: { Copyright: "secret-owner" } } })
      .toBuffer();
    const result = await upload(productId, sideways, { filename: "sideways.png", type: "image/png", alt: " Red block " });
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    const image = result.data!.uploadProductImage;
    assert.deepEqual([image.width, image.height, image.alt], [120, 300, "Red block"]);
    assert.match(image.thumbnail, new RegExp(`/assets/products/${productId}/${image.id}/200\\.webp$`));
    assert.match(image.url, /\/1600\.webp$/);

    const served = await fetch(image.thumbnail);
    assert.equal(served.status, 200);
    assert.equal(served.headers.get("content-type"), "image/webp");
    assert.match(served.headers.get("cache-control") ?? "", /max-age=31536000.*immutable/);
    const rendition = await sharp(Buffer.from(await served.arrayBuffer())).metadata();
    assert.equal(rendition.format, "webp");
    assert.deepEqual([rendition.width, rendition.height], [120, 300], "no enlargement, upright");
    assert.equal(rendition.exif, undefined, "metadata stripped");
    assert.equal(rendition.orientation, undefined);
    assert.deepEqual(filesOf(productId).filter((f) => String(f).endsWith(".webp")).length, 3);
  });

  it("resizes a large picture to each rendition width", async () => {
    const productId = await createProduct();
    const large = await sharp({ create: { width: 1800, height: 900, channels: 3, background: "#36c" } })
      .png()
      .toBuffer();
    const image = (await upload(productId, large, { type: "image/png" })).data!.uploadProductImage;
    for (const [width, expected] of [
      [150, 200],
      [800, 800],
      [1200, 1600],
    ] as const) {
      const url = image.url.replace(/\d+\.webp$/, `${expected}.webp`);
      const meta = await sharp(Buffer.from(await (await fetch(url)).arrayBuffer())).metadata();
      assert.equal(meta.width, expected, `rendition for ${width}`);
    }
  });

  const badUploads: [string, () => Promise<Buffer>, RegExp][] = [
    ["not an image, whatever its name says", async () => Buffer.from("#!/bin/sh\necho definitely not a jpeg\n".repeat(50)), /not an image/],
    ["zero bytes", async () => Buffer.alloc(0), /empty/],
    [
      "truncated",
      async () => {
        const whole = await sharp({ create: { width: 800, height: 600, channels: 3, background: "#393" } })
          .jpeg({ quality: 95 })
          .toBuffer();
        return whole.subarray(0, Math.floor(whole.length / 2));
      },
      /truncated|corrupt/,
    ],
    [
      "over the size limit",
      async () =>
        Buffer.concat([
          await sharp({ create: { width: 10, height: 10, channels: 3, background: "#000" } })
            .png()
            .toBuffer(),
          Buffer.alloc(config.uploads.maxBytes),
        ]),
      /larger than/,
    ],
    [
      "over the pixel limit (decompression bomb)",
      async () =>
        sharp({ create: { width: 2100, height: 2100, channels: 3, background: "#fff" } })
          .png({ compressionLevel: 9 })
          .toBuffer(),
      /pixels/,
    ],
  ];
  for (const [label, makeBytes, message] of badUploads) {
    it(`refuses a file that is ${label} with BAD_USER_INPUT and keeps nothing`, async () => {
      const productId = await createProduct();
      const result = await upload(productId, await makeBytes());
      const error = expectError(result, "BAD_USER_INPUT", "file");
      assert.match(error.message, message);
      await assertNothingStored(productId);
    });
  }

  it("keeps at most 10 images per product (the bound the router's cost estimate assumes)", async () => {
    const productId = await createProduct();
    const small = await sharp({ create: { width: 20, height: 20, channels: 3, background: "#36c" } })
      .png()
      .toBuffer();
    for (let i = 0; i < 10; i++) {
      const result = await upload(productId, small, { type: "image/png", filename: "a.png" });
      assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    }
    const refused = await upload(productId, small, { type: "image/png", filename: "a.png" });
    expectError(refused, "BAD_USER_INPUT", "productId");
    assert.equal((await imagesOf(productId)).length, 10);
    assert.equal(filesOf(productId).filter((f) => String(f).endsWith(".webp")).length, 30);
  });

  it("is for administrators only", async () => {
    const productId = await createProduct();
    const png = await sharp({ create: { width: 20, height: 20, channels: 3, background: "#000" } })
      .png()
      .toBuffer();
    expectError(await upload(productId, png, { token: customer.token }), "FORBIDDEN");
    expectError(await upload(productId, png, { token: "" }), "UNAUTHENTICATED");
    await assertNothingStored(productId);
  });

  it("refuses a multipart request without the CSRF preflight header", async () => {
    const productId = await createProduct();
    const png = await sharp({ create: { width: 20, height: 20, channels: 3, background: "#000" } })
      .png()
      .toBuffer();
    const result = await upload(productId, png, { preflight: false });
    assert.equal(result.status, 400);
    await assertNothingStored(productId);
  });

  it("answers NOT_FOUND for an unknown product", async () => {
    const png = await sharp({ create: { width: 20, height: 20, channels: 3, background: "#000" } })
      .png()
      .toBuffer();
    expectError(await upload("01a20000-0000-7000-8000-000000000000", png), "NOT_FOUND");
  });
});

describe("managing product images", () => {
  it("reorders, deletes one image with its files, and deletes all files with the product", async () => {
    // Never published, so it can be deleted (a published product is archived instead).
    const productId = await createProduct("DRAFT");
    const ids: string[] = [];
    for (const colour of ["#f00", "#0f0", "#00f"]) {
      const png = await sharp({ create: { width: 40, height: 40, channels: 3, background: colour } })
        .png()
        .toBuffer();
      ids.push((await upload(productId, png, { type: "image/png" })).data!.uploadProductImage.id);
    }
    assert.deepEqual(
      (await imagesOf(productId)).map((i) => i.id),
      ids,
    );

    const reordered = [ids[2]!, ids[0]!, ids[1]!];
    const data = await requestOk(ReorderProductImagesDocument, { productId, imageIds: reordered }, { token: admin.token });
    assert.deepEqual(
      data.reorderProductImages.images.map((i) => i.id),
      reordered,
    );
    expectError(
      await request(ReorderProductImagesDocument, { productId, imageIds: [ids[0]!] }, { token: admin.token }),
      "BAD_USER_INPUT",
      "imageIds",
    );

    const doomed = (await imagesOf(productId)).find((i) => i.id === ids[0])!;
    await requestOk(DeleteProductImageDocument, { id: ids[0]! }, { token: admin.token });
    assert.equal((await fetch(doomed.url)).status, 404);
    assert.deepEqual(
      (await imagesOf(productId)).map((i) => i.id),
      [ids[2], ids[1]],
    );

    const deleted = await gqlOk(`mutation($id: ID!) { deleteProduct(id: $id) { __typename } }`, { id: productId }, { token: admin.token });
    assert.equal(deleted.deleteProduct.__typename, "ProductDeleted");
    assert.equal(existsSync(productFolder(productId)), false);
  });
});

// Rendition widths and image URLs (subgraphs/products/src/images.ts).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RENDITION_WIDTHS, imageStorageKey, imageUrl, renditionPath, renditionWidthFor } from "../../subgraphs/products/src/images.js";

describe("rendition widths", () => {
  it("picks the smallest rendition at least as wide as asked", () => {
    assert.deepEqual([...RENDITION_WIDTHS], [200, 800, 1600]);
    assert.equal(renditionWidthFor(1), 200);
    assert.equal(renditionWidthFor(200), 200);
    assert.equal(renditionWidthFor(201), 800);
    assert.equal(renditionWidthFor(800), 800);
    assert.equal(renditionWidthFor(1200), 1600);
  });

  it("gives the largest when nothing is asked or more than the largest is", () => {
    assert.equal(renditionWidthFor(undefined), 1600);
    assert.equal(renditionWidthFor(null), 1600);
    assert.equal(renditionWidthFor(5000), 1600);
  });

  it("refuses widths that are not a positive whole number, on `width`", () => {
    for (const bad of [0, -200, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(
        () => renditionWidthFor(bad),
        (error: { extensions?: { code?: string; field?: string } }) =>
          error.extensions?.code === "BAD_USER_INPUT" && error.extensions.field === "width",
        String(bad),
      );
    }
  });
});

describe("image URLs", () => {
  it("are the asset base, the product's folder, the image and the rendition", () => {
    const key = imageStorageKey("p1", "i1");
    assert.equal(key, "products/p1/i1");
    assert.equal(renditionPath(key, 800), "products/p1/i1/800.webp");
    assert.equal(imageUrl("https://cdn.example/assets", key, 300), "https://cdn.example/assets/products/p1/i1/800.webp");
    assert.equal(imageUrl("https://cdn.example/assets", key), "https://cdn.example/assets/products/p1/i1/1600.webp");
  });
});

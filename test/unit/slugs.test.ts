// URL slugs (subgraphs/products/src/slugs.ts): made from names, unique by suffix.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { firstFreeSlug, slugify } from "../../subgraphs/products/src/slugs.js";

describe("slugify", () => {
  it("lowercases, drops accents and joins words with single dashes", () => {
    assert.equal(slugify("Crème Brûlée Set (2 pcs)", "x"), "creme-brulee-set-2-pcs");
    assert.equal(slugify("  Hello,   World!  ", "x"), "hello-world");
    assert.equal(slugify("ÅNGSTRÖM façade", "x"), "angstrom-facade");
    assert.equal(slugify("ﬁne ½ pint", "x"), "fine-1-2-pint"); // NFKD splits ligatures and fractions
  });

  it("falls back when nothing readable is left", () => {
    for (const name of ["", "   ", "!!!", "日本語", "😀", "---"]) assert.equal(slugify(name, "product"), "product", JSON.stringify(name));
  });

  it("keeps at most 80 characters and never ends on a dash after cutting", () => {
    const long = slugify("word ".repeat(40), "x");
    assert.ok(long.length <= 80, String(long.length));
    assert.doesNotMatch(long, /^-|-$/);
    assert.equal(slugify(`${"a".repeat(79)} b`, "x"), "a".repeat(79));
  });

  it("leaves no character outside a-z, 0-9 and the dash, whatever the input", () => {
    const hostile = "a\u0000b\u001fc\u007fd\u202ee/../f?g#h%20i<script>";
    assert.match(slugify(hostile, "x"), /^[a-z0-9]+(-[a-z0-9]+)*$/);
  });
});

describe("firstFreeSlug", () => {
  it("takes the base when free, else the first free numbered one", () => {
    assert.equal(firstFreeSlug("lamp", []), "lamp");
    assert.equal(firstFreeSlug("lamp", ["lamp-2"]), "lamp");
    assert.equal(firstFreeSlug("lamp", ["lamp"]), "lamp-2");
    assert.equal(firstFreeSlug("lamp", ["lamp", "lamp-2", "lamp-3", "lamp-5"]), "lamp-4");
    assert.equal(firstFreeSlug("lamp", new Set(["lamp", "lamp-shade", "lamp-2-x"])), "lamp-2");
  });
});

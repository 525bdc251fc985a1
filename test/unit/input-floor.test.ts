// The input floor's walkers (lib/input.ts): which strings and literals are refused, and where.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse } from "graphql";
import { findUnacceptableLiteral, findUnacceptableVariable, isAcceptableText, MAX_INPUT_DEPTH } from "../../lib/input.js";

const NUL = "\u0000";

describe("the input floor", () => {
  it("accepts printable text, tab, LF, CR and astral characters", () => {
    for (const text of ["", "Crème brûlée", "a\tb\nc\r\nd", "😀 emoji", "\u0080\u009f"])
      assert.ok(isAcceptableText(text), JSON.stringify(text));
  });

  it("refuses C0 controls but tab, LF and CR, DEL and lone surrogates", () => {
    const bad = [0x00, 0x01, 0x08, 0x0b, 0x0c, 0x0e, 0x1b, 0x1f, 0x7f].map((code) => `a${String.fromCharCode(code)}b`);
    for (const text of [...bad, "\uD800", "x\uDC00", "\uDBFFy"]) assert.equal(isAcceptableText(text), false, JSON.stringify(text));
  });

  it("names the path of the first bad string in nested variables, keys included, and skips non-plain objects", () => {
    assert.equal(findUnacceptableVariable({ input: { name: "ok", tags: ["a", { note: `x${NUL}` }] } })?.field, "input.tags.1.note");
    assert.equal(findUnacceptableVariable({ input: { [`na${NUL}me`]: "x" } })?.field, `input.na${NUL}me`);
    assert.equal(findUnacceptableVariable({ n: 1, b: true, z: null, s: "fine\n" }), null);
    class Upload {
      filename = `evil${NUL}`;
    }
    assert.equal(findUnacceptableVariable({ file: new Upload() }), null);
    let deep: unknown = "x";
    for (let i = 0; i < MAX_INPUT_DEPTH + 5; i++) deep = [deep];
    assert.equal(findUnacceptableVariable({ deep })?.reason, "too-deep");
  });

  it("finds bad string literals in arguments, input objects, lists, directives, fragments and variable defaults", () => {
    const find = (query: string) => findUnacceptableLiteral(parse(query))?.field;
    assert.equal(find(`{ products(filter: { search: "a\\u0000" }) { totalCount } }`), "filter.search");
    assert.equal(find(`{ a(ids: ["ok", "b\\u0007"]) }`), "ids.1");
    assert.equal(find(`{ a @include(if: true) @x(reason: "\\u007f") }`), "reason");
    assert.equal(find(`query { ...F } fragment F on Query { product(slug: "s\\u0000") { id } }`), "slug");
    assert.equal(find(`query($s: String = "d\\u0001") { a(s: $s) }`), "s");
    assert.equal(find(`{ a(s: "tab\\tnew\\nline") b(s: """block""") }`), undefined);
  });
});

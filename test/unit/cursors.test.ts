// The cursor codec (lib/pagination.ts): round trips, and forged cursors refused as BAD_USER_INPUT on `after`.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { cursorCodec, cursorKeys, pageSize, toConnection } from "../../lib/pagination.js";

const NUL = "\u0000";
const ID = "6f1e2f43-8c1c-4b1a-9a55-0b7d1d0b0f01";

describe("the cursor codec", () => {
  const byPrice = cursorCodec("products:PRICE:ASC", [cursorKeys.int4(0), cursorKeys.id]);
  const byDate = cursorCodec("users", [cursorKeys.timestamp(), cursorKeys.id]);
  const byScore = cursorCodec("products:RELEVANCE:DESC", [cursorKeys.float(), cursorKeys.id]);
  const byName = cursorCodec("products:NAME:ASC", [cursorKeys.text(200), cursorKeys.id]);
  const raw = (json: string) => Buffer.from(json).toString("base64url");
  const refused = (decode: () => unknown) =>
    assert.throws(decode, (error: { extensions?: { code?: string; field?: string } }) => {
      assert.equal(error.extensions?.code, "BAD_USER_INPUT");
      assert.equal(error.extensions?.field, "after");
      return true;
    });

  it("reads back what it wrote", () => {
    const now = new Date().toISOString();
    assert.deepEqual(byPrice.decode(byPrice.encode([1999, ID])), [1999, ID]);
    assert.deepEqual(byDate.decode(byDate.encode([now, ID])), [now, ID]);
    assert.deepEqual(byScore.decode(byScore.encode([0.6079271, ID])), [0.6079271, ID]);
    assert.deepEqual(byName.decode(byName.encode(["Éclair\tset", ID])), ["Éclair\tset", ID]);
  });

  it("refuses keys outside their column's range or type", () => {
    refused(() => byPrice.decode(raw(`["products:PRICE:ASC",9999999999,"${ID}"]`)));
    refused(() => byPrice.decode(raw(`["products:PRICE:ASC",-1,"${ID}"]`)));
    refused(() => byPrice.decode(raw(`["products:PRICE:ASC",1.5,"${ID}"]`)));
    refused(() => byPrice.decode(raw(`["products:PRICE:ASC","100","${ID}"]`)));
    for (const date of [
      "2020-13-45T00:00:00.000Z",
      "2021-02-29T00:00:00.000Z",
      "2020-01-01",
      "1969-12-31T23:59:59.999Z",
      "+275760-09-13T00:00:00.000Z",
    ]) {
      refused(() => byDate.decode(raw(JSON.stringify(["users", date, ID]))));
    }
    refused(() => byScore.decode(raw(`["products:RELEVANCE:DESC",1e999,"${ID}"]`)));
    refused(() => byScore.decode(raw(`["products:RELEVANCE:DESC","NaN","${ID}"]`)));
    refused(() => byName.decode(byName.encode([`a${NUL}b`, ID])));
    refused(() => byName.decode(byName.encode(["x".repeat(201), ID])));
    refused(() => byName.decode(byName.encode(["fine", "not-a-uuid"])));
  });

  it("refuses another list's or sort's cursor, extra parts, and garbage", () => {
    refused(() => byPrice.decode(cursorCodec("products:PRICE:DESC", [z.number(), cursorKeys.id]).encode([1, ID])));
    refused(() => byDate.decode(raw(JSON.stringify(["orders", new Date().toISOString(), ID]))));
    refused(() => byPrice.decode(raw(`["products:PRICE:ASC",1,"${ID}","extra"]`)));
    refused(() => byPrice.decode(raw(`["PRICE","ASC","9999999999","${ID}"]`)));
    for (const garbage of ["", "not-a-cursor", raw("{}"), raw("[]"), raw("null"), "A".repeat(5000)]) refused(() => byPrice.decode(garbage));
  });
});

describe("page sizes and connections", () => {
  it("takes `first` between 0 and 100, the fallback when absent, and refuses the rest on `first`", () => {
    assert.equal(pageSize(undefined), 20);
    assert.equal(pageSize(null, 24), 24);
    assert.equal(pageSize(0), 0);
    assert.equal(pageSize(100), 100);
    for (const bad of [-1, 101, 1.5, Number.NaN]) {
      assert.throws(
        () => pageSize(bad),
        (error: { extensions?: { code?: string; field?: string } }) =>
          error.extensions?.code === "BAD_USER_INPUT" && error.extensions.field === "first",
        String(bad),
      );
    }
  });

  it("reads the extra row as a next page and cursors the first and last edges", () => {
    const rows = ["a", "b", "c"];
    const cursorOf = (row: string) => `cursor-${row}`;
    const page = toConnection(rows, 2, cursorOf, 7, true);
    assert.deepEqual(
      page.edges.map((edge) => edge.node),
      ["a", "b"],
    );
    assert.deepEqual(page.pageInfo, { hasNextPage: true, hasPreviousPage: true, startCursor: "cursor-a", endCursor: "cursor-b" });
    assert.equal(page.totalCount, 7);
    const last = toConnection(rows, 3, cursorOf, 3, false);
    assert.equal(last.pageInfo.hasNextPage, false);
    assert.deepEqual(toConnection([], 5, cursorOf, 0, false).pageInfo, {
      hasNextPage: false,
      hasPreviousPage: false,
      startCursor: null,
      endCursor: null,
    });
  });
});

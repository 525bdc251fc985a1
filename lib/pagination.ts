// Relay-style keyset pagination. A cursor is an opaque, base64url-encoded JSON tuple: the list and
// sort it belongs to, then the row's sort key and id, so pages stay correct while rows are added.
// Clients can forge cursors, so decoding checks every part against the schema of its sort key
// before any of it reaches SQL: a bad cursor is BAD_USER_INPUT, never a database error.
import { z } from "zod";
import { BadUserInputError } from "./errors.js";
import { isAcceptableText } from "./input.js";
import { isUuid } from "./loaders.js";

export const MAX_PAGE_SIZE = 100;
/** Longer than any cursor we make (a 200-character name is under 1.2 kB encoded). */
const MAX_CURSOR_LENGTH = 2048;

const INVALID_CURSOR = "The cursor is not valid; use one returned by a previous page.";

/** Timestamps as Date.prototype.toISOString() writes them, between 1970 and 9999. */
const ISO_TIMESTAMP = /^(\d{4})-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Schemas for the parts of a cursor's key. */
export const cursorKeys = {
  /** A row id (every table's key is a uuid). */
  id: z.string().refine(isUuid),
  /** A whole number that fits a PostgreSQL int4 column between `min` and 2^31-1 (prices are cents). */
  int4: (min = -2147483648) => z.int().min(min).max(2147483647),
  /** A finite floating-point number (JSON's 1e999 parses to Infinity and is refused). */
  float: () => z.number(),
  /** A real UTC instant, exactly as toISOString() prints it ("2026-02-30T..." and "2020-13-45T..." are refused). */
  timestamp: () =>
    z.string().refine((text) => {
      const year = Number(ISO_TIMESTAMP.exec(text)?.[1]);
      if (!(year >= 1970)) return false;
      const date = new Date(text);
      return !Number.isNaN(date.getTime()) && date.toISOString() === text;
    }),
  /** Text of at most `max` characters, acceptable to the input floor (no control characters). */
  text: (max: number) => z.string().max(max).refine(isAcceptableText),
};

export interface CursorCodec<Key extends readonly unknown[]> {
  encode(key: Key): string;
  /** The key a cursor carries; BAD_USER_INPUT on `field` for anything but a cursor this codec made. */
  decode(cursor: string, field?: string): Key;
}

/**
 * The one way cursors are made and read. `kind` names the list and sort ("products:PRICE:ASC"), so
 * a cursor from another list or sort is refused; `key` validates every part of the sort key.
 */
export function cursorCodec<const Parts extends [z.ZodType, ...z.ZodType[]]>(
  kind: string,
  key: Parts,
): CursorCodec<z.output<z.ZodTuple<Parts, null>>> {
  const schema = z.tuple(key);
  return {
    encode: (parts) => Buffer.from(JSON.stringify([kind, ...(parts as unknown[])])).toString("base64url"),
    decode(cursor, field = "after") {
      let parsed: unknown;
      try {
        if (cursor.length > MAX_CURSOR_LENGTH) throw new RangeError("too long");
        parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
      } catch {
        throw new BadUserInputError(INVALID_CURSOR, field);
      }
      if (!Array.isArray(parsed) || typeof parsed[0] !== "string") throw new BadUserInputError(INVALID_CURSOR, field);
      if (parsed[0] !== kind) {
        throw new BadUserInputError("The cursor belongs to another list or sort order; start again without it.", field);
      }
      const result = schema.safeParse(parsed.slice(1));
      if (!result.success) throw new BadUserInputError(INVALID_CURSOR, field);
      return result.data;
    },
  };
}

export function pageSize(first: number | null | undefined, fallback = 20): number {
  const size = first ?? fallback;
  if (!Number.isInteger(size) || size < 0 || size > MAX_PAGE_SIZE) {
    throw new BadUserInputError(`first must be between 0 and ${MAX_PAGE_SIZE}.`, "first");
  }
  return size;
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: number;
}

/** Builds a connection from `size + 1` fetched rows (the extra row only tells whether there is a next page). */
export function toConnection<T>(
  rows: T[],
  size: number,
  cursorOf: (row: T) => string,
  totalCount: number,
  hasPrevious: boolean,
): Connection<T> {
  const page = rows.slice(0, size);
  const edges = page.map((node) => ({ cursor: cursorOf(node), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > size,
      hasPreviousPage: hasPrevious,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount,
  };
}

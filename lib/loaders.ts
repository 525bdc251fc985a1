// Per-request DataLoaders: every entity reference and list-to-entity hop is one batched query.
import DataLoader from "dataloader";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `value` is a UUID: ids are uuid columns, so anything else can never match a row. */
export const isUuid = (value: string) => UUID.test(value);

/** Loads rows by id in one query; unknown or malformed ids resolve to null. */
export function byId<T extends { id: string }>(fetch: (ids: string[]) => Promise<T[]>): DataLoader<string, T | null> {
  return new DataLoader<string, T | null>(async (ids) => {
    const valid = ids.filter(isUuid);
    const rows = valid.length > 0 ? await fetch([...new Set(valid)]) : [];
    const found = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => found.get(id) ?? null);
  });
}

/** Loads the rows belonging to each key (e.g. the items of each cart) in one query. */
export function groupedBy<T, K extends string>(keyOf: (row: T) => K, fetch: (keys: K[]) => Promise<T[]>): DataLoader<K, T[]> {
  return new DataLoader<K, T[]>(async (keys) => {
    const rows = await fetch([...new Set(keys)]);
    const groups = new Map<K, T[]>();
    for (const row of rows) {
      const key = keyOf(row);
      groups.set(key, [...(groups.get(key) ?? []), row]);
    }
    return keys.map((key) => groups.get(key) ?? []);
  });
}

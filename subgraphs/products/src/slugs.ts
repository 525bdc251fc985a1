// URL slugs for products and categories: made from the name once, then kept, so links survive renames.
import { BadUserInputError, prismaErrorKind } from "../../../lib/errors.js";

const MAX_SLUG_LENGTH = 80;

/** `product(id, slug)` and `category(id, slug)` take exactly one of the two: which one was given. */
export function idOrSlug({ id, slug }: { id?: string | null; slug?: string | null }): { id: string } | { slug: string } {
  if (id != null && slug == null) return { id };
  if (slug != null && id == null) return { slug };
  throw new BadUserInputError("Give exactly one of id and slug.", id == null ? "id" : "slug");
}

/** "Crème Brûlée Set (2 pcs)" → "creme-brulee-set-2-pcs"; `fallback` when nothing readable is left. */
export function slugify(name: string, fallback: string): string {
  const slug = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "") // the accents NFKD split off their letters
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .slice(0, MAX_SLUG_LENGTH)
    .replace(/^-+|-+$/g, "");
  return slug || fallback;
}

/** `base` when it is free, else the first free `base-2`, `base-3`, ... among the slugs already taken. */
export function firstFreeSlug(base: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  if (!used.has(base)) return base;
  let suffix = 2;
  while (used.has(`${base}-${suffix}`)) suffix += 1;
  return `${base}-${suffix}`;
}

/**
 * Creates a row with a unique slug made from `name`. `takenWithPrefix` lists the slugs starting
 * with the base (one indexed prefix query); `create` inserts. Two writers picking the same slug at
 * once collide on the unique index: the loser looks again.
 */
export async function createWithUniqueSlug<T>(
  name: string,
  fallback: string,
  takenWithPrefix: (prefix: string) => Promise<string[]>,
  create: (slug: string) => Promise<T>,
): Promise<T> {
  const base = slugify(name, fallback);
  for (let attempt = 1; ; attempt += 1) {
    const slug = firstFreeSlug(base, await takenWithPrefix(base));
    try {
      return await create(slug);
    } catch (error) {
      const slugTaken = prismaErrorKind(error) === "unique" && attempt < 5;
      if (!slugTaken) throw error;
    }
  }
}

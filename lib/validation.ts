// Input validation with zod; the first problem becomes a BAD_USER_INPUT error naming its field.
import { z } from "zod";
import { BadUserInputError } from "./errors.js";
import { isUuid } from "./loaders.js";

/** An id in input or a payload: the one uuid rule (`isUuid`), so every subgraph refuses the same strings. */
export const uuid = (message = "must be an id (a UUID)") => z.string().refine(isUuid, message);

/**
 * For text that is one line by nature (names, slugs): the input floor (lib/input.ts) lets tab and line
 * breaks through for descriptions and notes, this refuses them.
 */
export const singleLine = (schema: z.ZodString) => schema.regex(/^[^\t\n\r]*$/, "must be one line, without tabs or line breaks");

export function parseInput<T extends z.ZodType>(schema: T, value: unknown, fieldPrefix = "input"): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = [fieldPrefix, ...issue.path.map(String)].filter(Boolean).join(".");
  throw new BadUserInputError(`${field}: ${issue.message}`, field);
}

/**
 * The vocabulary of request and response schemas: zod 4 with OpenAPI metadata in
 * zod's own `.meta()`, so the API functions carry no OpenAPI generator; only the
 * function serving /v1/openapi.json turns these schemas into a document.
 */
import * as z from 'zod';
import { idPattern, idPrefixes, type IdKind } from '../ids.ts';

export const timestamp = z.string().meta({ format: 'date-time', example: '2026-11-24T10:00:00.000Z' });

export const idOf = (kind: IdKind) =>
  z.string().regex(idPattern(kind), `must be a ${kind} id`).meta({ example: `${idPrefixes[kind]}_01JD0000000000000000000000` });

/** Fields every resource carries (API.md conventions). */
export const resourceFields = {
  createdAt: timestamp,
  updatedAt: timestamp,
  version: z.number().int().min(1),
};

/** C0 and C1 control characters (Unicode category Cc), written so JSON Schema validators read it too. */
const NO_CONTROL_CHARACTERS = /^[^\x00-\x1f\x7f-\x9f]+$/;

/** Human-facing names: trimmed, 1–64 chars, no control characters. */
export const displayName = z.string().trim().min(1).max(64).regex(NO_CONTROL_CHARACTERS, 'must not contain control characters');

export const email = z.email().max(254).transform((value) => value.toLowerCase());

/**
 * A whole number in a query string: decimal digits only (no `1e2`, ` 5` or `0x10`,
 * which a plain Number() would take), then the range.
 */
export const queryInteger = (min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^[0-9]{1,6}$/, 'must be a whole number written in decimal digits')
    .default(String(fallback))
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))
    .meta({ type: 'integer', minimum: min, maximum: max, default: fallback });

/** `?limit=&cursor=` of every list (API.md: 1–100, default 25; a cursor only as the API issued it). */
export const pageQuery = {
  limit: queryInteger(1, 100, 25),
  cursor: z.string().min(1).max(2048).optional().meta({ description: 'the `nextCursor` of the previous page, exactly as issued' }),
};

export const listQuery = z.strictObject(pageQuery);

export const listOf = <T extends z.ZodType>(item: T, name: string) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() }).meta({ id: name });

export const problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string(),
    detail: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem' });

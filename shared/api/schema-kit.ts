import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { idPattern, type IdKind } from '../ids.ts';

extendZodWithOpenApi(z);

export { z };

export const timestamp = z.string().openapi({ format: 'date-time', example: '2026-11-24T10:00:00.000Z' });

export const idOf = (kind: IdKind) =>
  z.string().regex(idPattern(kind), `must be a ${kind} id`).openapi({ example: `${idPattern(kind).source.slice(1, 4)}_01JD0000000000000000000000` });

/** Fields every resource carries (API.md conventions). */
export const resourceFields = {
  createdAt: timestamp,
  updatedAt: timestamp,
  version: z.number().int().min(1),
};

/** Human-facing names: trimmed, 1–64 chars, no control characters. */
export const displayName = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[^\p{Cc}]+$/u, 'must not contain control characters');

export const email = z.email().max(254).transform((value) => value.toLowerCase());

export const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(25).openapi({ type: 'integer' }),
  cursor: z.string().min(1).max(2048).optional(),
});

export const listOf = <T extends z.ZodType>(item: T, name: string) =>
  z
    .object({ items: z.array(item), nextCursor: z.string().nullable() })
    .openapi(name);

export const problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string(),
    detail: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi('Problem');

import * as z from 'zod';

/**
 * What every stored resource has. Items are validated with zod on every read, so a
 * malformed item fails loudly at the boundary instead of leaking into a response.
 * Each feature declares its items in its own items.ts; key attributes live in keys.ts.
 */
export const resourceBase = {
  id: z.string(),
  name: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  version: z.number().int().min(1),
};

const storageOnly = ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'ttl', 'type', 'hash'] as const;
type StorageOnly = (typeof storageOnly)[number];

/** Drops the table's key attributes and the item type so only the resource is left. */
export function withoutKeys<T extends Record<string, unknown>>(item: T): Omit<T, StorageOnly> {
  const rest: Record<string, unknown> = { ...item };
  for (const attribute of storageOnly) delete rest[attribute];
  return rest as Omit<T, StorageOnly>;
}

/** The fields of `item` that the API shape `schema` declares: internal fields never leak into a response. */
export function pickFields<S extends z.ZodObject>(schema: S, item: Record<string, unknown>): z.infer<S> {
  const out: Record<string, unknown> = {};
  for (const field of Object.keys(schema.shape)) if (item[field] !== undefined) out[field] = item[field];
  return out as z.infer<S>;
}

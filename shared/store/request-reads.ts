/**
 * Items a request read ahead in one BatchGetItem (the caller's key and user, the
 * project, the resource its route names), kept for that request only: a later
 * getItem of the same key is answered from here instead of another round trip. Any
 * write through the table functions forgets them, so nothing read after a write is
 * older than the write.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Key } from './table.ts';

type Reads = Map<string, Record<string, unknown> | null>;

const reads = new AsyncLocalStorage<Reads>();
const id = (key: Key) => `${key.pk}\u0000${key.sk}`;

/** Runs one request with its own read-ahead items. */
export const withRequestReads = <T>(run: () => T): T => reads.run(new Map(), run);

/** The item read ahead for `key`: null when it was read and does not exist, undefined when it was not read ahead. */
export function readAhead(key: Key): Record<string, unknown> | null | undefined {
  return reads.getStore()?.get(id(key));
}

export function rememberReads(keys: Key[], items: Array<Record<string, unknown> | undefined>): void {
  const store = reads.getStore();
  if (!store) return;
  keys.forEach((key, i) => store.set(id(key), items[i] ?? null));
}

/** After a write: what was read ahead may be stale. */
export function forgetReads(): void {
  reads.getStore()?.clear();
}

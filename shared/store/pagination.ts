import { validationFailed } from '../errors.ts';
import type { ListSpec } from './keys.ts';
import { tableDefinition } from './table-definition.ts';

/**
 * Opaque list cursors: base64url of DynamoDB's LastEvaluatedKey. A cursor is taken
 * back only when it is exactly what the list issues: the key attributes of the table
 * (and of the index, for index lists) and nothing else, each a string, in the list's
 * own partition and sort-key range. So it can be neither turned into a read of another
 * tenant's items nor make DynamoDB reject the query.
 */
export type KeyMap = Record<string, string>;

export function encodeCursor(lastKey: Record<string, unknown> | undefined): string | null {
  if (!lastKey) return null;
  return Buffer.from(JSON.stringify(lastKey), 'utf8').toString('base64url');
}

/** DynamoDB's limit on a key attribute's length, and so on each field of a cursor. */
const MAX_KEY_LENGTH = 1024;

function keyAttributesOf(list: ListSpec): string[] {
  const table = [tableDefinition.partitionKey.name, tableDefinition.sortKey.name];
  if (!list.index) return table;
  const index = tableDefinition.globalSecondaryIndexes.find((i) => i.indexName === list.index);
  if (!index) throw new Error(`unknown index ${list.index}`);
  return [...table, index.partitionKey.name, index.sortKey.name];
}

function inRange(list: ListSpec, key: KeyMap): boolean {
  if (list.skBeginsWith) return key[list.skBeginsWith.attribute]?.startsWith(list.skBeginsWith.value) === true;
  if (list.skBetween) {
    const sk = key[list.skBetween.attribute];
    return sk !== undefined && sk >= list.skBetween.from && sk <= list.skBetween.to;
  }
  return true;
}

export function decodeCursor(cursor: string | undefined, list: ListSpec): KeyMap | undefined {
  if (cursor === undefined) return undefined;
  const invalid = () => validationFailed('cursor is not valid for this list', [{ path: 'query.cursor', message: 'not a cursor this list issued' }]);
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalid();
  const entries = Object.entries(parsed as Record<string, unknown>);
  const expected = keyAttributesOf(list);
  if (entries.length !== expected.length || !expected.every((name) => Object.hasOwn(parsed as object, name))) throw invalid();
  if (entries.some(([, v]) => typeof v !== 'string' || v.length === 0 || v.length > MAX_KEY_LENGTH || !v.isWellFormed())) throw invalid();
  const key = Object.fromEntries(entries) as KeyMap;
  if (key[list.partition.attribute] !== list.partition.value || !inRange(list, key)) throw invalid();
  return key;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** A page with each item turned into its API shape. */
export function mapPage<T, R>(page: Page<T>, toResource: (item: T) => R): Page<R> {
  return { items: page.items.map(toResource), nextCursor: page.nextCursor };
}

import { validationFailed } from '../errors.ts';

/**
 * Opaque list cursors: base64url of DynamoDB's LastEvaluatedKey. A cursor is only
 * accepted for the partition it came from, so it cannot be turned into a read of
 * another tenant's items.
 */
export type KeyMap = Record<string, string>;

export function encodeCursor(lastKey: Record<string, unknown> | undefined): string | null {
  if (!lastKey) return null;
  return Buffer.from(JSON.stringify(lastKey), 'utf8').toString('base64url');
}

export function decodeCursor(
  cursor: string | undefined,
  expected: { attribute: string; value: string },
  withinRange: (key: KeyMap) => boolean = () => true,
): KeyMap | undefined {
  if (cursor === undefined) return undefined;
  const invalid = () => validationFailed('cursor is not valid for this list', [{ path: 'cursor', message: 'invalid cursor' }]);
  let parsed: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalid();
  const entries = Object.entries(parsed as Record<string, unknown>);
  if (entries.length === 0 || entries.length > 4 || entries.some(([, v]) => typeof v !== 'string')) throw invalid();
  const key = Object.fromEntries(entries) as KeyMap;
  if (key[expected.attribute] !== expected.value || !withinRange(key)) throw invalid();
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

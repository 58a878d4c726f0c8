import {
  BatchGetCommand,
  UpdateCommand,
  type BatchGetCommandOutput,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { TransactionCanceledException, ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { z } from 'zod';
import { ApiError, notFound, preconditionFailed } from '../errors.ts';
import type { Store } from './client.ts';
import type { ListSpec } from './keys.ts';
import { decodeCursor, encodeCursor, type Page } from './pagination.ts';
import { forgetReads, readAhead } from './request-reads.ts';

export type Key = { pk: string; sk: string };
type SdkTransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
type WithoutTable<T> = Omit<NonNullable<T>, 'TableName'>;
/** A transaction item without TableName: `transact` adds the store's table. */
export type TransactItem =
  | { Put: WithoutTable<SdkTransactItem['Put']> }
  | { Update: WithoutTable<SdkTransactItem['Update']> }
  | { Delete: WithoutTable<SdkTransactItem['Delete']> }
  | { ConditionCheck: WithoutTable<SdkTransactItem['ConditionCheck']> };

export async function getItem<S extends z.ZodType>(
  store: Store,
  key: Key,
  schema: S,
  options: { consistent?: boolean } = {},
): Promise<z.infer<S> | undefined> {
  const ahead = readAhead(key);
  if (ahead !== undefined) return ahead === null ? undefined : (schema.parse(ahead) as z.infer<S>);
  const { Item } = await store.doc.send(
    new GetCommand({ TableName: store.tableName, Key: key, ConsistentRead: options.consistent ?? true }),
  );
  return Item ? (schema.parse(Item) as z.infer<S>) : undefined;
}

/** Reads up to 100 keys at once; returns them in request order (missing → undefined). */
export async function getItems(store: Store, keyList: Key[]): Promise<Array<Record<string, unknown> | undefined>> {
  const found = new Map<string, Record<string, unknown>>();
  const ahead = keyList.map(readAhead);
  const toRead = keyList.filter((_, i) => ahead[i] === undefined);
  for (let i = 0; i < toRead.length; i += 100) {
    let pending: Record<string, unknown>[] | undefined = toRead.slice(i, i + 100);
    for (let attempt = 0; pending?.length && attempt < 8; attempt++) {
      const out: BatchGetCommandOutput = await store.doc.send(
        new BatchGetCommand({ RequestItems: { [store.tableName]: { Keys: pending, ConsistentRead: true } } }),
      );
      for (const item of out.Responses?.[store.tableName] ?? []) found.set(`${item.pk}|${item.sk}`, item);
      pending = out.UnprocessedKeys?.[store.tableName]?.Keys;
      if (pending?.length) await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
    }
    if (pending?.length) throw new Error('BatchGetItem left keys unprocessed after retries');
  }
  return keyList.map((k, i) => (ahead[i] === undefined ? found.get(`${k.pk}|${k.sk}`) : (ahead[i] ?? undefined)));
}

export interface QueryPageOptions extends ListSpec {
  limit: number;
  cursor?: string;
  newestFirst?: boolean;
  filter?: { expression: string; names: Record<string, string>; values: Record<string, unknown> };
}

/**
 * One page of a Query. With a filter, DynamoDB may return short pages; this keeps
 * reading until the page is full or the partition ends, so clients get `limit` items
 * whenever that many exist.
 */
export async function queryPage<S extends z.ZodType>(
  store: Store,
  options: QueryPageOptions,
  schema: S,
): Promise<Page<z.infer<S>>> {
  let startKey: Record<string, unknown> | undefined = decodeCursor(options.cursor, options);
  const names: Record<string, string> = { '#pk': options.partition.attribute, ...options.filter?.names };
  const values: Record<string, unknown> = { ':pk': options.partition.value, ...options.filter?.values };
  let condition = '#pk = :pk';
  if (options.skBeginsWith) {
    names['#sk'] = options.skBeginsWith.attribute;
    values[':skp'] = options.skBeginsWith.value;
    condition += ' AND begins_with(#sk, :skp)';
  } else if (options.skBetween) {
    names['#sk'] = options.skBetween.attribute;
    values[':skfrom'] = options.skBetween.from;
    values[':skto'] = options.skBetween.to;
    condition += ' AND #sk BETWEEN :skfrom AND :skto';
  }
  const items: z.infer<S>[] = [];
  let lastKey: Record<string, unknown> | undefined;
  do {
    const out = await store.doc.send(
      new QueryCommand({
        TableName: store.tableName,
        IndexName: options.index,
        KeyConditionExpression: condition,
        FilterExpression: options.filter?.expression,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ExclusiveStartKey: startKey,
        ScanIndexForward: !options.newestFirst,
        Limit: options.limit - items.length,
        ConsistentRead: options.index ? undefined : true,
      }),
    );
    for (const item of out.Items ?? []) items.push(schema.parse(item) as z.infer<S>);
    lastKey = out.LastEvaluatedKey;
    startKey = lastKey;
  } while (lastKey && items.length < options.limit);
  return { items, nextCursor: encodeCursor(lastKey) };
}

/** The list filter of resources in one `status.phase` (the lists' `?phase=`); none without a phase. */
export const phaseFilter = (phase: string | undefined): QueryPageOptions['filter'] =>
  phase ? { expression: '#status.#phase = :phase', names: { '#status': 'status', '#phase': 'phase' }, values: { ':phase': phase } } : undefined;

/** Every item of a partition prefix (for cascades); bounded so a request can't run away. */
export async function queryAll<S extends z.ZodType>(
  store: Store,
  options: Omit<QueryPageOptions, 'limit' | 'cursor'>,
  schema: S,
  max = 1000,
): Promise<z.infer<S>[]> {
  const all: z.infer<S>[] = [];
  let cursor: string | undefined;
  do {
    const page = await queryPage(store, { ...options, limit: 100, cursor }, schema);
    all.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && all.length < max);
  return all;
}

export class TransactionConflict extends Error {
  /** Cancellation reason per transaction item, e.g. 'ConditionalCheckFailed' or 'None'. */
  readonly reasons: string[];
  constructor(reasons: string[]) {
    super(`transaction cancelled: ${reasons.join(', ')}`);
    this.name = 'TransactionConflict';
    this.reasons = reasons;
  }
}

/**
 * TransactWriteItems; a failed condition surfaces as TransactionConflict with per-item
 * reasons. A cancellation because another transaction touched the same items at the
 * same moment is retried with backoff, so the retry sees the winner's write and fails
 * its condition (a clean 409) instead of surfacing as a 500.
 */
export async function transact(store: Store, items: TransactItem[], attempts = 6): Promise<void> {
  const withTable = items.map((item) => {
    const [kind, body] = Object.entries(item)[0] as [string, Record<string, unknown>];
    return { [kind]: { TableName: store.tableName, ...body } } as SdkTransactItem;
  });
  forgetReads();
  for (let attempt = 1; ; attempt++) {
    try {
      await store.doc.send(new TransactWriteCommand({ TransactItems: withTable }));
      return;
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = (error.CancellationReasons ?? []).map((r) => r.Code ?? 'None');
      if (reasons.includes('ConditionalCheckFailed')) throw new TransactionConflict(reasons);
      if (!reasons.includes('TransactionConflict')) throw error;
      transactionStats.conflicts++;
      if (attempt >= attempts) throw new TransactionContention(reasons);
      // Full jitter: transactions that collided once should not collide again in step.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * 2 ** attempt));
    }
  }
}

/** Transactions cancelled because another one touched the same item at the same moment (each retried). */
export const transactionStats = { conflicts: 0 };

/**
 * The items stayed busy through every retry (hot items under heavy concurrency): a
 * 409 the client may retry, never a 500. Callers that can re-plan (placement) catch it.
 */
export class TransactionContention extends ApiError {
  readonly reasons: string[];
  constructor(reasons: string[]) {
    super('conflict', 'the change collided with concurrent changes to the same resources too often; retry');
    this.reasons = reasons;
  }
}

export function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException || (error as { name?: string })?.name === 'ConditionalCheckFailedException';
}

export const nowIso = () => new Date().toISOString();

/**
 * The optimistic-concurrency condition: the item still has the version it was read
 * at (plus an optional extra clause that may use its own `values`).
 */
export function versionIs(expected: number, extra?: { clause: string; values?: Record<string, unknown> }) {
  return {
    ConditionExpression: `attribute_exists(pk) AND #version = :expectedVersion${extra ? ` AND ${extra.clause}` : ''}`,
    ExpressionAttributeNames: { '#version': 'version' },
    ExpressionAttributeValues: { ':expectedVersion': expected, ...extra?.values },
  };
}

/** A condition clause with the names and values it uses. */
export interface Condition {
  expression: string;
  names?: Record<string, string>;
  values?: Record<string, unknown>;
}

export interface FieldChange {
  /** Attributes to set; an undefined value removes the attribute. */
  set?: Record<string, unknown>;
  /** Counters to change atomically (ADD), e.g. `{ clusters: -1 }`. */
  add?: Record<string, number>;
  /** The version the caller read; the write fails if the item moved on. */
  expectedVersion?: number;
  /** An extra clause the item must satisfy. */
  condition?: Condition;
  /** Bump `version` and `updatedAt` (default: true when anything is set). */
  touch?: boolean;
  /** The `updatedAt` to write, so the caller can answer with the item as written. */
  now?: string;
}

/**
 * An UpdateItem that writes only the fields a mutation owns, so fields kept by other
 * writers (counters, allocations) survive it. The item must exist.
 */
export function updateItem(key: Key, change: FieldChange): { Update: WithoutTable<SdkTransactItem['Update']> } {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets: string[] = [];
  const removes: string[] = [];
  const adds: string[] = [];
  Object.entries(change.set ?? {}).forEach(([field, value], i) => {
    names[`#s${i}`] = field;
    if (value === undefined) removes.push(`#s${i}`);
    else {
      values[`:s${i}`] = value;
      sets.push(`#s${i} = :s${i}`);
    }
  });
  Object.entries(change.add ?? {}).forEach(([field, delta], i) => {
    names[`#a${i}`] = field;
    values[`:a${i}`] = delta;
    adds.push(`#a${i} :a${i}`);
  });
  if (change.touch ?? sets.length + removes.length > 0) {
    names['#version'] = 'version';
    names['#updatedAt'] = 'updatedAt';
    values[':one'] = 1;
    values[':now'] = change.now ?? nowIso();
    sets.push('#version = #version + :one', '#updatedAt = :now');
  }
  const clauses = ['attribute_exists(pk)'];
  if (change.expectedVersion !== undefined) {
    names['#version'] = 'version';
    values[':expectedVersion'] = change.expectedVersion;
    clauses.push('#version = :expectedVersion');
  }
  if (change.condition) {
    clauses.push(`(${change.condition.expression})`);
    Object.assign(names, change.condition.names);
    Object.assign(values, change.condition.values);
  }
  const expression = [
    sets.length ? `SET ${sets.join(', ')}` : '',
    removes.length ? `REMOVE ${removes.join(', ')}` : '',
    adds.length ? `ADD ${adds.join(', ')}` : '',
  ].filter(Boolean).join(' ');
  return {
    Update: {
      Key: key,
      UpdateExpression: expression,
      ConditionExpression: clauses.join(' AND '),
      ExpressionAttributeNames: names,
      ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
    },
  };
}

/** Sends one {@link updateItem} on its own (outside a transaction). */
export async function update(store: Store, item: ReturnType<typeof updateItem>): Promise<void> {
  forgetReads();
  await store.doc.send(new UpdateCommand({ TableName: store.tableName, ...item.Update } as never));
}

/**
 * Why a guarded write of an existing item failed: it is gone (404), it moved past the
 * If-Match the caller gave (412, with the version it has now), or another writer got
 * there first (409).
 */
export async function versionConflict(store: Store, key: Key, what: string, ifMatch?: number): Promise<ApiError> {
  const { Item } = await store.doc.send(new GetCommand({ TableName: store.tableName, Key: key, ConsistentRead: true, ProjectionExpression: '#v', ExpressionAttributeNames: { '#v': 'version' } }));
  if (!Item) return notFound(what);
  if (ifMatch !== undefined && Item.version !== ifMatch) return preconditionFailed(Number(Item.version));
  return new ApiError('conflict', `${what} changed at the same time; retry`);
}

/**
 * The rollup's records: usage per hour (with its pieces, so any sub-window is exact to
 * the second) and per day (totals), for each host cluster, virtual cluster and app
 * (in its project's usage partition), each project and the tenant. Keys are built from
 * the period and the resource alone, so re-running a window overwrites the same
 * records with the same numbers.
 */
import { BatchWriteCommand, type BatchWriteCommandOutput } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { Store } from '../store/client.ts';
import { mapLimit } from '../jobs/runner.ts';
import type { Piece, UsageTotals } from './pieces.ts';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

export const floorHour = (ms: number) => Math.floor(ms / HOUR_MS) * HOUR_MS;
export const floorDay = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;
/** `2026-01-14T10` */
export const hourKey = (ms: number) => new Date(ms).toISOString().slice(0, 13);
/** `2026-01-14` */
export const dayKey = (ms: number) => new Date(ms).toISOString().slice(0, 10);
export const iso = (ms: number) => new Date(ms).toISOString();

export const usageTotalsItem = z.object({
  cpuCoreHours: z.number(),
  memoryGiBHours: z.number(),
  storageGiBHours: z.number(),
  compute: z.number(),
  storage: z.number(),
  idleCompute: z.number(),
  idleStorage: z.number(),
}) satisfies z.ZodType<UsageTotals>;

export const usageRecord = z.object({
  type: z.literal('usage'),
  level: z.enum(['resource', 'project', 'tenant']),
  kind: z.enum(['cluster', 'virtualcluster', 'app']).optional(),
  grain: z.enum(['H', 'D']),
  /** The hour (`2026-01-14T10`) or day (`2026-01-14`). */
  period: z.string(),
  start: z.string(),
  tenantId: z.string(),
  projectId: z.string().optional(),
  resourceId: z.string().optional(),
  name: z.string().optional(),
  /** Virtual clusters: where they ran; apps: their virtual cluster. */
  hostClusterId: z.string().optional(),
  virtualClusterId: z.string().optional(),
  ownerId: z.string().optional(),
  /** How far into the period the rollup has integrated (its end once complete). */
  through: z.string(),
  complete: z.boolean(),
  totals: usageTotalsItem,
  /** Hourly records: the rates second by second within the hour (see pieces.ts). */
  pieces: z.array(z.array(z.number())).optional(),
});
export type UsageRecord = z.infer<typeof usageRecord>;

export const asPieces = (record: Pick<UsageRecord, 'pieces'>): Piece[] => (record.pieces ?? []) as Piece[];

/** BatchWriteItem in chunks of 25, several at once, retrying what DynamoDB leaves unprocessed. */
export async function putAll(store: Store, items: ReadonlyArray<Record<string, unknown>>, concurrency = 4): Promise<number> {
  const chunks: Array<Array<Record<string, unknown>>> = [];
  for (let i = 0; i < items.length; i += 25) chunks.push(items.slice(i, i + 25) as Array<Record<string, unknown>>);
  let calls = 0;
  await mapLimit(chunks, concurrency, async (chunk) => {
    let pending = chunk.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; pending.length; attempt++) {
      if (attempt >= 8) throw new Error('BatchWriteItem left items unprocessed after retries');
      calls++;
      const out: BatchWriteCommandOutput = await store.doc.send(new BatchWriteCommand({ RequestItems: { [store.tableName]: pending } }));
      pending = (out.UnprocessedItems?.[store.tableName] ?? []) as typeof pending;
      if (pending.length) await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
    }
  });
  return calls;
}

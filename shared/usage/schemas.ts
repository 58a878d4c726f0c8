import * as z from 'zod';
import { timestamp } from '../api/schema-kit.ts';

/** ISO 8601 in UTC or with an offset (`2026-01-14T10:00:00Z`), or a date (`2026-01-14`, its midnight UTC). */
const instant = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()], { error: 'must be an ISO 8601 date-time with Z or an offset, or a date (YYYY-MM-DD)' })
  .meta({ description: 'ISO 8601: `2026-01-14T10:00:00Z`, with an offset, or a date (midnight UTC)' });

export const resourceGroupings = ['cluster', 'virtualcluster', 'app'] as const;
export const steps = ['hour', 'day'] as const;

const window = {
  from: instant.optional().meta({ description: 'start of the window (inclusive); default: 24 hours before `to`' }),
  to: instant.optional().meta({ description: 'end of the window (exclusive); default: now' }),
  step: z.enum(steps).optional().meta({ description: 'one item per key and UTC hour or day; absent: one item per key for the window' }),
};

export const projectUsageQuery = z.strictObject({
  ...window,
  groupBy: z.enum(resourceGroupings).default('virtualcluster'),
});

export const tenantUsageQuery = z.strictObject({
  ...window,
  groupBy: z.enum(['project', ...resourceGroupings]).default('project'),
});

export const cost = z
  .object({ compute: z.number(), storage: z.number(), total: z.number() })
  .meta({ id: 'Cost', description: 'USD' });

const amounts = {
  cpuCoreHours: z.number(),
  memoryGiBHours: z.number(),
  storageGiBHours: z.number(),
  cost,
  idle: cost.meta({
    description: 'the part of `cost` with nothing running for it: a paused virtual cluster\'s storage, a host\'s capacity no virtual cluster was allocated',
  }),
  currency: z.literal('USD'),
};

export const usageItem = z
  .object({
    key: z.string().meta({ description: 'the id of the host cluster, virtual cluster, app or project' }),
    name: z.string(),
    kind: z.enum(['cluster', 'virtualcluster', 'app', 'project']),
    projectId: z.string().optional(),
    start: timestamp.optional().meta({ description: 'with `step`: the start of this item\'s hour or day (clipped to the window)' }),
    end: timestamp.optional(),
    ...amounts,
  })
  .meta({ id: 'UsageItem' });

export const usageResult = z
  .object({
    from: timestamp,
    to: timestamp,
    groupBy: z.enum(['project', ...resourceGroupings]),
    step: z.enum(steps).nullable(),
    rolledUpThrough: timestamp.nullable().meta({ description: 'how far rollup-usage has integrated: usage after it is not counted yet' }),
    currency: z.literal('USD'),
    items: z.array(usageItem),
    totals: z.object(amounts).meta({ description: 'the sum of the items' }),
  })
  .meta({ id: 'Usage' });

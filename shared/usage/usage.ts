/**
 * Reading usage for a window [from, to), exactly: the window is split into whole days
 * (day records), whole hours (hour records) and at most two partial hours at its ends,
 * whose records' pieces are integrated over just the part inside the window, to the
 * second. Each record falls in one bucket (the window, or its UTC hour or day with
 * `step`), so nothing is counted twice.
 */
import { validationFailed } from '../errors.ts';
import type { Store } from '../store/client.ts';
import { keys, lists, type ListSpec } from '../store/keys.ts';
import { getItems, queryAll } from '../store/table.ts';
import { projectItem } from '../tenancy/items.ts';
import { addTotals, integrate, round6, zeroTotals, type UsageTotals } from './pieces.ts';
import { asPieces, DAY_MS, dayKey, floorDay, floorHour, HOUR_MS, hourKey, iso, usageRecord, type UsageRecord } from './records.ts';
import { readRollupState } from './rollup.ts';
import { CURRENCY } from './prices.ts';
import type { resourceGroupings } from './schemas.ts';

export type Grouping = 'project' | (typeof resourceGroupings)[number];
export type Step = 'hour' | 'day';

export interface UsageQuery {
  from?: string;
  to?: string;
  groupBy: Grouping;
  step?: Step;
}

/** The longest window, and the longest one broken down by hour. */
export const MAX_WINDOW_DAYS = 366;
export const MAX_HOURLY_WINDOW_DAYS = 31;
/** Items in one answer at most. */
export const MAX_ITEMS = 10_000;

const parseInstant = (value: string) => Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);

export interface Window {
  from: number;
  to: number;
}

/** The window a query asks for: defaults, and 400s that name the field. */
export function windowOf(query: Pick<UsageQuery, 'from' | 'to' | 'step'>, now = Date.now()): Window {
  const to = query.to !== undefined ? parseInstant(query.to) : Math.ceil(now / 1000) * 1000;
  const from = query.from !== undefined ? parseInstant(query.from) : to - DAY_MS;
  if (Number.isNaN(from)) throw validationFailed('from is not a date', [{ path: 'query.from', message: 'not a valid ISO 8601 date-time' }]);
  if (Number.isNaN(to)) throw validationFailed('to is not a date', [{ path: 'query.to', message: 'not a valid ISO 8601 date-time' }]);
  if (to <= from) throw validationFailed('the window is empty: `to` must come after `from`', [{ path: 'query.to', message: `must be after from (${iso(from)})` }]);
  if (to - from > MAX_WINDOW_DAYS * DAY_MS) {
    throw validationFailed(`a window spans at most ${MAX_WINDOW_DAYS} days`, [{ path: 'query.from', message: `at most ${MAX_WINDOW_DAYS} days before to` }]);
  }
  if (query.step === 'hour' && to - from > MAX_HOURLY_WINDOW_DAYS * DAY_MS) {
    throw validationFailed(`step=hour covers at most ${MAX_HOURLY_WINDOW_DAYS} days`, [{ path: 'query.step', message: `hour steps over at most ${MAX_HOURLY_WINDOW_DAYS} days; use step=day` }]);
  }
  return { from, to };
}

type Part = { grain: 'P'; hour: number; from: number; to: number } | { grain: 'H' | 'D'; from: number; to: number };

/** [from, to) as partial hours, whole hours and (unless broken down by hour) whole days. */
export function partsOf(window: Window, step?: Step): Part[] {
  const parts: Part[] = [];
  let t = window.from;
  const fullDayAt = (at: number) => step !== 'hour' && at % DAY_MS === 0 && at + DAY_MS <= window.to;
  while (t < window.to) {
    if (t % HOUR_MS !== 0 || t + HOUR_MS > window.to) {
      const hour = floorHour(t);
      const end = Math.min(hour + HOUR_MS, window.to);
      parts.push({ grain: 'P', hour, from: t, to: end });
      t = end;
    } else if (fullDayAt(t)) {
      const start = t;
      while (fullDayAt(t)) t += DAY_MS;
      parts.push({ grain: 'D', from: start, to: t });
    } else {
      const start = t;
      do t += HOUR_MS;
      while (t + HOUR_MS <= window.to && !fullDayAt(t));
      parts.push({ grain: 'H', from: start, to: t });
    }
  }
  return parts;
}

interface Bucket {
  key: string;
  name: string;
  kind: 'cluster' | 'virtualcluster' | 'app' | 'project';
  projectId?: string;
  start?: number;
  end?: number;
  totals: UsageTotals;
}

/** Reads each part's records from `source` and adds them into buckets. */
async function collect(store: Store, window: Window, step: Step | undefined, source: (grain: 'H' | 'D', from: string, to: string) => ListSpec[], describe: (record: UsageRecord) => Omit<Bucket, 'totals' | 'start' | 'end'>) {
  const buckets = new Map<string, Bucket>();
  const add = (record: UsageRecord, totals: UsageTotals) => {
    const start = Date.parse(record.start);
    const bucketStart = step === 'hour' ? start : step === 'day' ? floorDay(start) : undefined;
    const described = describe(record);
    const id = `${described.key}|${bucketStart ?? ''}`;
    let bucket = buckets.get(id);
    if (!bucket) {
      const span = bucketStart === undefined ? undefined : { start: Math.max(bucketStart, window.from), end: Math.min(bucketStart + (step === 'hour' ? HOUR_MS : DAY_MS), window.to) };
      buckets.set(id, (bucket = { ...described, ...span, totals: zeroTotals() }));
    }
    addTotals(bucket.totals, totals);
    if (buckets.size > MAX_ITEMS) {
      throw validationFailed(`more than ${MAX_ITEMS} items: narrow the window or use a coarser step`, [{ path: step ? 'query.step' : 'query.from', message: 'too many items for one answer' }]);
    }
  };
  for (const part of partsOf(window, step)) {
    if (part.grain === 'P') {
      const period = hourKey(part.hour);
      for (const spec of source('H', period, period)) {
        for (const record of await queryAll(store, spec, usageRecord, 1_000_000)) {
          add(record, integrate(asPieces(record), (part.from - part.hour) / 1000, (part.to - part.hour) / 1000));
        }
      }
    } else {
      const [first, last] =
        part.grain === 'H' ? [hourKey(part.from), hourKey(part.to - HOUR_MS)] : [dayKey(part.from), dayKey(part.to - DAY_MS)];
      for (const spec of source(part.grain, first, last)) {
        for (const record of await queryAll(store, spec, usageRecord, 1_000_000)) add(record, record.totals);
      }
    }
  }
  return [...buckets.values()];
}

const money = (compute: number, storage: number) => ({ compute: round6(compute), storage: round6(storage), total: round6(compute + storage) });

function shape(totals: UsageTotals) {
  return {
    cpuCoreHours: round6(totals.cpuCoreHours),
    memoryGiBHours: round6(totals.memoryGiBHours),
    storageGiBHours: round6(totals.storageGiBHours),
    cost: money(totals.compute, totals.storage),
    idle: money(totals.idleCompute, totals.idleStorage),
    currency: CURRENCY as 'USD',
  };
}

async function answer(store: Store, window: Window, query: UsageQuery, buckets: Bucket[]) {
  const sorted = buckets.sort((a, b) => (a.start ?? 0) - (b.start ?? 0) || b.totals.compute + b.totals.storage - (a.totals.compute + a.totals.storage) || a.name.localeCompare(b.name));
  const total = zeroTotals();
  for (const bucket of sorted) addTotals(total, bucket.totals);
  const state = await readRollupState(store);
  return {
    from: iso(window.from),
    to: iso(window.to),
    groupBy: query.groupBy,
    step: query.step ?? null,
    rolledUpThrough: state.reachedAt ?? null,
    currency: CURRENCY as 'USD',
    items: sorted.map((b) => ({
      key: b.key,
      name: b.name,
      kind: b.kind,
      ...(b.projectId ? { projectId: b.projectId } : {}),
      ...(b.start !== undefined ? { start: iso(b.start), end: iso(b.end!) } : {}),
      ...shape(b.totals),
    })),
    totals: shape(total),
  };
}

const describeResource = (record: UsageRecord) => ({
  key: record.resourceId!,
  name: record.name ?? record.resourceId!,
  kind: record.kind!,
  ...(record.projectId ? { projectId: record.projectId } : {}),
});

/** A project's usage by host cluster, virtual cluster or app. */
export async function projectUsage(store: Store, tenantId: string, projectId: string, query: UsageQuery & { groupBy: Exclude<Grouping, 'project'> }) {
  const window = windowOf(query);
  const buckets = await collect(store, window, query.step, (grain, from, to) => [lists.usageOfResources(tenantId, projectId, query.groupBy, grain, from, to)], describeResource);
  return answer(store, window, query, buckets);
}

/** The tenant's usage by project (what each project is charged: its virtual clusters and its hosts' idle capacity), or by resource across projects. */
export async function tenantUsage(store: Store, tenantId: string, query: UsageQuery) {
  const window = windowOf(query);
  const projects = await queryAll(store, lists.projects(tenantId), projectItem, 10_000);
  const names = new Map(projects.map((p) => [p.id, p.name]));
  if (query.groupBy === 'project') {
    const buckets = await collect(store, window, query.step, (grain, from, to) => [lists.usageOfTenant(tenantId, 'project', grain, from, to)], (record) => ({
      key: record.projectId!,
      name: names.get(record.projectId!) ?? record.projectId!,
      kind: 'project' as const,
      projectId: record.projectId!,
    }));
    return answer(store, window, query, buckets);
  }
  const kind = query.groupBy;
  const buckets = await collect(store, window, query.step, (grain, from, to) => projects.map((p) => lists.usageOfResources(tenantId, p.id, kind, grain, from, to)), describeResource);
  return answer(store, window, query, buckets);
}

/** Project names by id (deleted projects keep their id as their name). */
export async function projectNames(store: Store, tenantId: string, ids: string[]) {
  const found = await getItems(store, ids.map((id) => keys.project(tenantId, id)));
  return new Map(ids.map((id, i) => [id, (found[i]?.name as string | undefined) ?? id]));
}

/**
 * The scheduled `rollup-usage` job: hourly and daily usage and cost records for every
 * host cluster, virtual cluster and app, and per project and tenant, computed from the
 * meters (meters.ts) by OpenCost's model (prices.ts).
 *
 * It is incremental: it resumes from its last closed hour and works in windows
 * [closedThrough, asOf), asOf being "now" (less a few seconds for writes in flight to
 * settle) or, when it has fallen behind, at most a day later. An hour is closed (never
 * computed again) only once a window reached past its end by more than a minute; the
 * open hour is rolled up to asOf and refined by every later run. Every record's key is
 * its period and resource, so re-running a window writes the same records again.
 *
 * A window is processed in bounded invocations: the meter lists (gsi2
 * `METER#<kind>#<shard>`) are walked page by page, 16 lanes (two kinds × eight shards)
 * in parallel; each page writes its resources' records, then, in one transaction, its
 * partial sums (what its virtual clusters take from each host and give to each project,
 * per hour) and its lane's cursor, so an invocation cut off anywhere resumes at the
 * page after the last one it committed, and no page is counted twice. When every lane
 * is done, the final phase sums the partials into the hosts' records (their cost, what
 * was allocated, the idle rest) and the projects' and tenants' records, hour and day.
 */
import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { logger } from '../observability/logger.ts';
import type { Store } from '../store/client.ts';
import { keys, KIND_SHARDS, lists, type ResourceKind } from '../store/keys.ts';
import { getItem, getItems, queryAll, queryPage, transact } from '../store/table.ts';
import { outOfBudget, type JobContext, type JobOutcome } from '../jobs/runner.ts';
import { PAGE_CONCURRENCY } from '../jobs/schedule.ts';
import { walkLanes, type LaneState, type PageInfo } from '../jobs/walk.ts';
import { appSource, hostPrices, hostSource, piecesOver, virtualClusterSource, type RateSource } from './allocation.ts';
import { meterItem, type MeterItem } from './meters.ts';
import { addTotals, combine, integrate, mapRates, zeroTotals, type Piece, type UsageTotals } from './pieces.ts';
import { DAY_MS, dayKey, floorDay, floorHour, HOUR_MS, hourKey, iso, putAll, usageRecord, type UsageRecord } from './records.ts';

export const ROLLUP_JOB = 'rollup-usage';
/** A window covers at most this much: a rollup that fell behind catches up a day at a time. */
export const MAX_WINDOW_HOURS = 24;
/** asOf trails now by this much, so a change committed at the moment of the run is seen by it or by the next. */
export const SETTLE_MS = 2_000;
/** An hour is closed once a window reached this far past its end (the meter lists are indexes: they settle). */
export const CLOSE_MARGIN_MS = 60_000;
const PAGE_SIZE = 100;
/** Working records (cursors, partial sums) go after two days (table TTL). */
const WORK_TTL_SECONDS = 2 * 24 * 3600;
/**
 * A meter is kept this long after its resource ended, so a window re-run within it is
 * exact; then it is deleted and the meter lists hold only what can still accrue.
 */
export const METER_RETENTION_MS = 35 * 24 * 3_600_000;
/** Hour records go after this (table TTL): day records answer for older windows. */
const HOUR_RECORD_TTL_SECONDS = 400 * 24 * 3600;

/** `capped`: the window stopped a day after `from`, short of the run's now (a rollup catching up). */
const windowItem = z.object({ id: z.string(), from: z.number(), asOf: z.number(), capped: z.boolean().default(false) });
type Window = z.infer<typeof windowItem>;

export const rollupState = z.object({
  /** Epoch ms: every hour before it is closed. */
  closedThrough: z.number().optional(),
  /** The last asOf a window reached: how far usage is rolled up. */
  reachedAt: z.string().optional(),
  window: windowItem.optional(),
});
export type RollupState = z.infer<typeof rollupState>;

const cursorItem = z.object({ sk: z.string(), cursor: z.string().optional(), page: z.number(), done: z.boolean() });
const partialItem = z.object({
  hosts: z.record(z.string(), z.record(z.string(), z.array(z.array(z.number())))),
  projects: z.record(z.string(), z.record(z.string(), z.array(z.array(z.number())))),
});

export interface RollupCounters {
  itemsRead: number;
  itemsWritten: number;
  meters: number;
  records: number;
  unpriced: number;
  /** Meters deleted past their retention. */
  expired: number;
}

export async function readRollupState(store: Store): Promise<RollupState> {
  return rollupState.parse((await getItem(store, keys.jobState(ROLLUP_JOB), z.object({}).loose())) ?? {});
}

async function saveState(store: Store, state: RollupState) {
  await store.doc.send(new PutCommand({ TableName: store.tableName, Item: { ...keys.jobState(ROLLUP_JOB), type: 'jobstate', ...state } }));
}

const hostKeyOf = (ref: { tenantId: string; projectId: string; clusterId: string }) => `${ref.tenantId}|${ref.projectId}|${ref.clusterId}`;
const projectKeyOf = (tenantId: string, projectId: string) => `${tenantId}|${projectId}`;
const ttl = () => Math.floor(Date.now() / 1000) + WORK_TTL_SECONDS;

/** Pieces with absolute seconds → seconds within the hour that starts at `hourSec`. */
const rebase = (pieces: readonly Piece[], hourSec: number): Piece[] => pieces.map((p) => [p[0] - hourSec, p[1] - hourSec, ...p.slice(2)] as Piece);

const hoursOf = (window: Window) => {
  const hours: number[] = [];
  for (let h = floorHour(window.from); h < window.asOf; h += HOUR_MS) hours.push(h);
  return hours;
};
const daysOf = (window: Window) => {
  const days: number[] = [];
  for (let d = floorDay(window.from); d < window.asOf; d += DAY_MS) days.push(d);
  return days;
};

const isZero = (totals: UsageTotals) => Object.values(totals).every((v) => v === 0);

interface Identity {
  tenantId: string;
  projectId?: string;
  kind?: ResourceKind;
  resourceId?: string;
  name?: string;
  hostClusterId?: string;
  virtualClusterId?: string;
  ownerId?: string;
}

function hourRecord(level: UsageRecord['level'], identity: Identity, hour: number, window: Window, pieces: Piece[]): UsageRecord & Record<string, unknown> {
  const end = Math.min(hour + HOUR_MS, window.asOf);
  const key =
    level === 'resource'
      ? keys.usageOfResource(identity.tenantId, identity.projectId!, identity.kind!, 'H', hourKey(hour), identity.resourceId!)
      : level === 'project'
        ? keys.usageOfProject(identity.tenantId, 'H', hourKey(hour), identity.projectId!)
        : keys.usageOfTenant(identity.tenantId, 'H', hourKey(hour));
  return {
    ...key,
    type: 'usage',
    level,
    ...withoutUndefined(identity),
    grain: 'H',
    period: hourKey(hour),
    start: iso(hour),
    through: iso(end),
    complete: window.asOf >= hour + HOUR_MS,
    totals: integrate(pieces),
    pieces,
    ttl: Math.floor(hour / 1000) + HOUR_RECORD_TTL_SECONDS,
  };
}

function dayRecord(level: UsageRecord['level'], identity: Identity, day: number, window: Window, totals: UsageTotals): UsageRecord & Record<string, unknown> {
  const key =
    level === 'resource'
      ? keys.usageOfResource(identity.tenantId, identity.projectId!, identity.kind!, 'D', dayKey(day), identity.resourceId!)
      : level === 'project'
        ? keys.usageOfProject(identity.tenantId, 'D', dayKey(day), identity.projectId!)
        : keys.usageOfTenant(identity.tenantId, 'D', dayKey(day));
  return {
    ...key,
    type: 'usage',
    level,
    ...withoutUndefined(identity),
    grain: 'D',
    period: dayKey(day),
    start: iso(day),
    through: iso(Math.min(day + DAY_MS, window.asOf)),
    complete: window.asOf >= day + DAY_MS,
    totals,
  };
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** A resource's hour and day records over the window, straight from its rate source. */
function resourceRecords(identity: Identity, source: RateSource, window: Window, onHour?: (hour: number, pieces: Piece[]) => void) {
  const records: Array<Record<string, unknown>> = [];
  // Windows start on an hour, so every hour of the window is computed whole (up to asOf).
  for (const hour of hoursOf(window)) {
    const to = Math.min(hour + HOUR_MS, window.asOf) / 1000;
    const pieces = rebase(piecesOver(source, hour / 1000, Math.floor(to)), hour / 1000);
    if (!pieces.length) continue;
    records.push(hourRecord('resource', identity, hour, window, pieces));
    onHour?.(hour, pieces);
  }
  for (const day of daysOf(window)) {
    const to = Math.min(day + DAY_MS, window.asOf);
    const totals = integrate(piecesOver(source, day / 1000, Math.floor(to / 1000)), -Infinity, Infinity);
    if (!isZero(totals)) records.push(dayRecord('resource', identity, day, window, totals));
  }
  return records;
}

interface Hosts {
  byKey: Map<string, { meter: MeterItem; prices: ReturnType<typeof hostPrices>; source: RateSource }>;
}

async function loadHosts(store: Store, window: Window, counters: RollupCounters): Promise<Hosts> {
  const shards = await Promise.all(
    Array.from({ length: KIND_SHARDS }, (_, shard) => queryAll(store, lists.metersOfKind('cluster', shard, iso(window.asOf)), meterItem, 100_000)),
  );
  const byKey: Hosts['byKey'] = new Map();
  for (const meter of shards.flat()) {
    counters.itemsRead++;
    byKey.set(hostKeyOf({ tenantId: meter.tenantId, projectId: meter.projectId, clusterId: meter.resourceId }), { meter, prices: hostPrices(meter), source: hostSource(meter) });
  }
  return { byKey };
}

const endedBefore = (source: RateSource, ms: number) => source.endedAt !== undefined && source.endedAt * 1000 <= ms;

type PartialSums = Map<string, Map<string, Piece[][]>>;
const addTo = (sums: PartialSums, key: string, hour: string, pieces: Piece[]) => {
  let hours = sums.get(key);
  if (!hours) sums.set(key, (hours = new Map()));
  const list = hours.get(hour) ?? [];
  list.push(pieces);
  hours.set(hour, list);
};
const squash = (sums: PartialSums) =>
  Object.fromEntries([...sums].map(([key, hours]) => [key, Object.fromEntries([...hours].map(([hour, lists]) => [hour, combine(lists.map((pieces) => ({ pieces })))]))]));

async function processPage(
  context: JobContext,
  window: Window,
  hosts: Hosts,
  kind: 'virtualcluster' | 'app',
  meters: MeterItem[],
  info: PageInfo,
  counters: RollupCounters,
) {
  const { store } = context;
  counters.itemsRead += meters.length;
  const records: Array<Record<string, unknown>> = [];
  const hostSums: PartialSums = new Map();
  const projectSums: PartialSums = new Map();
  const expired: MeterItem[] = [];
  let clusters = new Map<string, MeterItem>();
  if (kind === 'app') {
    const wanted = [...new Set(meters.map((m) => `${m.tenantId}|${m.virtualClusterId}`))].filter((k) => !k.endsWith('|undefined'));
    const found = await getItems(store, wanted.map((k) => keys.meter(k.split('|')[0]!, 'virtualcluster', k.split('|')[1]!)));
    counters.itemsRead += found.filter(Boolean).length;
    clusters = new Map(found.filter(Boolean).map((raw) => meterItem.parse(raw)).map((m) => [`${m.tenantId}|${m.resourceId}`, m]));
  }
  for (const meter of meters) {
    counters.meters++;
    if (kind === 'virtualcluster') {
      const host = meter.host ? hosts.byKey.get(hostKeyOf(meter.host)) : undefined;
      const source = virtualClusterSource(meter, host?.prices);
      if (endedBefore(source, window.from - METER_RETENTION_MS)) expired.push(meter);
      if (endedBefore(source, window.from)) continue;
      if (!host) counters.unpriced++;
      const identity: Identity = {
        tenantId: meter.tenantId,
        projectId: meter.projectId,
        kind,
        resourceId: meter.resourceId,
        name: meter.name,
        ...(meter.host ? { hostClusterId: meter.host.clusterId } : {}),
        ...(meter.ownerId ? { ownerId: meter.ownerId } : {}),
      };
      records.push(
        ...resourceRecords(identity, source, window, (hour, pieces) => {
          if (meter.host) addTo(hostSums, hostKeyOf(meter.host), hourKey(hour), pieces);
          addTo(projectSums, projectKeyOf(meter.tenantId, meter.projectId), hourKey(hour), pieces);
        }),
      );
    } else {
      const cluster = meter.virtualClusterId ? clusters.get(`${meter.tenantId}|${meter.virtualClusterId}`) : undefined;
      const host = cluster?.host ? hosts.byKey.get(hostKeyOf(cluster.host)) : undefined;
      const source = appSource(meter, cluster, host?.prices);
      if (endedBefore(source, window.from - METER_RETENTION_MS)) expired.push(meter);
      if (endedBefore(source, window.from)) continue;
      if (!host) counters.unpriced++;
      records.push(
        ...resourceRecords(
          { tenantId: meter.tenantId, projectId: meter.projectId, kind, resourceId: meter.resourceId, name: meter.name, ...(meter.virtualClusterId ? { virtualClusterId: meter.virtualClusterId } : {}) },
          source,
          window,
        ),
      );
    }
  }
  await putAll(store, records);
  counters.records += records.length;
  counters.itemsWritten += records.length;
  await deleteExpired(store, expired, counters);
  // An empty last page counts nothing: a resumed run reads it again instead of a cursor saying so.
  if (meters.length === 0 && info.next.done) return;
  // This page's sums and its lane's cursor land together: a page is counted once.
  await transact(store, [
    ...(kind === 'virtualcluster'
      ? [{ Put: { Item: { ...keys.jobPart(ROLLUP_JOB, `PART#${window.id}#${info.lane}#${String(info.page).padStart(6, '0')}`), type: 'rolluppart', hosts: squash(hostSums), projects: squash(projectSums), ttl: ttl() } } }]
      : []),
    {
      Put: {
        Item: { ...keys.jobPart(ROLLUP_JOB, `CURSOR#${window.id}#${info.lane}`), type: 'rollupcursor', ...info.next, ttl: ttl() },
        ConditionExpression: 'attribute_not_exists(pk) OR page = :page',
        ExpressionAttributeValues: { ':page': info.page },
      },
    },
  ]);
  counters.itemsWritten += kind === 'virtualcluster' ? 2 : 1;
}

/** Meters past their retention go; a meter that changed since it was read (it cannot, once ended) stays. */
async function deleteExpired(store: Store, meters: readonly MeterItem[], counters: RollupCounters) {
  for (const meter of meters) {
    await store.doc
      .send(
        new DeleteCommand({
          TableName: store.tableName,
          Key: keys.meter(meter.tenantId, meter.kind, meter.resourceId),
          ConditionExpression: 'size(#segments) = :n',
          ExpressionAttributeNames: { '#segments': 'segments' },
          ExpressionAttributeValues: { ':n': meter.segments.length },
        }),
      )
      .catch((error: unknown) => {
        if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
      });
    counters.itemsWritten++;
    counters.expired++;
  }
}

const merge = (into: PartialSums, from: Record<string, Record<string, number[][]>>) => {
  for (const [key, hours] of Object.entries(from)) for (const [hour, pieces] of Object.entries(hours)) addTo(into, key, hour, pieces as Piece[]);
};

/** Hosts (cost, allocated, idle), projects and tenants, hour and day, from the window's partial sums. */
async function finalPhase(context: JobContext, window: Window, hosts: Hosts, counters: RollupCounters) {
  const { store } = context;
  const partials = await queryAll(store, lists.jobParts(ROLLUP_JOB, `PART#${window.id}#`), partialItem, 1_000_000);
  counters.itemsRead += partials.length;
  const allocated: PartialSums = new Map();
  const projects: PartialSums = new Map();
  for (const partial of partials) {
    merge(allocated, partial.hosts);
    merge(projects, partial.projects);
  }
  const records: Array<Record<string, unknown>> = [];
  const hostProjects = new Set<string>();
  const expired = [...hosts.byKey.values()].filter((h) => endedBefore(h.source, window.from - METER_RETENTION_MS)).map((h) => h.meter);
  await deleteExpired(store, expired, counters);
  for (const [key, host] of hosts.byKey) {
    if (endedBefore(host.source, window.from)) continue;
    const meter = host.meter;
    for (const hour of hoursOf(window)) {
      const to = Math.min(hour + HOUR_MS, window.asOf);
      const base = rebase(piecesOver(host.source, hour / 1000, Math.floor(to / 1000)), hour / 1000);
      if (!base.length) continue;
      const alloc = combine((allocated.get(key)?.get(hourKey(hour)) ?? []).map((pieces) => ({ pieces })));
      // The host's record: its cost, with what its virtual clusters were charged taken out of the idle part.
      const own = combine([{ pieces: base }, { pieces: mapRates(alloc, (r) => [0, 0, 0, 0, 0, -r[3], -r[4]]) }]);
      // What the host's project bears: the unallocated capacity and its cost (OpenCost's __idle__).
      const idle = combine([{ pieces: base }, { pieces: mapRates(alloc, (r) => [-r[0], -r[1], -r[2], -r[3], -r[4], -r[3], -r[4]]) }]);
      records.push(hourRecord('resource', { tenantId: meter.tenantId, projectId: meter.projectId, kind: 'cluster', resourceId: meter.resourceId, name: meter.name }, hour, window, own));
      addTo(projects, projectKeyOf(meter.tenantId, meter.projectId), hourKey(hour), idle);
      hostProjects.add(projectKeyOf(meter.tenantId, meter.projectId));
    }
  }
  const tenants: PartialSums = new Map();
  for (const [key, hours] of projects) {
    const [tenantId, projectId] = key.split('|') as [string, string];
    for (const [hour, lists] of hours) {
      const pieces = combine(lists.map((p) => ({ pieces: p })));
      const start = Date.parse(`${hour}:00:00.000Z`);
      records.push(hourRecord('project', { tenantId, projectId }, start, window, pieces));
      addTo(tenants, tenantId, hour, pieces);
    }
  }
  for (const [tenantId, hours] of tenants) {
    for (const [hour, lists] of hours) records.push(hourRecord('tenant', { tenantId }, Date.parse(`${hour}:00:00.000Z`), window, combine(lists.map((p) => ({ pieces: p })))));
  }
  await putAll(store, records);
  counters.records += records.length;
  counters.itemsWritten += records.length;

  // Days: the sums of each touched day's hour records, as they stand now.
  const dayRecords: Array<Record<string, unknown>> = [];
  for (const day of daysOf(window)) {
    const first = hourKey(day);
    const last = hourKey(day + DAY_MS - HOUR_MS);
    for (const key of hostProjects) {
      const [tenantId, projectId] = key.split('|') as [string, string];
      const hourly = await queryAll(store, lists.usageOfResources(tenantId, projectId, 'cluster', 'H', first, last), usageRecord, 100_000);
      counters.itemsRead += hourly.length;
      const byHost = new Map<string, { record: UsageRecord; totals: UsageTotals }>();
      for (const record of hourly) {
        const entry = byHost.get(record.resourceId!) ?? { record, totals: zeroTotals() };
        addTotals(entry.totals, record.totals);
        byHost.set(record.resourceId!, entry);
      }
      for (const [resourceId, { record, totals }] of byHost) {
        dayRecords.push(dayRecord('resource', { tenantId, projectId, kind: 'cluster', resourceId, ...(record.name ? { name: record.name } : {}) }, day, window, totals));
      }
    }
    for (const tenantId of tenants.keys()) {
      const hourly = await queryAll(store, lists.usageOfTenant(tenantId, 'project', 'H', first, last), usageRecord, 1_000_000);
      counters.itemsRead += hourly.length;
      const byProject = new Map<string, UsageTotals>();
      const total = zeroTotals();
      for (const record of hourly) {
        byProject.set(record.projectId!, addTotals(byProject.get(record.projectId!) ?? zeroTotals(), record.totals));
        addTotals(total, record.totals);
      }
      for (const [projectId, totals] of byProject) dayRecords.push(dayRecord('project', { tenantId, projectId }, day, window, totals));
      dayRecords.push(dayRecord('tenant', { tenantId }, day, window, total));
    }
  }
  await putAll(store, dayRecords);
  counters.records += dayRecords.length;
  counters.itemsWritten += dayRecords.length;
}

/** The first hour any meter allocates in: where a rollup that never ran begins. */
async function earliestStart(store: Store, before: number): Promise<number | undefined> {
  let earliest: number | undefined;
  for (const kind of ['cluster', 'virtualcluster', 'app'] as const) {
    for (let shard = 0; shard < KIND_SHARDS; shard++) {
      const page = await queryPage(store, { ...lists.metersOfKind(kind, shard, iso(before)), limit: 1 }, z.object({ gsi2sk: z.string() }));
      const first = page.items[0]?.gsi2sk.split('#')[0];
      if (first) earliest = Math.min(earliest ?? Infinity, Date.parse(first));
    }
  }
  return earliest === undefined ? undefined : floorHour(earliest);
}

export interface WindowSummary {
  from: string;
  asOf: string;
  complete: boolean;
}

/** The job: windows from the last closed hour to now, each resumed where an invocation stopped. */
export async function rollupUsage(context: JobContext): Promise<JobOutcome> {
  const { store } = context;
  const counters: RollupCounters = { itemsRead: 0, itemsWritten: 0, meters: 0, records: 0, unpriced: 0, expired: 0 };
  const windows: WindowSummary[] = [];
  // Whole seconds: usage is integrated to the second.
  const asOfCap = Math.floor((context.now.getTime() - SETTLE_MS) / 1000) * 1000;
  let state = await readRollupState(store);
  counters.itemsRead++;
  let more = false;
  for (;;) {
    if (!state.window) {
      const from = state.closedThrough ?? (await earliestStart(store, asOfCap));
      if (from === undefined || from >= asOfCap) {
        state = { ...state, closedThrough: state.closedThrough ?? floorHour(asOfCap), reachedAt: iso(asOfCap) };
        await saveState(store, state);
        break;
      }
      const asOf = Math.min(asOfCap, from + MAX_WINDOW_HOURS * HOUR_MS);
      state = { ...state, window: { id: `${iso(from)}_${iso(asOf)}`, from, asOf, capped: asOf < asOfCap } };
      await saveState(store, state);
      counters.itemsWritten++;
    }
    const window = state.window!;
    const done = await processWindow(context, window, counters);
    windows.push({ from: iso(window.from), asOf: iso(window.asOf), complete: done });
    if (!done) {
      more = true;
      break;
    }
    const closeLimit = Math.min(window.asOf, context.now.getTime() - CLOSE_MARGIN_MS);
    state = { closedThrough: Math.max(window.from, floorHour(closeLimit)), reachedAt: iso(window.asOf) };
    await saveState(store, state);
    counters.itemsWritten++;
    // A window that stopped a day short of now (catching up) is followed by the next; one that
    // reached the now of the run that opened it completes the job, however long it took.
    if (!window.capped) break;
    if (outOfBudget(context, counters.meters, context.maxItems)) {
      more = true;
      break;
    }
  }
  logger.info('usage rolled up', { ...counters, windows: windows.length });
  return {
    summary: {
      windows,
      closedThrough: state.closedThrough !== undefined ? iso(state.closedThrough) : null,
      rolledUpThrough: state.reachedAt ?? null,
      meters: counters.meters,
      records: counters.records,
      unpriced: counters.unpriced,
      expiredMeters: counters.expired,
      itemsRead: counters.itemsRead,
      itemsWritten: counters.itemsWritten,
    },
    more,
  };
}

async function processWindow(context: JobContext, window: Window, counters: RollupCounters): Promise<boolean> {
  const { store } = context;
  const hosts = await loadHosts(store, window, counters);
  const stored = await queryAll(store, lists.jobParts(ROLLUP_JOB, `CURSOR#${window.id}#`), cursorItem, 1000);
  counters.itemsRead += stored.length;
  const start: Record<string, LaneState> = {};
  for (const c of stored) start[c.sk.slice(`CURSOR#${window.id}#`.length)] = { ...(c.cursor ? { cursor: c.cursor } : {}), page: c.page, done: c.done };
  const lanes = (['virtualcluster', 'app'] as const).flatMap((kind) =>
    Array.from({ length: KIND_SHARDS }, (_, shard) => ({ id: `${kind}#${shard}`, kind, list: lists.metersOfKind(kind, shard, iso(window.asOf)) })),
  );
  const kindOf = new Map(lanes.map((l) => [l.id, l.kind]));
  const walked = await walkLanes(store, context, lanes, start, meterItem, { pageSize: context.pageSize ?? PAGE_SIZE, concurrency: PAGE_CONCURRENCY }, (meters, info) =>
    processPage(context, window, hosts, kindOf.get(info.lane)!, meters, info, counters),
  );
  if (walked.more) return false;
  await finalPhase(context, window, hosts, counters);
  return true;
}

/** For tests and the benchmark: forget where the rollup stood (its records stay). */
export async function resetRollup(store: Store) {
  await store.doc.send(new UpdateCommand({ TableName: store.tableName, Key: keys.jobState(ROLLUP_JOB), UpdateExpression: 'REMOVE closedThrough, reachedAt, #w', ExpressionAttributeNames: { '#w': 'window' } }));
}

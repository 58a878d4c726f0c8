/**
 * The scheduled `generate-reports` job and the reports it keeps: for each tenant a
 * daily report (a UTC day), a weekly one (an ISO week, Monday to Sunday) and a monthly
 * one (a calendar month in UTC, the chargeback period), each compared with the period
 * before it.
 *
 * A period has one report, one item (`REPORT#<first day>#<kind>`) and one id
 * (`rpt_<kind>_<yyyymmdd>`) all its life. While it is open, every run rewrites it as a
 * partial report (`partial: true`, `asOf`: how far rollup-usage had integrated usage),
 * so a tenant sees today, this week and this month so far, a fresh install too (zero
 * totals). Once rollup-usage has closed every hour of the period, the next run writes
 * the final report over the partial one (`partial: false`, no `asOf`), and no later
 * run touches it again: both writes are conditioned on what is stored. A run cut off
 * part way makes the rest next time; a late one still makes the finals of the last
 * seven days, two weeks and two months, and of any period an earlier run left partial
 * (the job state keeps the span of time the last pass wrote partial reports for).
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { notFound } from '../errors.ts';
import type { Store } from '../store/client.ts';
import { keys, lists, SYSTEM_TENANT } from '../store/keys.ts';
import { getItem, getItems, isConditionFailure, queryAll, queryPage } from '../store/table.ts';
import { pickFields } from '../store/items.ts';
import { projectItem, tenantItem, userItem } from '../tenancy/items.ts';
import { DEFAULT_QUOTA, quotaDimensions, quotaLimitsItem, quotaUsageItem } from '../quotas/items.ts';
import { QUOTA_GROUP } from '../quotas/quotas.ts';
import { addTotals, integrate, round6, zeroTotals, type UsageTotals } from '../usage/pieces.ts';
import { asPieces, DAY_MS, dayKey, floorDay, HOUR_MS, hourKey, iso, usageRecord, type UsageRecord } from '../usage/records.ts';
import { readRollupState } from '../usage/rollup.ts';
import { partsOf } from '../usage/usage.ts';
import { mapLimit, outOfBudget, type JobContext, type JobOutcome } from '../jobs/runner.ts';
import * as z from 'zod';
import { report as reportShape, reportKinds, reportSummary, type Report, type ReportKind } from './schemas.ts';

const JOB = 'generate-reports';
/** How far back a late run still makes final reports: days, weeks, months. */
const BACKFILL = { daily: 7, weekly: 2, monthly: 2 } as const satisfies Record<ReportKind, number>;
/** Periods of one kind at most that one span of time yields (a guard: spans are about a day). */
const MAX_PERIODS_PER_SPAN = 64;
const TOP = 10;

export const reportIdOf = (kind: ReportKind, start: number) => `rpt_${kind}_${dayKey(start).replaceAll('-', '')}`;
export function periodOfId(id: string): { kind: ReportKind; start: number } {
  const [, kind, date] = id.split('_') as [string, ReportKind, string];
  return { kind, start: Date.parse(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T00:00:00Z`) };
}
/** The Monday of the ISO week that holds `ms`. */
const mondayOf = (ms: number) => floorDay(ms) - ((new Date(ms).getUTCDay() + 6) % 7) * DAY_MS;
/** The first of the (UTC) month that holds `ms`. */
const firstOfMonth = (ms: number, monthsLater = 0) => {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + monthsLater, 1);
};
/** The first instant of the `kind` period that holds `ms`. */
export const periodStartOf = (kind: ReportKind, ms: number) => (kind === 'daily' ? floorDay(ms) : kind === 'weekly' ? mondayOf(ms) : firstOfMonth(ms));
/** The end (exclusive) of the `kind` period that starts at `start`. */
export const periodEndOf = (kind: ReportKind, start: number) => (kind === 'daily' ? start + DAY_MS : kind === 'weekly' ? start + 7 * DAY_MS : firstOfMonth(start, 1));
const previousStartOf = (kind: ReportKind, start: number) => periodStartOf(kind, start - 1);
const ceilDay = (ms: number) => Math.ceil(ms / DAY_MS) * DAY_MS;

/** Reports stored before partial ones existed have no `partial`: they are final. */
const reportItem = reportShape.extend({ type: z.literal('report'), partial: z.boolean().default(false) });

const money = (t: Pick<UsageTotals, 'compute' | 'storage'>) => ({ compute: round6(t.compute), storage: round6(t.storage), total: round6(t.compute + t.storage) });
const line = (t: UsageTotals) => ({
  cpuCoreHours: round6(t.cpuCoreHours),
  memoryGiBHours: round6(t.memoryGiBHours),
  storageGiBHours: round6(t.storageGiBHours),
  cost: money(t),
  idle: money({ compute: t.idleCompute, storage: t.idleStorage }),
});
const totalOf = (t: UsageTotals) => t.compute + t.storage;
const percentChange = (current: number, previous: number) => (previous === 0 ? null : round6(((current - previous) / previous) * 100));

const dateLabel = (ms: number) => new Date(ms).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
const monthLabel = (ms: number) => new Date(ms).toLocaleDateString('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' });
const minuteLabel = (ms: number) => `${iso(ms).replace('T', ' ').slice(0, 16)} UTC`;
const nounOf = { daily: 'day', weekly: 'week', monthly: 'month' } as const satisfies Record<ReportKind, string>;

async function dayRecords(store: Store, spec: ReturnType<typeof lists.usageOfTenant>) {
  return queryAll(store, spec, usageRecord, 1_000_000);
}

/**
 * The tenant's usage over [from, to), per project (or the tenant's own), exactly as
 * the usage API reads a window: whole days from day records, whole hours from hour
 * records, a partial hour at either end integrated from its hour's pieces.
 */
async function windowTotals(store: Store, tenantId: string, level: 'project' | 'tenant', from: number, to: number): Promise<Map<string, UsageTotals>> {
  const out = new Map<string, UsageTotals>();
  const add = (record: UsageRecord, totals: UsageTotals) => {
    const key = level === 'tenant' ? tenantId : record.projectId!;
    out.set(key, addTotals(out.get(key) ?? zeroTotals(), totals));
  };
  if (to <= from) return out;
  for (const part of partsOf({ from, to })) {
    if (part.grain === 'P') {
      const period = hourKey(part.hour);
      for (const record of await dayRecords(store, lists.usageOfTenant(tenantId, level, 'H', period, period))) {
        add(record, integrate(asPieces(record), (part.from - part.hour) / 1000, (part.to - part.hour) / 1000));
      }
    } else {
      const [first, last] = part.grain === 'H' ? [hourKey(part.from), hourKey(part.to - HOUR_MS)] : [dayKey(part.from), dayKey(part.to - DAY_MS)];
      for (const record of await dayRecords(store, lists.usageOfTenant(tenantId, level, part.grain, first, last))) add(record, record.totals);
    }
  }
  return out;
}

/**
 * Builds one report from the rolled-up records; nothing is written. With `asOf` it is
 * the period so far (partial): usage as far as the rollup reached, against the same
 * length of the period before.
 */
export async function buildReport(store: Store, tenantId: string, kind: ReportKind, start: number, generatedAt = new Date(), asOf?: number): Promise<Report> {
  const end = periodEndOf(kind, start);
  const previousStart = previousStartOf(kind, start);
  const partial = asOf !== undefined;
  const reached = partial ? Math.min(Math.max(asOf, start), end) : end;
  const previousEnd = partial ? previousStart + Math.min(reached - start, start - previousStart) : start;
  const last = (to: number) => dayKey(to - DAY_MS);
  const projects = await queryAll(store, lists.projects(tenantId), projectItem, 10_000);
  const names = new Map(projects.map((p) => [p.id, p.name]));

  // Tenant totals per day: the trend line shows a week of days before a daily report's, the week before a weekly
  // one's, the month before a monthly one's; a partial report's ends at the day the rollup reached.
  const trendStart = Math.min(previousStart, end - 7 * DAY_MS);
  const trendEnd = partial ? Math.min(end, Math.max(start + DAY_MS, ceilDay(reached))) : end;
  const [tenantDays, tenantPrevious] = await Promise.all([
    dayRecords(store, lists.usageOfTenant(tenantId, 'tenant', 'D', dayKey(trendStart), last(trendEnd))),
    windowTotals(store, tenantId, 'tenant', previousStart, previousEnd),
  ]);
  const byDay = new Map(tenantDays.map((r) => [r.period, r]));
  const totals = zeroTotals();
  for (let d = start; d < end; d += DAY_MS) {
    const record = byDay.get(dayKey(d));
    if (record) addTotals(totals, record.totals);
  }
  const previous = tenantPrevious.get(tenantId) ?? zeroTotals();
  const costPerDay: Report['costPerDay'] = [];
  for (let d = trendStart; d < trendEnd; d += DAY_MS) {
    const record = byDay.get(dayKey(d));
    costPerDay.push({ date: dayKey(d), cost: round6(record ? totalOf(record.totals) : 0), inPeriod: d >= start });
  }

  // By project, with the previous period (the same part of it, for a partial report) beside it.
  const [current, before] = await Promise.all([
    windowTotals(store, tenantId, 'project', start, end),
    windowTotals(store, tenantId, 'project', previousStart, previousEnd),
  ]);
  const costByProject = [...new Set([...current.keys(), ...before.keys()])]
    .map((projectId) => {
      const now = current.get(projectId) ?? zeroTotals();
      const was = before.get(projectId) ?? zeroTotals();
      return { projectId, name: names.get(projectId) ?? projectId, ...line(now), previousCost: round6(totalOf(was)), changePercent: percentChange(totalOf(now), totalOf(was)) };
    })
    .filter((p) => p.cost.total !== 0 || p.previousCost !== 0)
    .sort((a, b) => b.cost.total - a.cost.total || a.name.localeCompare(b.name));

  // Virtual clusters and hosts of every project over the period: the top spenders, and the idle spend.
  const vcTotals = new Map<string, { record: UsageRecord; totals: UsageTotals }>();
  let pausedStorage = 0;
  let hostIdle = 0;
  await mapLimit(projects, 4, async (project) => {
    const [vcs, hosts] = await Promise.all([
      queryAll(store, lists.usageOfResources(tenantId, project.id, 'virtualcluster', 'D', dayKey(start), last(end)), usageRecord, 1_000_000),
      queryAll(store, lists.usageOfResources(tenantId, project.id, 'cluster', 'D', dayKey(start), last(end)), usageRecord, 1_000_000),
    ]);
    for (const record of vcs) {
      const entry = vcTotals.get(record.resourceId!) ?? { record, totals: zeroTotals() };
      addTotals(entry.totals, record.totals);
      vcTotals.set(record.resourceId!, entry);
      pausedStorage += record.totals.idleCompute + record.totals.idleStorage;
    }
    for (const record of hosts) hostIdle += record.totals.idleCompute + record.totals.idleStorage;
  });
  const topVirtualClusters = [...vcTotals.values()]
    .sort((a, b) => totalOf(b.totals) - totalOf(a.totals) || (a.record.name ?? '').localeCompare(b.record.name ?? ''))
    .slice(0, TOP)
    .map(({ record, totals: t }) => ({
      id: record.resourceId!,
      name: record.name ?? record.resourceId!,
      projectId: record.projectId!,
      projectName: names.get(record.projectId!) ?? record.projectId!,
      ...(record.ownerId ? { ownerId: record.ownerId } : {}),
      ...line(t),
    }));

  // Quota use now, per user with a counter in beehive.
  const [limitsItem, counters, users] = await Promise.all([
    getItem(store, keys.quotaLimits(tenantId, QUOTA_GROUP), quotaLimitsItem),
    queryAll(store, lists.quotaUsages(tenantId, QUOTA_GROUP), quotaUsageItem.extend({ sk: z.string() }), 100_000),
    queryAll(store, lists.users(tenantId), userItem, 100_000),
  ]);
  const limits = limitsItem?.limits ?? DEFAULT_QUOTA;
  const userById = new Map(users.map((u) => [u.id, u]));
  const prefix = `QUOTAUSAGE#${QUOTA_GROUP}#`;
  const quotaUse = counters
    .map((row) => {
      const userId = row.sk.slice(prefix.length);
      const used = { virtualClusters: row.virtualClusters, cpu: row.cpu, memoryMiB: row.memoryMiB, storageGiB: row.storageGiB };
      const percent = Object.fromEntries(quotaDimensions.map((d) => [d, limits[d] > 0 ? round6((used[d] / limits[d]) * 100) : 0])) as typeof used;
      const user = userById.get(userId);
      return { userId, email: user?.email ?? userId, name: user?.name ?? userId, used, limits, percent, over: quotaDimensions.filter((d) => used[d] > limits[d]) };
    })
    .filter((q) => quotaDimensions.some((d) => q.used[d] !== 0))
    .sort((a, b) => Math.max(...quotaDimensions.map((d) => b.percent[d])) - Math.max(...quotaDimensions.map((d) => a.percent[d])) || a.email.localeCompare(b.email));

  const total = totalOf(totals);
  const idleTotal = pausedStorage + hostIdle;
  const notes: string[] = [];
  const noun = nounOf[kind];
  if (partial) {
    notes.push(
      `This ${noun} is not over: the report counts usage rolled up to ${minuteLabel(reached)} and is made again on every run of generate-reports; ` +
        `it is compared with the ${noun} before to the same point. The final report replaces it once the ${noun} has closed.`,
    );
  }
  if (tenantDays.length === 0) notes.push('No usage was recorded in this period or the one before.');
  if (quotaUse.some((q) => q.over.length)) notes.push('Some users hold more than their quota allows (it was lowered); their next virtual cluster is refused until they free some.');
  const title =
    kind === 'daily'
      ? `Daily cost report, ${dateLabel(start)}`
      : kind === 'weekly'
        ? `Weekly cost report, ${dateLabel(start)} – ${dateLabel(end - DAY_MS)}`
        : `Monthly cost report, ${monthLabel(start)}`;
  return {
    id: reportIdOf(kind, start),
    kind,
    title,
    tenantId,
    period: { from: iso(start), to: iso(end) },
    previousPeriod: { from: iso(previousStart), to: iso(previousEnd) },
    generatedAt: generatedAt.toISOString(),
    partial,
    ...(partial ? { asOf: iso(reached) } : {}),
    currency: 'USD',
    totals: line(totals),
    previousTotals: line(previous),
    change: { amount: round6(total - totalOf(previous)), percent: percentChange(total, totalOf(previous)) },
    costPerDay,
    costByProject,
    topVirtualClusters,
    quotaUse,
    idle: { pausedStorage: round6(pausedStorage), hostIdle: round6(hostIdle), total: round6(idleTotal), percentOfTotal: total === 0 ? null : round6((idleTotal / total) * 100) },
    notes,
  };
}

/** A span of time [from, to] (epoch ms) that a pass of the job wrote partial reports for. */
const span = z.object({ from: z.number(), to: z.number() });
export type Span = z.infer<typeof span>;

export interface DuePeriod {
  kind: ReportKind;
  start: number;
}
export interface DuePartial extends DuePeriod {
  /** How far the rollup reached into the period. */
  asOf: number;
}

/** The periods of `kind` that hold some instant of [from, to]. */
function periodsOver(kind: ReportKind, from: number, to: number): number[] {
  const starts: number[] = [];
  for (let s = periodStartOf(kind, from); s <= to && starts.length < MAX_PERIODS_PER_SPAN; s = periodEndOf(kind, s)) starts.push(s);
  return starts;
}

/**
 * What a run makes for a tenant created at `tenantCreatedAt`, when every hour before
 * `closedThrough` is rolled up for good and usage is rolled up to `reachedAt`:
 * - final reports for the closed periods of the last seven days, two weeks and two
 *   months, and for the closed periods that hold an instant of `earlier` (the spans
 *   earlier passes wrote partial reports for, so none stays partial however late this
 *   run is);
 * - partial reports for every period not closed yet that the rollup has reached (the
 *   current day, week and month; at a boundary also the one just ended, until its last
 *   hour is closed).
 * Only periods that end after the tenant was created.
 */
export function duePeriods(closedThrough: number, reachedAt: number, tenantCreatedAt: number, earlier: readonly Span[] = []): { final: DuePeriod[]; partial: DuePartial[] } {
  const final = new Map<string, DuePeriod>();
  const existed = (kind: ReportKind, start: number) => periodEndOf(kind, start) > tenantCreatedAt;
  const addFinal = (kind: ReportKind, start: number) => {
    if (periodEndOf(kind, start) <= closedThrough && existed(kind, start)) final.set(`${kind}|${start}`, { kind, start });
  };
  for (const kind of reportKinds) {
    let start = periodStartOf(kind, closedThrough);
    for (let n = 0; n < BACKFILL[kind]; n++) addFinal(kind, (start = previousStartOf(kind, start)));
    for (const { from, to } of earlier) for (const s of periodsOver(kind, from, to)) addFinal(kind, s);
  }
  const partial: DuePartial[] = [];
  for (const kind of reportKinds) {
    for (const start of periodsOver(kind, closedThrough, reachedAt)) {
      if (existed(kind, start)) partial.push({ kind, start, asOf: Math.min(reachedAt, periodEndOf(kind, start)) });
    }
  }
  return { final: [...final.values()].sort((a, b) => b.start - a.start), partial };
}

/**
 * `cursor`: the next page of tenants. `pass`: the span of time this pass (the walk over
 * every tenant, perhaps over several invocations) writes partial reports for; `open`:
 * the span the last complete pass wrote them for. Every partial report stored is of a
 * period that holds an instant of one of them, so a run finalizes what they hold once
 * it has closed.
 */
const stateItem = z.object({ cursor: z.string().optional(), pass: span.optional(), open: span.optional() });

const merge = (a: Span | undefined, b: Span): Span => (a ? { from: Math.min(a.from, b.from), to: Math.max(a.to, b.to) } : b);

export async function generateReports(context: JobContext): Promise<JobOutcome> {
  const { store } = context;
  const rollup = await readRollupState(store);
  if (rollup.closedThrough === undefined) return { summary: { generated: [], refreshed: 0, waiting: 'rollup-usage has not run yet' }, more: false };
  const closedThrough = rollup.closedThrough;
  const reachedAt = Math.max(closedThrough, rollup.reachedAt ? Date.parse(rollup.reachedAt) : closedThrough);
  const state = stateItem.parse((await getItem(store, keys.jobState(JOB), z.object({}).loose())) ?? {});
  const pass = merge(state.cursor ? state.pass : undefined, { from: closedThrough, to: reachedAt });
  const earlier = [state.open, pass].filter((s): s is Span => s !== undefined);
  const generated: Array<{ tenantId: string; id: string }> = [];
  let refreshed = 0;
  let cursor = state.cursor;
  let tenants = 0;
  let more = false;
  for (;;) {
    // At least one page of tenants per invocation, so a run always moves on.
    if (tenants > 0 && outOfBudget(context, tenants, context.maxItems)) {
      more = true;
      break;
    }
    const page = await queryPage(store, { ...lists.tenants(), limit: context.pageSize ?? 25, ...(cursor ? { cursor } : {}) }, tenantItem);
    await mapLimit(page.items.filter((t) => t.id !== SYSTEM_TENANT), 4, async (tenant) => {
      const due = duePeriods(closedThrough, reachedAt, Date.parse(tenant.createdAt), earlier);
      const all = [...due.final, ...due.partial];
      const stored = await getItems(store, all.map((p) => keys.report(tenant.id, dayKey(p.start), p.kind)));
      for (const [i, period] of all.entries()) {
        const existing = stored[i];
        const isFinal = i < due.final.length;
        // A final report is never made again; a partial one is not rolled back to an earlier asOf.
        if (existing && existing.partial !== true) continue;
        const asOf = isFinal ? undefined : (period as DuePartial).asOf;
        if (existing && asOf !== undefined && typeof existing.asOf === 'string' && existing.asOf > iso(asOf)) continue;
        const built = await buildReport(store, tenant.id, period.kind, period.start, context.now, asOf);
        try {
          await store.doc.send(
            new PutCommand({
              TableName: store.tableName,
              Item: { ...keys.report(tenant.id, dayKey(period.start), period.kind), type: 'report', ...built },
              ConditionExpression: isFinal
                ? 'attribute_not_exists(pk) OR #partial = :true'
                : 'attribute_not_exists(pk) OR (#partial = :true AND (attribute_not_exists(asOf) OR asOf <= :asOf))',
              ExpressionAttributeNames: { '#partial': 'partial' },
              ExpressionAttributeValues: { ':true': true, ...(isFinal ? {} : { ':asOf': built.asOf }) },
            }),
          );
          if (isFinal) generated.push({ tenantId: tenant.id, id: built.id });
          else refreshed++;
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
        }
      }
    });
    tenants += page.items.length;
    cursor = page.nextCursor ?? undefined;
    if (!cursor) break;
  }
  const next = cursor && more ? { cursor, pass, ...(state.open ? { open: state.open } : {}) } : { open: pass };
  await store.doc.send(new PutCommand({ TableName: store.tableName, Item: { ...keys.jobState(JOB), type: 'jobstate', ...next } }));
  return { summary: { generated, refreshed, tenants, rolledUpUntil: iso(closedThrough), asOf: iso(reachedAt) }, more };
}

export async function getReport(store: Store, tenantId: string, id: string): Promise<Report> {
  const { kind, start } = periodOfId(id);
  const item = await getItem(store, keys.report(tenantId, dayKey(start), kind), reportItem);
  if (!item) throw notFound(`report ${id}`);
  return pickFields(reportShape, item);
}

export async function listReports(store: Store, tenantId: string, query: { limit: number; cursor?: string; kind?: ReportKind }) {
  const page = await queryPage(
    store,
    {
      ...lists.reports(tenantId),
      limit: query.limit,
      ...(query.cursor ? { cursor: query.cursor } : {}),
      newestFirst: true,
      ...(query.kind ? { filter: { expression: '#kind = :kind', names: { '#kind': 'kind' }, values: { ':kind': query.kind } } } : {}),
    },
    reportItem,
  );
  return {
    items: page.items.map((r) => pickFields(reportSummary, { ...r, total: r.totals.cost.total })),
    nextCursor: page.nextCursor,
  };
}

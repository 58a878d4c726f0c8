/**
 * The scheduled `generate-reports` job and the reports it keeps: for each tenant a
 * daily report (a UTC day) and a weekly one (an ISO week, Monday to Sunday), made once
 * rollup-usage has closed every hour of the period, each compared with the period
 * before it. A report's id is its kind and first day, so a run that finds a report
 * already made leaves it as it is, and a run cut off part way makes the rest next time.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { notFound } from '../errors.ts';
import type { Store } from '../store/client.ts';
import { keys, lists, SYSTEM_TENANT } from '../store/keys.ts';
import { getItem, getItems, queryAll, queryPage } from '../store/table.ts';
import { pickFields } from '../store/items.ts';
import { projectItem, tenantItem, userItem } from '../tenancy/items.ts';
import { DEFAULT_QUOTA, quotaDimensions, quotaLimitsItem, quotaUsageItem } from '../quotas/items.ts';
import { QUOTA_GROUP } from '../quotas/quotas.ts';
import { addTotals, round6, zeroTotals, type UsageTotals } from '../usage/pieces.ts';
import { DAY_MS, dayKey, floorDay, iso, usageRecord, type UsageRecord } from '../usage/records.ts';
import { readRollupState } from '../usage/rollup.ts';
import { mapLimit, outOfBudget, type JobContext, type JobOutcome } from '../jobs/runner.ts';
import * as z from 'zod';
import { report as reportShape, reportSummary, type Report, type ReportKind } from './schemas.ts';

const JOB = 'generate-reports';
/** Days (and weeks) a late run still makes reports for. */
const BACKFILL_DAYS = 7;
const TOP = 10;

export const reportIdOf = (kind: ReportKind, start: number) => `rpt_${kind}_${dayKey(start).replaceAll('-', '')}`;
export function periodOfId(id: string): { kind: ReportKind; start: number } {
  const [, kind, date] = id.split('_') as [string, ReportKind, string];
  return { kind, start: Date.parse(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T00:00:00Z`) };
}
const lengthOf = (kind: ReportKind) => (kind === 'daily' ? DAY_MS : 7 * DAY_MS);
/** The Monday of the ISO week that holds `ms`. */
const mondayOf = (ms: number) => floorDay(ms) - ((new Date(ms).getUTCDay() + 6) % 7) * DAY_MS;

const reportItem = reportShape.extend({ type: z.literal('report') });

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

async function dayRecords(store: Store, spec: ReturnType<typeof lists.usageOfTenant>) {
  return queryAll(store, spec, usageRecord, 1_000_000);
}

/** Builds one report from the rolled-up records; nothing is written. */
export async function buildReport(store: Store, tenantId: string, kind: ReportKind, start: number, generatedAt = new Date()): Promise<Report> {
  const length = lengthOf(kind);
  const end = start + length;
  const previousStart = start - length;
  const last = (to: number) => dayKey(to - DAY_MS);
  const projects = await queryAll(store, lists.projects(tenantId), projectItem, 10_000);
  const names = new Map(projects.map((p) => [p.id, p.name]));

  // Tenant totals per day: the trend line shows a week of days before a daily report's, the week before a weekly one's.
  const trendStart = Math.min(previousStart, end - 7 * DAY_MS);
  const tenantDays = await dayRecords(store, lists.usageOfTenant(tenantId, 'tenant', 'D', dayKey(trendStart), last(end)));
  const byDay = new Map(tenantDays.map((r) => [r.period, r]));
  const sumDays = (from: number, to: number) => {
    const totals = zeroTotals();
    for (let d = from; d < to; d += DAY_MS) {
      const record = byDay.get(dayKey(d));
      if (record) addTotals(totals, record.totals);
    }
    return totals;
  };
  const totals = sumDays(start, end);
  const previous = sumDays(previousStart, start);
  const costPerDay: Report['costPerDay'] = [];
  for (let d = trendStart; d < end; d += DAY_MS) {
    const record = byDay.get(dayKey(d));
    costPerDay.push({ date: dayKey(d), cost: round6(record ? totalOf(record.totals) : 0), inPeriod: d >= start });
  }

  // By project, with the previous period beside it.
  const projectDays = await dayRecords(store, lists.usageOfTenant(tenantId, 'project', 'D', dayKey(previousStart), last(end)));
  const current = new Map<string, UsageTotals>();
  const before = new Map<string, UsageTotals>();
  for (const record of projectDays) {
    const into = Date.parse(record.start) >= start ? current : before;
    into.set(record.projectId!, addTotals(into.get(record.projectId!) ?? zeroTotals(), record.totals));
  }
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
  if (tenantDays.length === 0) notes.push('No usage was recorded in this period or the one before.');
  if (quotaUse.some((q) => q.over.length)) notes.push('Some users hold more than their quota allows (it was lowered); their next virtual cluster is refused until they free some.');
  const title = kind === 'daily' ? `Daily cost report, ${dateLabel(start)}` : `Weekly cost report, ${dateLabel(start)} – ${dateLabel(end - DAY_MS)}`;
  return {
    id: reportIdOf(kind, start),
    kind,
    title,
    tenantId,
    period: { from: iso(start), to: iso(end) },
    previousPeriod: { from: iso(previousStart), to: iso(start) },
    generatedAt: generatedAt.toISOString(),
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

/** The periods whose report is due at `closedThrough` (every hour before it is rolled up for good). */
export function duePeriods(closedThrough: number, tenantCreatedAt: number): Array<{ kind: ReportKind; start: number }> {
  const due: Array<{ kind: ReportKind; start: number }> = [];
  for (let day = floorDay(closedThrough) - DAY_MS; day >= floorDay(closedThrough) - BACKFILL_DAYS * DAY_MS; day -= DAY_MS) {
    if (day + DAY_MS > tenantCreatedAt) due.push({ kind: 'daily', start: day });
  }
  for (let week = mondayOf(closedThrough) - 7 * DAY_MS, n = 0; n < 2; week -= 7 * DAY_MS, n++) {
    if (week + 7 * DAY_MS <= closedThrough && week + 7 * DAY_MS > tenantCreatedAt) due.push({ kind: 'weekly', start: week });
  }
  return due;
}

const stateItem = z.object({ cursor: z.string().optional() });

export async function generateReports(context: JobContext): Promise<JobOutcome> {
  const { store } = context;
  const rollup = await readRollupState(store);
  if (rollup.closedThrough === undefined) return { summary: { generated: [], waiting: 'rollup-usage has not run yet' }, more: false };
  const closedThrough = rollup.closedThrough;
  const state = stateItem.parse((await getItem(store, keys.jobState(JOB), z.object({}).loose())) ?? {});
  const generated: Array<{ tenantId: string; id: string }> = [];
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
      const due = duePeriods(closedThrough, Date.parse(tenant.createdAt));
      const existing = await getItems(store, due.map((p) => keys.report(tenant.id, dayKey(p.start), p.kind)));
      for (const [i, period] of due.entries()) {
        if (existing[i]) continue;
        const built = await buildReport(store, tenant.id, period.kind, period.start, context.now);
        try {
          await store.doc.send(
            new PutCommand({
              TableName: store.tableName,
              Item: { ...keys.report(tenant.id, dayKey(period.start), period.kind), type: 'report', ...built },
              ConditionExpression: 'attribute_not_exists(pk)',
            }),
          );
          generated.push({ tenantId: tenant.id, id: built.id });
        } catch (error) {
          if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
        }
      }
    });
    tenants += page.items.length;
    cursor = page.nextCursor ?? undefined;
    if (!cursor) break;
  }
  await store.doc.send(new PutCommand({ TableName: store.tableName, Item: { ...keys.jobState(JOB), type: 'jobstate', ...(cursor && more ? { cursor } : {}) } }));
  return { summary: { generated, tenants, rolledUpUntil: iso(closedThrough) }, more };
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

/**
 * Reports of periods that are not over: the current day, week and month so far are
 * partial reports (`partial: true`, `asOf`), from the first run on a fresh install, and
 * each is replaced in place (same id) by its final report once its period has closed.
 * The second runtime moves the jobs' clock (RunOptions.now) through a month in the past:
 * a host runs for two days of October, the month is reported while it runs, and after.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '#shared/ids.ts';
import { runJob, type JobRun } from '#shared/jobs/runner.ts';
import { generateReports } from '#shared/reports/reports.ts';
import { CSV_COLUMNS } from '#shared/reports/render.ts';
import { keys } from '#shared/store/keys.ts';
import { rollupUsage } from '#shared/usage/rollup.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-api.ts';
import { seedMeters } from '../support/usage.ts';

const DAY = 86_400_000;
const compact = (ms: number) => new Date(ms).toISOString().slice(0, 10).replaceAll('-', '');

/** RFC 4180 rows of a report's CSV (fields quoted when they hold a comma; none here holds a quote or a line break). */
const csvRows = (text: string) => text.split('\r\n').filter(Boolean).map((line) => line.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.slice(0, CSV_COLUMNS.length).map((f) => f.replace(/,$/, '').replace(/^"|"$/g, '')));

describe('a fresh install', () => {
  let rt: TestRuntime;
  let rolledUpThrough: string;
  const today = Math.floor(Date.now() / DAY) * DAY;
  const monday = today - ((new Date(today).getUTCDay() + 6) % 7) * DAY;
  const first = Date.UTC(new Date(today).getUTCFullYear(), new Date(today).getUTCMonth(), 1);
  const ids = [`rpt_daily_${compact(today)}`, `rpt_weekly_${compact(monday)}`, `rpt_monthly_${compact(first)}`];

  beforeAll(async () => {
    rt = await startTestRuntime();
    const rollup = await rt.system.post('/v1/system/jobs/rollup-usage');
    expect(rollup.status, rollup.text).toBe(200);
    rolledUpThrough = rollup.body.summary.rolledUpThrough;
    const reports = await rt.system.post('/v1/system/jobs/generate-reports');
    expect(reports.status, reports.text).toBe(200);
    expect(reports.body.summary).toMatchObject({ generated: [], refreshed: 3, asOf: rolledUpThrough });
  });
  afterAll(async () => {
    await rt?.stop();
  });

  it('shows today\'s, this week\'s and this month\'s reports so far after one run, partial, as of where the rollup reached, with zero totals', async () => {
    const list = await rt.admin.get('/v1/reports');
    expect(list.status).toBe(200);
    expect(list.body.items.map((r: { id: string }) => r.id).sort()).toEqual([...ids].sort());
    for (const summary of list.body.items) expect(summary).toMatchObject({ partial: true, asOf: rolledUpThrough, total: 0 });
    for (const id of ids) {
      const report = (await rt.admin.get(`/v1/reports/${id}`)).body;
      expect(report).toMatchObject({ id, partial: true, asOf: rolledUpThrough, totals: { cost: { total: 0 } }, change: { amount: 0, percent: null } });
      expect(report.notes[0]).toMatch(/is not over/);
    }
    expect((await rt.admin.get('/v1/reports?kind=monthly')).body.items.map((r: { id: string }) => r.id)).toEqual([ids[2]]);
  });

  it('says "partial, as of …" in its CSV and on its page', async () => {
    const asOf = `${rolledUpThrough.replace('T', ' ').slice(0, 16)} UTC`;
    const csv = await rt.admin.get(`/v1/reports/${ids[2]}`, { accept: 'text/csv' });
    expect(csv.status).toBe(200);
    const [header, ...rows] = csvRows(csv.text);
    expect(header).toEqual([...CSV_COLUMNS]);
    const at = (name: string) => CSV_COLUMNS.indexOf(name as (typeof CSV_COLUMNS)[number]);
    const total = rows.find((r) => r[at('section')] === 'total')!;
    expect(total[at('name')]).toMatch(new RegExp(`^Monthly cost report, .+ \\(partial, as of ${asOf}\\)$`));
    for (const row of rows) expect([row[at('partial')], row[at('as_of')]]).toEqual(['true', rolledUpThrough]);

    const page = await rt.admin.get(`/v1/reports/${ids[2]}`, { accept: 'text/html' });
    expect(page.status).toBe(200);
    expect(page.text).toContain(`<strong>Partial, as of ${asOf}.</strong>`);
    expect(page.text).toContain('<span class="badge">partial</span>');
    expect(page.text).toContain('vs the month before, to the same point');
  });
});

describe('a month in the past, as the jobs saw it', () => {
  let rt: TestRuntime;
  let tenantId: string;
  const at = (text: string) => new Date(text);
  const run = async (job: 'rollup-usage' | 'generate-reports', now: Date): Promise<JobRun> => {
    for (;;) {
      const result = await runJob(rt.store, job, job === 'rollup-usage' ? rollupUsage : generateReports, { budgetMs: 20_000, now });
      if (result.summary.complete) return result;
    }
  };
  const get = async (id: string) => {
    const response = await rt.admin.get(`/v1/reports/${id}`);
    expect(response.status, response.text).toBe(200);
    return response.body;
  };
  const monthly = 'rpt_monthly_20261001';
  // Two sim.large: (0.05 + 2 × 0.24) compute + 400 GiB × 0.0001 storage = $0.57 an hour, $13.68 a day.
  const hourly = 0.57;

  beforeAll(async () => {
    rt = await startTestRuntime();
    tenantId = (await rt.admin.get('/v1/me')).body.tenant.id;
    await rt.store.doc.send(
      new UpdateCommand({ TableName: rt.store.tableName, Key: keys.tenant(tenantId), UpdateExpression: 'SET createdAt = :at', ExpressionAttributeValues: { ':at': '2026-09-01T00:00:00.000Z' } }),
    );
    const projectId = (await rt.admin.post('/v1/projects', { name: 'ops' })).body.id;
    await seedMeters(rt.store, [
      {
        kind: 'cluster', tenantId, projectId, id: newId('cluster'), name: 'two-day-host',
        segments: [
          { at: '2026-10-14T00:00:00.000Z', state: 'running', provider: 'sim', nodes: [{ instanceType: 'sim.large', count: 2 }] },
          { at: '2026-10-16T00:00:00.000Z', state: 'ended', provider: 'sim', nodes: [{ instanceType: 'sim.large', count: 2 }] },
        ],
      },
    ]);
  });
  afterAll(async () => {
    await rt?.stop();
  });

  it('reports the month so far while it runs, refreshes it as usage grows, and replaces it with the final report (same id) once the month has closed, never to rewrite it', async () => {
    // Wednesday 14 October, noon: the host has run twelve hours.
    await run('rollup-usage', at('2026-10-14T12:00:30Z'));
    const first = await run('generate-reports', at('2026-10-14T12:05:00Z'));
    expect(first.summary).toMatchObject({ refreshed: 3, asOf: '2026-10-14T12:00:28.000Z' });
    // The tenant has been here since September: the days, weeks and month before are final (and empty).
    expect((first.summary.generated as Array<{ id: string }>).map((g) => g.id)).toEqual([
      'rpt_daily_20261013', 'rpt_daily_20261012', 'rpt_daily_20261011', 'rpt_daily_20261010', 'rpt_daily_20261009', 'rpt_daily_20261008', 'rpt_daily_20261007',
      'rpt_weekly_20261005', 'rpt_weekly_20260928', 'rpt_monthly_20260901',
    ]);
    const early = await get(monthly);
    expect(early).toMatchObject({ kind: 'monthly', partial: true, asOf: '2026-10-14T12:00:28.000Z', period: { from: '2026-10-01T00:00:00.000Z', to: '2026-11-01T00:00:00.000Z' } });
    expect(early.totals.cost.total).toBeCloseTo(hourly * (12 + 28 / 3600), 5);
    expect((await get('rpt_daily_20261014')).totals.cost.total).toBe(early.totals.cost.total);
    expect((await get('rpt_weekly_20261012')).partial).toBe(true);
    // The month so far: its days up to the one the rollup reached, against September to the same point.
    expect(early.costPerDay.filter((d: { inPeriod: boolean }) => d.inPeriod).map((d: { date: string }) => d.date).at(-1)).toBe('2026-10-14');
    expect(early.previousPeriod).toEqual({ from: '2026-09-01T00:00:00.000Z', to: '2026-09-14T12:00:28.000Z' });

    // The next morning: the same reports again, with more in them; the 14th is over and final.
    await run('rollup-usage', at('2026-10-15T06:00:30Z'));
    const second = await run('generate-reports', at('2026-10-15T06:05:00Z'));
    expect(second.summary.generated).toEqual([{ tenantId, id: 'rpt_daily_20261014' }]);
    const later = await get(monthly);
    expect(later).toMatchObject({ id: monthly, partial: true, asOf: '2026-10-15T06:00:28.000Z' });
    expect(later.totals.cost.total).toBeGreaterThan(early.totals.cost.total);
    expect(later.totals.cost.total).toBeCloseTo(hourly * (30 + 28 / 3600), 5);
    const day14 = await get('rpt_daily_20261014');
    expect(day14).toMatchObject({ partial: false, totals: { cost: { total: 13.68 } } });
    expect(day14.asOf).toBeUndefined();
    expect((await get('rpt_daily_20261015')).partial).toBe(true);

    // 1 November: October is closed. Its final report replaces the partial one; so does the 15th's, though a
    // run this late backfills only the last seven days (it was left partial by the run before).
    await run('rollup-usage', at('2026-11-01T02:00:30Z'));
    const third = await run('generate-reports', at('2026-11-01T02:05:00Z'));
    const made = (third.summary.generated as Array<{ id: string }>).map((g) => g.id);
    expect(made).toContain(monthly);
    expect(made).toContain('rpt_daily_20261015');
    expect(made).toContain('rpt_weekly_20261012');
    const final = await get(monthly);
    expect(final).toMatchObject({ id: monthly, partial: false, generatedAt: '2026-11-01T02:05:00.000Z', previousPeriod: { from: '2026-09-01T00:00:00.000Z', to: '2026-10-01T00:00:00.000Z' } });
    expect(final.asOf).toBeUndefined();
    const day15 = await get('rpt_daily_20261015');
    expect(day15).toMatchObject({ partial: false, totals: { cost: { total: 13.68 } } });
    // The month is the sum of its two days.
    expect(final.totals.cost.total).toBe(27.36);
    expect(final.totals.cost.total).toBeCloseTo(day14.totals.cost.total + day15.totals.cost.total, 6);
    expect(final.totals.cpuCoreHours).toBeCloseTo(day14.totals.cpuCoreHours + day15.totals.cpuCoreHours, 6);
    expect(final.costPerDay.filter((d: { cost: number }) => d.cost > 0).map((d: { date: string; cost: number }) => [d.date, d.cost])).toEqual([
      ['2026-10-14', 13.68],
      ['2026-10-15', 13.68],
    ]);
    expect(final.costPerDay.filter((d: { inPeriod: boolean }) => d.inPeriod)).toHaveLength(31);
    expect((await rt.admin.get(`/v1/reports/${monthly}`, { accept: 'text/csv' })).text).not.toContain('partial, as of');
    expect((await rt.admin.get(`/v1/reports/${monthly}`, { accept: 'text/html' })).text).not.toContain('class="partial"');
    // November so far is the new partial one.
    expect((await get('rpt_monthly_20261101')).partial).toBe(true);

    // Later runs leave the final report as it is.
    await run('rollup-usage', at('2026-11-01T05:00:30Z'));
    const fourth = await run('generate-reports', at('2026-11-01T05:05:00Z'));
    expect((fourth.summary.generated as Array<{ id: string }>).map((g) => g.id)).not.toContain(monthly);
    expect(await get(monthly)).toEqual(final);
    const list = (await rt.admin.get('/v1/reports?kind=monthly')).body.items;
    expect(list.map((r: { id: string; partial: boolean }) => [r.id, r.partial])).toEqual([
      ['rpt_monthly_20261101', true],
      [monthly, false],
      ['rpt_monthly_20260901', false],
    ]);
  });
});

/**
 * generate-reports and the reports API. Twenty days of a tenant's usage (seeded
 * meters: a host scaled up four days ago, a virtual cluster running throughout, one
 * paused three days ago) are rolled up; the job then makes a daily report for each of
 * the last seven days and a weekly one for each of the last two weeks. A report reads
 * as JSON (numbers worked out by hand), as CSV a spreadsheet opens as it is, and as a
 * page with its charts, rendered by headless Chromium without an error or a request.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '#shared/ids.ts';
import { keys } from '#shared/store/keys.ts';
import { CSV_COLUMNS } from '#shared/reports/render.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-api.ts';
import { beehiveHosts, freshUser } from '../support/app-mode.ts';
import { seedMeters } from '../support/usage.ts';

/** Debian's chromium package; .ci/run installs it when it is missing. */
const CHROMIUM = '/usr/bin/chromium';
const DAY = 86_400_000;
const today = Math.floor(Date.now() / DAY) * DAY;
const dayAt = (daysAgo: number) => new Date(today - daysAgo * DAY).toISOString();
const idOf = (kind: 'daily' | 'weekly', daysAgo: number) => `rpt_${kind}_${dayAt(daysAgo).slice(0, 10).replaceAll('-', '')}`;
const firstOfMonth = (monthsAgo: number) => Date.UTC(new Date(today).getUTCFullYear(), new Date(today).getUTCMonth() - monthsAgo, 1);
const monthlyId = (start: number) => `rpt_monthly_${new Date(start).toISOString().slice(0, 10).replaceAll('-', '')}`;
const mondayId = `rpt_weekly_${new Date(today - ((new Date(today).getUTCDay() + 6) % 7) * DAY).toISOString().slice(0, 10).replaceAll('-', '')}`;
/** The closed months the first run makes final: the last two, those that ended after the tenant was created (thirty days ago). */
const closedMonths = [1, 2].map(firstOfMonth).filter((start) => Date.UTC(new Date(start).getUTCFullYear(), new Date(start).getUTCMonth() + 1, 1) > today - 30 * DAY);

let rt: TestRuntime;
let tenantId: string;
let devEmail: string;
const projects: Record<string, string> = {};
let generated: Array<{ tenantId: string; id: string }>;
let rolledUpThrough: string;

beforeAll(async () => {
  rt = await startTestRuntime({ simSpeed: 20 });
  await beehiveHosts(rt);
  tenantId = (await rt.admin.get('/v1/me')).body.tenant.id;
  // The tenant has been here a month (reports are made only for periods it existed in).
  await rt.store.doc.send(
    new UpdateCommand({ TableName: rt.store.tableName, Key: keys.tenant(tenantId), UpdateExpression: 'SET createdAt = :at', ExpressionAttributeValues: { ':at': dayAt(30) } }),
  );
  for (const name of ['infra', 'web', 'batch']) projects[name] = (await rt.admin.post('/v1/projects', { name })).body.id;
  const hostId = newId('cluster');
  const host = { tenantId, projectId: projects.infra!, clusterId: hostId };
  await seedMeters(rt.store, [
    {
      kind: 'cluster', tenantId, projectId: projects.infra!, id: hostId, name: 'infra-host',
      segments: [
        { at: dayAt(20), state: 'running', provider: 'sim', nodes: [{ instanceType: 'sim.large', count: 2 }] },
        { at: dayAt(4), state: 'running', provider: 'sim', nodes: [{ instanceType: 'sim.large', count: 3 }] },
      ],
    },
    { kind: 'virtualcluster', tenantId, projectId: projects.web!, id: newId('virtualCluster'), name: 'web-frontend', host, ownerId: 'usr_web', segments: [{ at: dayAt(20), state: 'running', cpu: 8, memoryMiB: 16384, storageGiB: 20 }] },
    {
      kind: 'virtualcluster', tenantId, projectId: projects.batch!, id: newId('virtualCluster'), name: 'batch-jobs', host, ownerId: 'usr_batch',
      segments: [
        { at: dayAt(10), state: 'running', cpu: 4, memoryMiB: 8192, storageGiB: 10 },
        { at: dayAt(3), state: 'paused', cpu: 4, memoryMiB: 8192, storageGiB: 10 },
      ],
    },
  ]);
  // Someone holds a virtual cluster in beehive, for the report's quota meters.
  const dev = await freshUser(rt, 'quota');
  devEmail = (await dev.api.get('/v1/me')).body.user.email;
  expect((await dev.api.post('/v1/projects/default/virtualclusters', { name: 'mine', resources: { cpu: 6, memoryMiB: 8192, storageGiB: 4 } })).status).toBe(202);

  const rollup = await rt.system.post('/v1/system/jobs/rollup-usage');
  expect(rollup.status, rollup.text).toBe(200);
  expect(rollup.body.summary.complete).toBe(true);
  rolledUpThrough = rollup.body.summary.rolledUpThrough;
  const reports = await rt.system.post('/v1/system/jobs/generate-reports');
  expect(reports.status, reports.text).toBe(200);
  generated = reports.body.summary.generated;
});
afterAll(async () => {
  await rt?.stop();
});

describe('generate-reports', () => {
  it('makes a daily report for each of the last seven days, a weekly one for each of the last two weeks and a monthly one for each of the last two months, once', async () => {
    const mine = generated.filter((g) => g.tenantId === tenantId).map((g) => g.id);
    expect(mine.filter((id) => id.startsWith('rpt_daily_')).sort()).toEqual([1, 2, 3, 4, 5, 6, 7].map((d) => idOf('daily', d)).sort());
    expect(mine.filter((id) => id.startsWith('rpt_weekly_'))).toHaveLength(2);
    expect(mine.filter((id) => id.startsWith('rpt_monthly_')).sort()).toEqual(closedMonths.map(monthlyId).sort());
    const again = await rt.system.post('/v1/system/jobs/generate-reports');
    expect(again.body.summary.generated).toEqual([]);
    // The current day, week and month so far are made again on every run.
    expect(again.body.summary.refreshed).toBe(3);
    const list = await rt.admin.get('/v1/reports?limit=100');
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(9 + closedMonths.length + 3);
    const starts = list.body.items.map((r: { period: { from: string } }) => r.period.from);
    expect(starts).toEqual([...starts].sort().reverse());
    const weekly = await rt.admin.get('/v1/reports?kind=weekly');
    expect(weekly.body.items.map((r: { kind: string; partial: boolean }) => [r.kind, r.partial])).toEqual([['weekly', true], ['weekly', false], ['weekly', false]]);
    const monthly = await rt.admin.get('/v1/reports?kind=monthly');
    expect(monthly.body.items.map((r: { id: string; partial: boolean }) => [r.id, r.partial])).toEqual([[monthlyId(firstOfMonth(0)), true], ...closedMonths.map((m) => [monthlyId(m), false])]);
  });

  it('shows today, this week and this month so far as partial reports, as of where the rollup reached', async () => {
    const partial = (await rt.admin.get('/v1/reports?limit=100')).body.items.filter((r: { partial: boolean }) => r.partial);
    expect(partial.map((r: { id: string }) => r.id).sort()).toEqual([idOf('daily', 0), mondayId, monthlyId(firstOfMonth(0))].sort());
    for (const summary of partial) {
      const report = (await rt.admin.get(`/v1/reports/${summary.id}`)).body;
      expect(report).toMatchObject({ partial: true, asOf: summary.asOf });
      // Usage as far as the rollup reached (not the moment the report was made), and exactly that usage.
      expect(report.asOf).toBe(rolledUpThrough);
      const usage = await rt.admin.get(`/v1/usage?from=${report.period.from}&to=${report.asOf}`);
      expect(report.totals.cost.total).toBeCloseTo(usage.body.totals.cost.total, 5);
      expect(report.costPerDay.filter((d: { inPeriod: boolean }) => d.inPeriod).at(-1).date).toBe(report.asOf.slice(0, 10));
      // Against the period before to the same point: as long a span of it as this period has so far.
      expect(Date.parse(report.previousPeriod.to) - Date.parse(report.previousPeriod.from)).toBe(Date.parse(report.asOf) - Date.parse(report.period.from));
      const before = await rt.admin.get(`/v1/usage?from=${report.previousPeriod.from}&to=${report.previousPeriod.to}`);
      expect(report.previousTotals.cost.total).toBeCloseTo(before.body.totals.cost.total, 5);
    }
  });
});

describe('a daily report as JSON', () => {
  it('has the day\'s totals, cost by project, top virtual clusters, quota use, idle spend and the change against the day before', async () => {
    const response = await rt.admin.get(`/v1/reports/${idOf('daily', 1)}`);
    expect(response.status, response.text).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const report = response.body;
    // Three sim.large: (0.05 + 3 × 0.24) × 24 = 18.48 compute, 600 GiB × 0.0001 × 24 = 1.44 storage.
    expect(report.totals.cost).toEqual({ compute: 18.48, storage: 1.44, total: 19.92 });
    expect(report.previousTotals.cost.total).toBe(19.92);
    expect(report.change).toEqual({ amount: 0, percent: 0 });
    // web: 8 × 0.02 × 24 + 16 × 0.0025 × 24 = 4.8, 20 × 0.0001 × 24 = 0.048; batch paused all day: 0.024 of storage.
    expect(report.costByProject.map((p: { name: string; cost: { total: number } }) => [p.name, p.cost.total])).toEqual([
      ['infra', 15.048],
      ['web', 4.848],
      ['batch', 0.024],
    ]);
    expect(report.topVirtualClusters.map((vc: { name: string; cost: { total: number } }) => [vc.name, vc.cost.total])).toEqual([
      ['web-frontend', 4.848],
      ['batch-jobs', 0.024],
    ]);
    expect(report.idle).toEqual({ pausedStorage: 0.024, hostIdle: 15.048, total: 15.072, percentOfTotal: Math.round((15.072 / 19.92) * 100 * 1e6) / 1e6 });
    expect(report.quotaUse).toEqual([
      expect.objectContaining({ email: devEmail, used: { virtualClusters: 1, cpu: 6, memoryMiB: 8192, storageGiB: 4 }, percent: { virtualClusters: 50, cpu: 50, memoryMiB: 50, storageGiB: 20 }, over: [] }),
    ]);
    // The trend: the report's day and the six before it (the host had two nodes until four days ago).
    expect(report.costPerDay.map((d: { cost: number }) => d.cost)).toEqual([13.68, 13.68, 13.68, 19.92, 19.92, 19.92, 19.92]);
    expect(report.costPerDay.map((d: { inPeriod: boolean }) => d.inPeriod)).toEqual([false, false, false, false, false, false, true]);
  });

  it('shows the scale-up four days ago as a change against the day before', async () => {
    const report = (await rt.admin.get(`/v1/reports/${idOf('daily', 4)}`)).body;
    // Two sim.large the day before: (0.05 + 0.48) × 24 + 400 × 0.0001 × 24 = 13.68.
    expect(report.totals.cost.total).toBe(19.92);
    expect(report.previousTotals.cost.total).toBe(13.68);
    expect(report.change).toEqual({ amount: 6.24, percent: Math.round((6.24 / 13.68) * 100 * 1e6) / 1e6 });
  });

  it('sums a weekly report from the days of its week, against the week before', async () => {
    const latest = (await rt.admin.get('/v1/reports?kind=weekly')).body.items.find((r: { partial: boolean }) => !r.partial);
    const report = (await rt.admin.get(`/v1/reports/${latest.id}`)).body;
    const days = await rt.admin.get(`/v1/usage?from=${report.period.from}&to=${report.period.to}&step=day`);
    const byDay = new Map<string, number>();
    for (const item of days.body.items) byDay.set(item.start, Math.round(((byDay.get(item.start) ?? 0) + item.cost.total) * 1e6) / 1e6);
    expect(report.costPerDay.filter((d: { inPeriod: boolean }) => d.inPeriod).map((d: { cost: number }) => d.cost)).toEqual([...byDay.values()]);
    expect(report.totals.cost.total).toBe(days.body.totals.cost.total);
    expect(report.costPerDay).toHaveLength(14);
    const previous = await rt.admin.get(`/v1/usage?from=${report.previousPeriod.from}&to=${report.previousPeriod.to}`);
    expect(report.previousTotals.cost.total).toBe(previous.body.totals.cost.total);
  });

  it('sums a monthly report from the days of its calendar month, against the month before, with both months\' days in its trend', async () => {
    const report = (await rt.admin.get(`/v1/reports/${monthlyId(firstOfMonth(1))}`)).body;
    expect(report).toMatchObject({ kind: 'monthly', partial: false, period: { from: new Date(firstOfMonth(1)).toISOString(), to: new Date(firstOfMonth(0)).toISOString() } });
    expect(report.asOf).toBeUndefined();
    expect(report.title).toBe(`Monthly cost report, ${new Date(firstOfMonth(1)).toLocaleDateString('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' })}`);
    const days = await rt.admin.get(`/v1/usage?from=${report.period.from}&to=${report.period.to}&step=day`);
    expect(report.totals.cost.total).toBe(days.body.totals.cost.total);
    const inPeriod = report.costPerDay.filter((d: { inPeriod: boolean }) => d.inPeriod);
    expect(inPeriod).toHaveLength((firstOfMonth(0) - firstOfMonth(1)) / DAY);
    expect(report.costPerDay).toHaveLength((firstOfMonth(0) - firstOfMonth(2)) / DAY);
    const sum = inPeriod.reduce((total: number, d: { cost: number }) => total + d.cost, 0);
    expect(report.totals.cost.total).toBeCloseTo(sum, 5);
    expect(report.previousPeriod).toEqual({ from: new Date(firstOfMonth(2)).toISOString(), to: report.period.from });
  });

  it('is the tenant admins\': a member gets 403, a malformed id 400 and an unknown one 404', async () => {
    const member = await freshUser(rt, 'reader');
    expect((await member.api.get('/v1/reports')).status).toBe(403);
    const malformed = await rt.admin.get('/v1/reports/rpt_monthly_1');
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors[0].path).toBe('path.id');
    expect((await rt.admin.get('/v1/reports/rpt_daily_19990101')).status).toBe(404);
  });
});

/** RFC 4180: fields split on commas outside quotes, "" inside quotes is a quote, records end with CRLF. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  expect(field, 'the last record ends with CRLF').toBe('');
  return rows;
}

describe('a report as CSV', () => {
  it('opens in a spreadsheet as it is: a header row, one row per line item, the same numbers as the JSON', async () => {
    const id = idOf('daily', 1);
    const response = await rt.admin.get(`/v1/reports/${id}`, { accept: 'text/csv' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8; header=present');
    // A byte-order mark first, so a spreadsheet reads the UTF-8 as UTF-8 (fetch's text() drops it).
    const bytes = Buffer.from(await (await fetch(`${rt.url}/v1/reports/${id}`, { headers: { authorization: `Bearer ${rt.seeded.adminKey}`, accept: 'text/csv' } })).arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = parseCsv(response.text);
    await mkdir(join('.palette', 'reports'), { recursive: true });
    await writeFile(join('.palette', 'reports', `${id}.csv`), bytes);
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    for (const row of rows) expect(row).toHaveLength(CSV_COLUMNS.length);
    const records = rows.slice(1).map((row) => Object.fromEntries(CSV_COLUMNS.map((c, i) => [c, row[i]!])));
    const json = (await rt.admin.get(`/v1/reports/${id}`)).body;
    const total = records.find((r) => r.section === 'total')!;
    expect(total).toMatchObject({ report_id: id, name: json.title, total_usd: '19.92', compute_usd: '18.48', change_percent: '0' });
    // The title has a comma: it is quoted in the file and whole in the cell.
    expect(response.text).toContain(`"${json.title}"`);
    expect(records.filter((r) => r.section === 'project').map((r) => [r.name, Number(r.total_usd)])).toEqual(json.costByProject.map((p: { name: string; cost: { total: number } }) => [p.name, p.cost.total]));
    expect(records.filter((r) => r.section === 'virtualcluster').map((r) => r.name)).toEqual(['web-frontend', 'batch-jobs']);
    expect(records.filter((r) => r.section === 'day')).toHaveLength(1);
    expect(records.filter((r) => r.section === 'quota').map((r) => [r.name, r.quota_dimension, r.quota_used, r.quota_limit])).toEqual([
      [devEmail, 'virtualClusters', '1', '2'],
      [devEmail, 'cpu', '6', '12'],
      [devEmail, 'memoryMiB', '8192', '16384'],
      [devEmail, 'storageGiB', '4', '20'],
    ]);
    expect(records.filter((r) => r.section === 'idle').map((r) => Number(r.total_usd))).toEqual([0.024, 15.048]);
  });
});

describe('a report as a page', () => {
  let userDataDir: string;
  let context: BrowserContext | undefined;

  beforeAll(async () => {
    userDataDir = await mkdtemp(join(tmpdir(), 'palette-chromium-'));
  });
  afterAll(async () => {
    await context?.close();
    await rm(userDataDir, { recursive: true, force: true });
  });

  it('renders in headless Chromium with its charts, without a console error, a script or any request but its own', { timeout: 60_000 }, async () => {
    const id = idOf('daily', 1);
    const direct = await rt.admin.get(`/v1/reports/${id}`, { accept: 'text/html' });
    expect(direct.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(direct.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(direct.text).not.toMatch(/<script|<link rel="stylesheet"|@import|url\(|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);

    expect(existsSync(CHROMIUM), `${CHROMIUM} (Debian's chromium package, which .ci/run installs)`).toBe(true);
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      extraHTTPHeaders: { authorization: `Bearer ${rt.seeded.adminKey}` },
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('requestfailed', (request) => problems.push(`failed request: ${request.url()}`));
    page.on('request', (request) => requests.push(request.url()));
    // A browser asks for text/html first, as a person's would.
    const response = await page.goto(`${rt.url}/v1/reports/${id}`, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    expect(await page.title()).toBe((await rt.admin.get(`/v1/reports/${id}`)).body.title);
    const report = (await rt.admin.get(`/v1/reports/${id}`)).body;

    expect(await page.locator('svg.line-chart path.line').count()).toBe(1);
    expect(await page.locator('svg.line-chart circle').count()).toBe(report.costPerDay.length);
    expect(await page.locator('svg.bar-chart rect.bar').count()).toBe(report.costByProject.length);
    expect(await page.locator('svg.meters rect.fill').count()).toBe(4 * report.quotaUse.length);
    expect(await page.locator('table tbody tr').first().textContent()).toContain('web-frontend');
    for (const chart of await page.locator('svg.chart').all()) {
      const box = await chart.boundingBox();
      expect(box && box.width > 100 && box.height > 20).toBe(true);
    }
    const screenshot = await page.screenshot({ fullPage: true });
    expect(screenshot.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(screenshot.length).toBeGreaterThan(20_000);
    await mkdir(join('.palette', 'reports'), { recursive: true });
    await writeFile(join('.palette', 'reports', `${id}.png`), screenshot);

    // Printed, the charts are still there and the page fits on paper.
    await page.emulateMedia({ media: 'print' });
    for (const chart of await page.locator('svg.chart').all()) expect(await chart.isVisible()).toBe(true);
    const pdf = await page.pdf({ format: 'A4' });
    expect(pdf.subarray(0, 4).toString('latin1')).toBe('%PDF');

    expect(problems).toEqual([]);
    expect(requests).toEqual([`${rt.url}/v1/reports/${id}`]);

    // This month so far: the page says it is partial and as of when, above its totals.
    const partialId = monthlyId(firstOfMonth(0));
    const partial = (await rt.admin.get(`/v1/reports/${partialId}`)).body;
    await page.emulateMedia({ media: 'screen' });
    expect((await page.goto(`${rt.url}/v1/reports/${partialId}`, { waitUntil: 'load' }))?.status()).toBe(200);
    const banner = page.locator('header .partial');
    expect(await banner.isVisible()).toBe(true);
    expect(await banner.textContent()).toContain(`Partial, as of ${partial.asOf.replace('T', ' ').slice(0, 16)} UTC.`);
    expect(await page.locator('svg.line-chart circle').count()).toBe(partial.costPerDay.length);
    await writeFile(join('.palette', 'reports', `${partialId}.png`), await page.screenshot({ fullPage: true }));
    expect(problems).toEqual([]);
  });
});

/**
 * rollup-usage and the usage API. A day with known allocations (meters seeded into
 * DynamoDB with the day's times: a host, a virtual cluster resized, paused and resumed,
 * one created and deleted within the day, an app) gives exactly the core-hours and
 * costs worked out by hand below; re-running the rollup, and re-running the whole
 * window from scratch, changes none of the day's records; a live virtual cluster shows
 * the seconds since its create, and storage only once paused.
 */
import { DeleteCommand, GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureTable } from '#infra/local/runtime.ts';
import { createStore } from '#shared/store/client.ts';
import { newId } from '#shared/ids.ts';
import { keys } from '#shared/store/keys.ts';
import { meterItem } from '#shared/usage/meters.ts';
import { runJob } from '#shared/jobs/runner.ts';
import { rollupUsage } from '#shared/usage/rollup.ts';
import { startTestRuntime, until, type TestRuntime } from '../support/local-api.ts';
import { beehiveHosts, freshUser } from '../support/app-mode.ts';
import { seedMeters } from '../support/usage.ts';

let rt: TestRuntime;
let tenantId: string;
let hostsProject: string;
let appsProject: string;

const DAY = 86_400_000;
/** The day of the scenario: two days ago, so every hour of it is closed. */
const day = Math.floor(Date.now() / DAY) * DAY - 2 * DAY;
const at = (hh: number, mm = 0, ss = 0) => new Date(day + ((hh * 60 + mm) * 60 + ss) * 1000).toISOString();
const dayParam = (offsetDays = 0) => new Date(day + offsetDays * DAY).toISOString();
const hostId = newId('cluster');
const vcA = newId('virtualCluster');
const vcB = newId('virtualCluster');
const appId = newId('app');

const runRollup = async () => {
  const run = await rt.system.post('/v1/system/jobs/rollup-usage');
  expect(run.status, run.text).toBe(200);
  expect(run.body.summary.complete).toBe(true);
  return run.body;
};

/** Every usage record of the scenario's day, as stored. */
async function dayRecords() {
  const rows: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await rt.store.doc.send(new ScanCommand({ TableName: rt.store.tableName, ExclusiveStartKey: start, ConsistentRead: true }));
    for (const item of page.Items ?? []) {
      if (String(item.pk).startsWith('USAGE#') && String(item.start ?? '').startsWith(new Date(day).toISOString().slice(0, 10))) {
        rows.push(JSON.stringify(item, Object.keys(item).sort()));
      }
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return rows.sort();
}

beforeAll(async () => {
  rt = await startTestRuntime({ simSpeed: 20 });
  await beehiveHosts(rt);
  tenantId = (await rt.admin.get('/v1/me')).body.tenant.id;
  hostsProject = (await rt.admin.post('/v1/projects', { name: 'hand-hosts' })).body.id;
  appsProject = (await rt.admin.post('/v1/projects', { name: 'hand-apps' })).body.id;
  const host = { tenantId, projectId: hostsProject, clusterId: hostId };
  await seedMeters(rt.store, [
    // 2 × sim.large: 16 cores, 64 GiB, 400 GiB of volumes; $0.24 a node-hour, $0.05 the control plane, $0.0001 a GiB-hour.
    { kind: 'cluster', tenantId, projectId: hostsProject, id: hostId, name: 'hand-host', segments: [{ at: at(0), state: 'running', provider: 'sim', nodes: [{ instanceType: 'sim.large', count: 2 }] }] },
    {
      kind: 'virtualcluster', tenantId, projectId: appsProject, id: vcA, name: 'resized-and-paused', host, ownerId: 'usr_hand',
      segments: [
        { at: at(0), state: 'running', cpu: 4, memoryMiB: 8192, storageGiB: 10 },
        { at: at(6), state: 'running', cpu: 8, memoryMiB: 8192, storageGiB: 10 },
        { at: at(12), state: 'paused', cpu: 8, memoryMiB: 8192, storageGiB: 10 },
        { at: at(18), state: 'running', cpu: 8, memoryMiB: 8192, storageGiB: 10 },
      ],
    },
    {
      kind: 'virtualcluster', tenantId, projectId: appsProject, id: vcB, name: 'short-lived', host, ownerId: 'usr_hand',
      segments: [
        { at: at(10, 30), state: 'running', cpu: 4, memoryMiB: 4096, storageGiB: 2 },
        { at: at(11, 15), state: 'ended', cpu: 4, memoryMiB: 4096, storageGiB: 2 },
      ],
    },
    { kind: 'app', tenantId, projectId: appsProject, id: appId, name: 'shop', virtualClusterId: vcA, segments: [{ at: at(2), state: 'running', cpu: 1, memoryMiB: 1024, storageGiB: 5 }] },
    // Another tenant's forty clusters that day, so the meter lists have many pages.
    ...Array.from({ length: 40 }, (_, i) => ({
      kind: 'virtualcluster' as const, tenantId: 'tnt_other', projectId: 'prj_other', id: newId('virtualCluster'), name: `other-${i}`, ownerId: 'usr_other',
      segments: [{ at: at(i % 24), state: 'running' as const, cpu: 4, memoryMiB: 4096, storageGiB: 2 }, { at: dayParam(1), state: 'ended' as const, cpu: 4, memoryMiB: 4096, storageGiB: 2 }],
    })),
  ]);
  await runRollup();
});
afterAll(async () => {
  await rt?.stop();
});

const usage = (path: string) => rt.admin.get(path).then((r) => {
  expect(r.status, r.text).toBe(200);
  return r.body;
});
const itemOf = (body: { items: Array<{ key: string }> }, key: string) => body.items.find((i) => i.key === key) as any;

describe('a day of usage with known allocations', () => {
  it('gives each virtual cluster exactly the core-hours, GiB-hours and cost worked out by hand', async () => {
    const body = await usage(`/v1/projects/hand-apps/usage?from=${dayParam()}&to=${dayParam(1)}&groupBy=virtualcluster`);
    // A: 4 cores 00–06 (24), 8 cores 06–12 (48), paused 12–18 (0), 8 cores 18–24 (48) = 120 core-hours;
    //    8 GiB for the 18 running hours = 144 GiB-hours; 10 GiB all day = 240 GiB-hours.
    //    compute 120 × 0.02 + 144 × 0.0025 = 2.76; storage 240 × 0.0001 = 0.024; paused storage 6 × 10 × 0.0001 = 0.006.
    expect(itemOf(body, vcA)).toEqual({
      key: vcA, name: 'resized-and-paused', kind: 'virtualcluster', projectId: appsProject,
      cpuCoreHours: 120, memoryGiBHours: 144, storageGiBHours: 240,
      cost: { compute: 2.76, storage: 0.024, total: 2.784 }, idle: { compute: 0, storage: 0.006, total: 0.006 }, currency: 'USD',
    });
    // B: 45 minutes at 4 cores, 4 GiB, 2 GiB: 3 core-hours, 3 GiB-hours, 1.5 GiB-hours;
    //    compute 3 × 0.02 + 3 × 0.0025 = 0.0675; storage 1.5 × 0.0001 = 0.00015.
    expect(itemOf(body, vcB)).toMatchObject({
      cpuCoreHours: 3, memoryGiBHours: 3, storageGiBHours: 1.5, cost: { compute: 0.0675, storage: 0.00015, total: 0.06765 }, idle: { total: 0 },
    });
    expect(body.totals).toMatchObject({ cpuCoreHours: 123, cost: { compute: 2.8275, storage: 0.02415, total: 2.85165 } });
    expect(body).toMatchObject({ from: dayParam(), to: dayParam(1), groupBy: 'virtualcluster', step: null, currency: 'USD' });
  });

  it('charges a paused virtual cluster its storage only', async () => {
    const body = await usage(`/v1/projects/hand-apps/usage?from=${at(12)}&to=${at(18)}&groupBy=virtualcluster&step=hour`);
    const hours = body.items.filter((i: { key: string }) => i.key === vcA);
    expect(hours).toHaveLength(6);
    for (const hour of hours) {
      expect(hour).toMatchObject({ cpuCoreHours: 0, memoryGiBHours: 0, storageGiBHours: 10, cost: { compute: 0, storage: 0.001, total: 0.001 }, idle: { total: 0.001 } });
    }
    expect(hours.map((h: { start: string }) => h.start)).toEqual([12, 13, 14, 15, 16, 17].map((h) => at(h)));
  });

  it('integrates a window that starts and ends inside hours to the second', async () => {
    // B ran 10:30:00–11:15:00; the window 10:45:30–11:00:00 holds 870 s of it: 4 × 870 / 3600 core-hours.
    const body = await usage(`/v1/projects/hand-apps/usage?from=${at(10, 45, 30)}&to=${at(11)}&groupBy=virtualcluster`);
    expect(itemOf(body, vcB)).toMatchObject({ cpuCoreHours: Math.round(((4 * 870) / 3600) * 1e6) / 1e6, storageGiBHours: Math.round(((2 * 870) / 3600) * 1e6) / 1e6 });
    // The same window by day and by hour reads the same.
    const byHour = await usage(`/v1/projects/hand-apps/usage?from=${at(10, 45, 30)}&to=${at(11)}&groupBy=virtualcluster&step=hour`);
    expect(itemOf(byHour, vcB).cpuCoreHours).toBe(itemOf(body, vcB).cpuCoreHours);
  });

  it('charges an app its tiers\' requests within its virtual cluster: compute while it runs, storage while it exists', async () => {
    // Deployed 02:00: 10 + 6 running hours = 16 core-hours and 16 GiB-hours; 22 h × 5 GiB = 110 GiB-hours;
    // compute 16 × 0.02 + 16 × 0.0025 = 0.36, storage 110 × 0.0001 = 0.011, of which paused 6 × 5 × 0.0001 = 0.003.
    const body = await usage(`/v1/projects/hand-apps/usage?from=${dayParam()}&to=${dayParam(1)}&groupBy=app`);
    expect(body.items).toEqual([
      expect.objectContaining({ key: appId, name: 'shop', kind: 'app', cpuCoreHours: 16, memoryGiBHours: 16, storageGiBHours: 110, cost: { compute: 0.36, storage: 0.011, total: 0.371 }, idle: { compute: 0, storage: 0.003, total: 0.003 } }),
    ]);
  });

  it('costs the host its control plane, nodes and storage, and reports as idle what the allocations leave: idle plus allocations is the host\'s cost', async () => {
    const hosts = await usage(`/v1/projects/hand-hosts/usage?from=${dayParam()}&to=${dayParam(1)}&groupBy=cluster`);
    // (0.05 + 2 × 0.24) × 24 = 12.72 compute; 400 GiB × 0.0001 × 24 = 0.96 storage.
    const host = itemOf(hosts, hostId);
    expect(host).toMatchObject({ name: 'hand-host', cpuCoreHours: 384, memoryGiBHours: 1536, storageGiBHours: 9600, cost: { compute: 12.72, storage: 0.96, total: 13.68 } });
    // Idle: 12.72 − 2.8275 = 9.8925 compute, 0.96 − 0.02415 = 0.93585 storage.
    expect(host.idle).toEqual({ compute: 9.8925, storage: 0.93585, total: 10.82835 });
    const vcs = await usage(`/v1/projects/hand-apps/usage?from=${dayParam()}&to=${dayParam(1)}&groupBy=virtualcluster`);
    expect(Math.round((host.idle.total + vcs.totals.cost.total) * 1e6) / 1e6).toBe(host.cost.total);
  });

  it('rolls up per project and tenant: each project pays its virtual clusters and its own hosts\' idle capacity', async () => {
    const body = await usage(`/v1/usage?from=${dayParam()}&to=${dayParam(1)}&groupBy=project`);
    expect(itemOf(body, hostsProject)).toMatchObject({ name: 'hand-hosts', kind: 'project', cost: { total: 10.82835 }, idle: { total: 10.82835 } });
    expect(itemOf(body, appsProject)).toMatchObject({ name: 'hand-apps', kind: 'project', cost: { total: 2.85165 }, cpuCoreHours: 123 });
    // Every dollar of the host is counted once: the tenant's day costs what its host cost.
    expect(body.totals.cost.total).toBe(13.68);
    const byDay = await usage(`/v1/usage?from=${dayParam()}&to=${dayParam(1)}&step=day`);
    expect(byDay.items.map((i: { start: string }) => i.start)).toEqual([dayParam(), dayParam()]);
    expect(byDay.totals.cost.total).toBe(13.68);
    const byHour = await usage(`/v1/usage?from=${dayParam()}&to=${dayParam(1)}&step=hour`);
    expect(byHour.totals.cost.total).toBe(13.68);
    expect(byHour.items).toHaveLength(48);
  });

  it('writes the same records when it runs again, and when the whole window is rolled up again from scratch', async () => {
    const before = await dayRecords();
    expect(before.length).toBeGreaterThan(100);
    await runRollup();
    expect(await dayRecords()).toEqual(before);
    // Forget where the rollup stood: it starts over from the first meter and rewrites every record of the day.
    await rt.store.doc.send(new DeleteCommand({ TableName: rt.store.tableName, Key: keys.jobState('rollup-usage') }));
    const again = await runRollup();
    expect(again.summary.windows.length).toBeGreaterThanOrEqual(3);
    expect(await dayRecords()).toEqual(before);
    expect((await usage(`/v1/usage?from=${dayParam()}&to=${dayParam(1)}`)).totals.cost.total).toBe(13.68);
  });

  it('resumes where a bounded invocation stopped: a page per lane at a time, it takes many invocations and writes the same records', async () => {
    const before = await dayRecords();
    await rt.store.doc.send(new DeleteCommand({ TableName: rt.store.tableName, Key: keys.jobState('rollup-usage') }));
    let invocations = 0;
    let cutOff = 0;
    for (let complete = false; !complete; invocations++) {
      // As the scheduled function runs it, with a bound so tight that each invocation takes one page of two meters per lane.
      const run = await runJob(rt.store, 'rollup-usage', rollupUsage, { budgetMs: 0, pageSize: 2 });
      complete = run.summary.complete;
      if (!complete) cutOff++;
      expect(invocations).toBeLessThan(50);
    }
    // Three windows (two closed days and today), each cut off at least once before it finished.
    expect(cutOff).toBeGreaterThanOrEqual(3);
    expect(await dayRecords()).toEqual(before);
  });
});

describe('a live virtual cluster', () => {
  it('shows the seconds since its create once the rollup ran, storage only once paused, and a window that ended before a run reads the same after later runs', async () => {
    const dev = await freshUser(rt, 'live');
    const created = await dev.api.post('/v1/projects/default/virtualclusters', { name: 'live' });
    expect(created.status, created.text).toBe(202);
    const projectId = (await rt.admin.get('/v1/projects/default')).body.id as string;
    const meterOf = async () =>
      meterItem.parse((await rt.store.doc.send(new GetCommand({ TableName: rt.store.tableName, Key: keys.meter(tenantId, 'virtualcluster', created.body.id), ConsistentRead: true }))).Item);
    const startedAt = Date.parse((await meterOf()).segments[0]!.at);
    expect(Math.abs(startedAt - Date.parse(created.body.createdAt))).toBeLessThan(2000);
    await until('running', () => dev.api.get(`/v1/projects/default/virtualclusters/${created.body.id}`), (r) => r.body.status.phase === 'Running', 30_000);
    await new Promise((r) => setTimeout(r, 3_500));

    const first = await runRollup();
    const through = Date.parse(first.summary.rolledUpThrough);
    expect(through).toBeGreaterThan(startedAt);
    const window = `from=${new Date(startedAt - 60_000).toISOString()}&to=${new Date(through).toISOString()}`;
    const read = () => usage(`/v1/projects/default/usage?${window}`).then((b) => itemOf(b, created.body.id));
    const seconds = (through - startedAt) / 1000;
    const live = await read();
    expect(live).toMatchObject({ projectId, cpuCoreHours: Math.round(((4 * seconds) / 3600) * 1e6) / 1e6, storageGiBHours: Math.round(((2 * seconds) / 3600) * 1e6) / 1e6 });
    // The open hour is rolled up to the run and left open: it is not closed until a run past its end.
    const hour = new Date(Math.floor(through / 3_600_000) * 3_600_000).toISOString();
    const record = (await rt.store.doc.send(new GetCommand({ TableName: rt.store.tableName, Key: keys.usageOfResource(tenantId, projectId, 'virtualcluster', 'H', hour.slice(0, 13), created.body.id), ConsistentRead: true }))).Item;
    expect(record).toMatchObject({ start: hour, through: new Date(through).toISOString(), complete: false });
    expect(Date.parse(first.summary.closedThrough)).toBeLessThanOrEqual(Date.parse(hour));

    const paused = await dev.api.post(`/v1/projects/default/virtualclusters/${created.body.id}/pause`);
    expect(paused.status, paused.text).toBe(202);
    await until('paused', () => dev.api.get(`/v1/projects/default/virtualclusters/${created.body.id}`), (r) => r.body.status.phase === 'Paused', 30_000);
    const pausedAt = Date.parse((await meterOf()).segments.at(-1)!.at);
    expect((await meterOf()).segments.at(-1)!.state).toBe('paused');
    await new Promise((r) => setTimeout(r, 3_500));
    const second = await runRollup();
    const after = Date.parse(second.summary.rolledUpThrough);
    const sincePause = await usage(`/v1/projects/default/usage?from=${new Date(pausedAt).toISOString()}&to=${new Date(after).toISOString()}`);
    expect(itemOf(sincePause, created.body.id)).toMatchObject({
      cpuCoreHours: 0,
      memoryGiBHours: 0,
      storageGiBHours: Math.round(((2 * (after - pausedAt)) / 1000 / 3600) * 1e6) / 1e6,
      cost: { compute: 0 },
    });
    // The window read after the first run ended before the second: it reads the same.
    expect(await read()).toEqual(live);
  });
});

describe('meters past their retention', () => {
  it('are deleted by the rollup, while what can still accrue is rolled up, and an app without its cluster\'s meter accrues nothing', async () => {
    const store = createStore({ tableName: `test-expiry-${Date.now()}`, endpoint: inject('dynamoEndpoint') });
    await ensureTable(store);
    const now = Date.now();
    const iso = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString();
    // The rollup already stands an hour back, so this run is one window.
    await store.doc.send(new PutCommand({ TableName: store.tableName, Item: { ...keys.jobState('rollup-usage'), closedThrough: Math.floor(now / 3_600_000) * 3_600_000 - 3_600_000 } }));
    const gone = newId('virtualCluster');
    const live = newId('virtualCluster');
    const orphan = newId('app');
    await seedMeters(store, [
      { kind: 'virtualcluster', tenantId: 'tnt_x', projectId: 'prj_x', id: gone, name: 'gone', segments: [{ at: iso(now - 60 * DAY), state: 'running', cpu: 4, memoryMiB: 4096, storageGiB: 2 }, { at: iso(now - 50 * DAY), state: 'ended', cpu: 4, memoryMiB: 4096, storageGiB: 2 }] },
      { kind: 'virtualcluster', tenantId: 'tnt_x', projectId: 'prj_x', id: live, name: 'live', segments: [{ at: iso(now - 2 * DAY), state: 'running', cpu: 4, memoryMiB: 4096, storageGiB: 2 }] },
      { kind: 'app', tenantId: 'tnt_x', projectId: 'prj_x', id: orphan, name: 'orphan', virtualClusterId: newId('virtualCluster'), segments: [{ at: iso(now - 2 * DAY), state: 'running', cpu: 1, memoryMiB: 1024, storageGiB: 1 }] },
    ]);
    const run = await runJob(store, 'rollup-usage', rollupUsage, { budgetMs: 20_000 });
    expect(run.summary).toMatchObject({ complete: true, expiredMeters: 1 });
    const meterRow = (id: string, kind: 'virtualcluster' | 'app') => store.doc.send(new GetCommand({ TableName: store.tableName, Key: keys.meter('tnt_x', kind, id), ConsistentRead: true })).then((r) => r.Item);
    expect(await meterRow(gone, 'virtualcluster')).toBeUndefined();
    expect(await meterRow(live, 'virtualcluster')).toBeDefined();
    const records = await store.doc.send(new ScanCommand({ TableName: store.tableName, ConsistentRead: true }));
    const usageOf = (id: string) => (records.Items ?? []).filter((i) => i.type === 'usage' && i.resourceId === id);
    expect(usageOf(live).length).toBeGreaterThan(0);
    expect(usageOf(gone)).toEqual([]);
    expect(usageOf(orphan)).toEqual([]);
  });
});

describe('the usage API', () => {
  it('answers bad windows with 400 naming the field, and keeps the tenant view to tenant admins', async () => {
    const cases: Array<[string, string]> = [
      ['from=yesterday', 'query.from'],
      ['to=2026-13-45T00:00:00Z', 'query.to'],
      [`from=${dayParam(1)}&to=${dayParam()}`, 'query.to'],
      [`from=${dayParam(-40)}&to=${dayParam()}&step=hour`, 'query.step'],
      ['step=minute', 'query.step'],
      ['groupBy=project', 'query.groupBy'],
      [`from=${dayParam(-400)}&to=${dayParam()}`, 'query.from'],
    ];
    for (const [query, path] of cases) {
      const refused = await rt.admin.get(`/v1/projects/default/usage?${query}`);
      expect(refused.status, query).toBe(400);
      expect(refused.body.errors.map((e: { path: string }) => e.path), query).toContain(path);
    }
    const member = await freshUser(rt, 'member');
    expect((await member.api.get('/v1/projects/default/usage')).status).toBe(200);
    expect((await member.api.get('/v1/usage')).status).toBe(403);
    expect((await member.api.get('/v1/projects/hand-apps/usage')).status).toBe(404);
  });
});

/**
 * Sleep schedules (vCluster Platform's scheduled sleep and auto-delete): a virtual
 * cluster's `sleepSchedule` (five-field crons in an IANA time zone), `preventWake` and
 * `deleteAfterIdleDays`, set on create or by PATCH, applied by the scheduled job
 * enforce-quotas through the normal pause, resume and delete workflows, audited with
 * the job as the actor. The job runs with the real clock, so the schedules here are
 * ones whose answer does not depend on the hour: "asleep now" sleeps every minute and
 * wakes once a year, "awake now" the other way round.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '#shared/store/keys.ts';
import { getItem } from '#shared/store/table.ts';
import { virtualClusterItem } from '#shared/virtual-clusters/items.ts';
import { startTestRuntime, until, type ApiClient, type TestRuntime } from '../support/local-api.ts';
import { beehiveHosts, freshUser } from '../support/app-mode.ts';

let rt: TestRuntime;
let tenantId: string;
let projectId: string;
const base = '/v1/projects/default/virtualclusters';
const ASLEEP_NOW = { sleep: '* * * * *', wake: '0 0 1 1 *', timezone: 'Europe/Berlin' };
const AWAKE_NOW = { sleep: '0 0 1 1 *', wake: '* * * * *', timezone: 'America/New_York' };

beforeAll(async () => {
  rt = await startTestRuntime({ simSpeed: 50 });
  await beehiveHosts(rt);
  tenantId = (await rt.admin.get('/v1/me')).body.tenant.id;
  projectId = (await rt.admin.get('/v1/projects/default')).body.id;
});
afterAll(async () => {
  await rt?.stop();
});

interface SleepSummary {
  slept: Array<Record<string, unknown>>;
  woken: Array<Record<string, unknown>>;
  deleted: Array<Record<string, unknown>>;
}
const runJob = async (): Promise<{ paused: unknown[]; sleepSchedules: SleepSummary }> => {
  const response = await rt.system.post('/v1/system/jobs/enforce-quotas');
  expect(response.status, response.text).toBe(200);
  return response.body.summary;
};
const phase = (api: ApiClient, id: string, wanted: string) =>
  until(`virtual cluster ${id} ${wanted}`, () => api.get(`${base}/${id}`), (r) => r.body.status?.phase === wanted, 30_000);
const create = async (api: ApiClient, body: Record<string, unknown>) => {
  const created = await api.post(base, body);
  expect(created.status, created.text).toBe(202);
  await phase(api, created.body.id, 'Running');
  return created.body.id as string;
};
/** The item as stored (read without the API: a GET is activity). */
const stored = (id: string) => getItem(rt.store, keys.virtualCluster(tenantId, projectId, id), virtualClusterItem);
const setLastActivity = (id: string, daysAgo: number) =>
  rt.store.doc.send(
    new UpdateCommand({
      TableName: rt.store.tableName,
      Key: keys.virtualCluster(tenantId, projectId, id),
      UpdateExpression: 'SET lastActivityAt = :at',
      ExpressionAttributeValues: { ':at': new Date(Date.now() - daysAgo * 24 * 60 * 60_000).toISOString() },
    }),
  );
const auditOf = async (action: string, id: string) =>
  ((await rt.admin.get(`/v1/audit?actor=platform:enforce-quotas&action=${action}`)).body.items as Array<{ resourceId: string }>).filter((e) => e.resourceId === id);
const mentions = (summary: SleepSummary, id: string) => [...summary.slept, ...summary.woken, ...summary.deleted].filter((c) => c.virtualClusterId === id);

describe('bad sleep settings', () => {
  it('refuses a cron that is not five fields, a time zone that is not IANA and deleteAfterIdleDays out of 1–365 with 400 at their field paths, and writes nothing', async () => {
    const dev = await freshUser(rt, 'bad-sleep');
    const id = await create(dev.api, { name: 'target' });
    const before = await rt.snapshot();
    const cases: Array<[Record<string, unknown>, string[]]> = [
      [{ sleepSchedule: { sleep: '0 19 * *', wake: '0 8 * * *' } }, ['body.sleepSchedule.sleep']],
      [{ sleepSchedule: { sleep: '0 0 19 * * *', wake: '0 8 * * *' } }, ['body.sleepSchedule.sleep']],
      [{ sleepSchedule: { sleep: '0 19 * * *', wake: '0 8 * * *', timezone: 'Mars/Olympus' } }, ['body.sleepSchedule.timezone']],
      [{ sleepSchedule: { sleep: '0 19 * * *', timezone: 'UTC+2' } }, ['body.sleepSchedule.timezone']],
      [{ sleepSchedule: { sleep: '0 19 * * *', wake: '0 8 * *' } }, ['body.sleepSchedule.wake']],
      [{ sleepSchedule: { sleep: '61 19 * * *' } }, ['body.sleepSchedule.sleep']],
      [{ sleepSchedule: { sleep: '@daily' } }, ['body.sleepSchedule.sleep']],
      [{ sleepSchedule: { wake: '0 8 * * *' } }, ['body.sleepSchedule.sleep']],
      [{ deleteAfterIdleDays: 0 }, ['body.deleteAfterIdleDays']],
      [{ deleteAfterIdleDays: 400 }, ['body.deleteAfterIdleDays']],
      [{ preventWake: 'yes' }, ['body.preventWake']],
      // All at once: every problem, each at its path.
      [
        { sleepSchedule: { sleep: '0 19 * *', timezone: 'Mars/Olympus' }, deleteAfterIdleDays: 400 },
        ['body.sleepSchedule.sleep', 'body.sleepSchedule.timezone', 'body.deleteAfterIdleDays'],
      ],
    ];
    for (const [settings, paths] of cases) {
      for (const [what, response] of [
        ['create', await dev.api.post(base, { name: 'never', ...settings })],
        ['patch', await dev.api.patch(`${base}/${id}`, settings)],
      ] as const) {
        expect(response.status, `${what} ${JSON.stringify(settings)}: ${response.text}`).toBe(400);
        expect(response.body.code).toBe('validation_failed');
        expect(response.body.errors.map((e: { path: string }) => e.path).sort(), `${what} ${JSON.stringify(settings)}`).toEqual([...paths].sort());
      }
    }
    const empty = await dev.api.patch(`${base}/${id}`, {});
    expect(empty.status).toBe(400);
    expect(empty.body.errors.map((e: { path: string }) => e.path)).toEqual(['body']);
    expect(await rt.snapshot()).toEqual(before);
  });
});

describe('sleep settings on the API', () => {
  it('takes them on create, returns them on GET, and changes them alone with a PATCH that answers 200 with the resource, under If-Match, audited', async () => {
    const dev = await freshUser(rt, 'settings');
    const created = await dev.api.post(base, { name: 'scheduled', sleepSchedule: { sleep: '0 19 * * 1-5', wake: '0 8 * * 1-5', timezone: 'Europe/Berlin' }, deleteAfterIdleDays: 30 });
    expect(created.status, created.text).toBe(202);
    expect(created.body).toMatchObject({ sleepSchedule: { sleep: '0 19 * * 1-5', wake: '0 8 * * 1-5', timezone: 'Europe/Berlin' }, preventWake: false, deleteAfterIdleDays: 30 });
    const running = await phase(dev.api, created.body.id, 'Running');
    expect(running.body).toMatchObject({ sleepSchedule: { sleep: '0 19 * * 1-5', wake: '0 8 * * 1-5', timezone: 'Europe/Berlin' }, preventWake: false, deleteAfterIdleDays: 30 });

    // The time zone defaults to UTC, a wake may be left out.
    const stale = running.body.version as number;
    const patched = await dev.api.patch(`${base}/${created.body.id}`, { sleepSchedule: { sleep: '30 18 * * *' }, preventWake: true }, { 'if-match': `"${stale}"` });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body).toMatchObject({ id: created.body.id, version: stale + 1, sleepSchedule: { sleep: '30 18 * * *', timezone: 'UTC' }, preventWake: true, deleteAfterIdleDays: 30 });
    expect(patched.body.sleepSchedule.wake).toBeUndefined();
    expect(patched.body.status.phase).toBe('Running');
    expect(patched.body.operationId).toBe(created.body.operationId);
    expect(patched.headers.get('etag')).toBe(`"${stale + 1}"`);

    const again = await dev.api.patch(`${base}/${created.body.id}`, { preventWake: false }, { 'if-match': `"${stale}"` });
    expect(again.status).toBe(412);

    // null removes a setting.
    const removed = await dev.api.patch(`${base}/${created.body.id}`, { sleepSchedule: null, deleteAfterIdleDays: null });
    expect(removed.status, removed.text).toBe(200);
    expect(removed.body.sleepSchedule).toBeUndefined();
    expect(removed.body.deleteAfterIdleDays).toBeUndefined();
    expect(removed.body.preventWake).toBe(true);
    const got = await dev.api.get(`${base}/${created.body.id}`);
    expect(got.body).toMatchObject({ preventWake: true, version: stale + 2 });
    expect(got.body.sleepSchedule).toBeUndefined();

    // Both changes audited (and the refused one, as a failure).
    const audit = (await rt.admin.get(`/v1/audit?actor=${dev.id}&action=virtualcluster.resize`)).body.items as Array<{ resourceId: string; result: string; detail?: string }>;
    const mine = audit.filter((e) => e.resourceId === created.body.id);
    expect(mine.filter((e) => e.result === 'success').map((e) => e.detail).sort()).toEqual(['sleep settings: sleepSchedule, deleteAfterIdleDays', 'sleep settings: sleepSchedule, preventWake']);
    expect(mine.filter((e) => e.result !== 'success')).toHaveLength(1);
  });

  it('does a resize and the settings together: 202 with the operation, the settings written with it', async () => {
    const dev = await freshUser(rt, 'both');
    const id = await create(dev.api, { name: 'grow' });
    const both = await dev.api.patch(`${base}/${id}`, { resources: { cpu: 6 }, preventWake: true, deleteAfterIdleDays: 90 });
    expect(both.status, both.text).toBe(202);
    expect(both.body).toMatchObject({ resources: { cpu: 6 }, preventWake: true, deleteAfterIdleDays: 90, status: { phase: 'Provisioning' } });
    const done = await phase(dev.api, id, 'Running');
    expect(done.body).toMatchObject({ resources: { cpu: 6 }, preventWake: true, deleteAfterIdleDays: 90 });
  });
});

describe('the schedule, applied by enforce-quotas', () => {
  it('pauses a Running cluster whose schedule says asleep now through the pause workflow, audited by the job, and a second run changes nothing', async () => {
    const dev = await freshUser(rt, 'asleep');
    const id = await create(dev.api, { name: 'night', sleepSchedule: ASLEEP_NOW });
    const run = await runJob();
    expect(run.sleepSchedules.slept).toContainEqual(
      expect.objectContaining({ tenantId, projectId, virtualClusterId: id, name: 'night', event: 'sleep', cron: '* * * * *', timezone: 'Europe/Berlin', operationId: expect.stringMatching(/^op_/) }),
    );
    const entry = run.sleepSchedules.slept.find((c) => c.virtualClusterId === id)!;
    expect(Date.parse(String(entry.scheduledAt))).toBeLessThanOrEqual(Date.now());
    expect(Date.now() - Date.parse(String(entry.scheduledAt))).toBeLessThan(5 * 60_000);
    expect(run.paused).toEqual([]);
    await phase(dev.api, id, 'Paused');
    const operation = await dev.api.get(`/v1/operations/${String(entry.operationId)}`);
    expect(operation.body).toMatchObject({ kind: 'virtualcluster.pause', resourceId: id, status: 'Succeeded' });
    expect(await auditOf('virtualcluster.pause', id)).toEqual([expect.objectContaining({ resourceType: 'virtualcluster', projectId, result: 'success', detail: expect.stringContaining('sleep schedule') })]);

    const settled = await stored(id);
    const second = await runJob();
    expect(mentions(second.sleepSchedules, id)).toEqual([]);
    const after = await stored(id);
    expect(after).toMatchObject({ version: settled!.version, status: { phase: 'Paused' }, operationId: settled!.operationId });
    expect(await auditOf('virtualcluster.pause', id)).toHaveLength(1);
  });

  it('resumes a Paused cluster whose schedule says awake now, and does not count the platform\'s pause or resume as activity', async () => {
    const dev = await freshUser(rt, 'awake');
    const id = await create(dev.api, { name: 'morning' });
    expect((await dev.api.post(`${base}/${id}/pause`)).status).toBe(202);
    await phase(dev.api, id, 'Paused');
    expect((await dev.api.patch(`${base}/${id}`, { sleepSchedule: AWAKE_NOW })).status).toBe(200);
    const lastActivity = (await stored(id))!.lastActivityAt;

    const run = await runJob();
    expect(run.sleepSchedules.woken).toContainEqual(expect.objectContaining({ virtualClusterId: id, event: 'wake', cron: '* * * * *', timezone: 'America/New_York' }));
    await phase(dev.api, id, 'Running');
    expect(await auditOf('virtualcluster.resume', id)).toEqual([expect.objectContaining({ result: 'success' })]);
    // The GETs above are activity; the job's resume itself left lastActivityAt where the PATCH put it.
    expect(Date.parse((await stored(id))!.lastActivityAt)).toBeGreaterThanOrEqual(Date.parse(lastActivity));

    const settled = await stored(id);
    const second = await runJob();
    expect(mentions(second.sleepSchedules, id)).toEqual([]);
    expect((await stored(id))!.version).toBe(settled!.version);
  });

  it('keeps a cluster with preventWake paused when its schedule says awake; a manual resume still works', async () => {
    const dev = await freshUser(rt, 'prevent');
    const id = await create(dev.api, { name: 'stays-asleep', sleepSchedule: AWAKE_NOW, preventWake: true });
    expect((await dev.api.post(`${base}/${id}/pause`)).status).toBe(202);
    await phase(dev.api, id, 'Paused');

    for (let i = 0; i < 2; i++) {
      const run = await runJob();
      expect(mentions(run.sleepSchedules, id)).toEqual([]);
      expect((await stored(id))!.status.phase).toBe('Paused');
    }
    expect(await auditOf('virtualcluster.resume', id)).toEqual([]);

    const resumed = await dev.api.post(`${base}/${id}/resume`);
    expect(resumed.status, resumed.text).toBe(202);
    await phase(dev.api, id, 'Running');
  });

  it('applies each fire time once: a cluster the schedule paused and someone resumed by hand stays running until the schedule fires again', async () => {
    const dev = await freshUser(rt, 'by-hand');
    // Sleep only (no wake), once a year: its last fire time is last 1 January.
    const id = await create(dev.api, { name: 'yearly', sleepSchedule: { sleep: '0 0 1 1 *' } });
    const run = await runJob();
    expect(run.sleepSchedules.slept).toContainEqual(expect.objectContaining({ virtualClusterId: id, scheduledAt: `${new Date().getUTCFullYear()}-01-01T00:00:00.000Z` }));
    await phase(dev.api, id, 'Paused');
    expect((await dev.api.post(`${base}/${id}/resume`)).status).toBe(202);
    await phase(dev.api, id, 'Running');

    const second = await runJob();
    expect(mentions(second.sleepSchedules, id)).toEqual([]);
    expect((await stored(id))!.status.phase).toBe('Running');
  });
});

describe('deleteAfterIdleDays, applied by enforce-quotas', () => {
  it('deletes a Running and a Paused cluster idle that long through the delete workflow, audited by the job, and leaves one idle for less', async () => {
    const dev = await freshUser(rt, 'idle-delete');
    const other = await freshUser(rt, 'idle-keep');
    const running = await create(dev.api, { name: 'forgotten', deleteAfterIdleDays: 1 });
    const paused = await create(dev.api, { name: 'forgotten-paused', deleteAfterIdleDays: 7 });
    const recent = await create(other.api, { name: 'recent', deleteAfterIdleDays: 3 });
    expect((await dev.api.post(`${base}/${paused}/pause`)).status).toBe(202);
    await phase(dev.api, paused, 'Paused');
    // No activity since: two days, eight days (paused days count as idle), two days.
    await setLastActivity(running, 2);
    await setLastActivity(paused, 8);
    await setLastActivity(recent, 2);

    const run = await runJob();
    expect(run.sleepSchedules.deleted).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ tenantId, projectId, virtualClusterId: running, name: 'forgotten', idleDays: 2, deleteAfterIdleDays: 1, operationId: expect.stringMatching(/^op_/) }),
        expect.objectContaining({ virtualClusterId: paused, name: 'forgotten-paused', idleDays: 8, deleteAfterIdleDays: 7 }),
      ]),
    );
    expect(mentions(run.sleepSchedules, recent)).toEqual([]);
    for (const id of [running, paused]) {
      await until(`virtual cluster ${id} gone`, () => dev.api.get(`${base}/${id}`), (r) => r.status === 404, 30_000);
      expect(await auditOf('virtualcluster.delete', id)).toEqual([expect.objectContaining({ result: 'success', detail: expect.stringContaining('deleteAfterIdleDays') })]);
    }
    expect((await stored(recent))!.status.phase).toBe('Running');
    // The quota is given back once the deletions completed.
    expect((await dev.api.get('/v1/quotas')).body.used).toMatchObject({ virtualClusters: 0 });

    const second = await runJob();
    expect(second.sleepSchedules.deleted.filter((c) => [running, paused, recent].includes(String(c.virtualClusterId)))).toEqual([]);
  });
});

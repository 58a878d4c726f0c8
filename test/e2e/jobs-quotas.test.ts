/**
 * The scheduled job enforce-quotas, run on demand through the API as the platform
 * operator: counters that drifted are repaired from the virtual clusters that exist,
 * users over a lowered quota are listed and refused new clusters (nothing running is
 * destroyed), and idle virtual clusters are paused through the pause workflow, with
 * the platform named in the audit log. It ends where the data is: the counter rows in
 * DynamoDB and the control plane's StatefulSet on the host.
 */
import { AppsV1Api } from '@kubernetes/client-node';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '#shared/store/keys.ts';
import { namespaceOf } from '#shared/virtual-clusters/manifests.ts';
import { startTestRuntime, until, type ApiClient, type TestRuntime } from '../support/local-api.ts';
import { beehiveHosts, freshUser, hostKube, hostOf } from '../support/app-mode.ts';

let rt: TestRuntime;
let tenantId: string;
const base = '/v1/projects/default/virtualclusters';

beforeAll(async () => {
  rt = await startTestRuntime({ simSpeed: 20 });
  await beehiveHosts(rt);
  tenantId = (await rt.admin.get('/v1/me')).body.tenant.id;
});
afterAll(async () => {
  await rt?.stop();
});

const runJob = async (name: string) => {
  const response = await rt.system.post(`/v1/system/jobs/${name}`);
  expect(response.status, response.text).toBe(200);
  return response.body;
};
const running = (api: ApiClient, id: string) =>
  until(`virtual cluster ${id} Running`, () => api.get(`${base}/${id}`), (r) => r.body.status?.phase === 'Running', 30_000);
const counterRow = async (userId: string) =>
  (await rt.store.doc.send(new GetCommand({ TableName: rt.store.tableName, Key: keys.quotaUsage(tenantId, 'beehive', userId), ConsistentRead: true }))).Item;

describe('running a job on demand', () => {
  it('answers the system admin with the job\'s name, when it ran and what it did', async () => {
    const run = await runJob('enforce-quotas');
    expect(run.name).toBe('enforce-quotas');
    expect(Date.parse(run.endedAt)).toBeGreaterThanOrEqual(Date.parse(run.startedAt));
    expect(run.summary).toMatchObject({ complete: true, paused: [], repaired: [], overQuota: [] });
  });

  it('refuses a tenant admin with 403 and names an unknown job 404', async () => {
    const refused = await rt.admin.post('/v1/system/jobs/enforce-quotas');
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('forbidden');
    const unknown = await rt.system.post('/v1/system/jobs/make-coffee');
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('not_found');
  });
});

describe('the quota recount', () => {
  it('repairs a counter that drifted from the virtual clusters that exist, and lists it with before and after', async () => {
    const dev = await freshUser(rt, 'drift');
    const created = await dev.api.post(base, { name: 'drifting' });
    expect(created.status, created.text).toBe(202);
    // Something outside the transactions moved the counter (a bad manual edit, a restore).
    await rt.store.doc.send(
      new UpdateCommand({
        TableName: rt.store.tableName,
        Key: keys.quotaUsage(tenantId, 'beehive', dev.id),
        UpdateExpression: 'SET virtualClusters = :n, cpu = :cpu',
        ExpressionAttributeValues: { ':n': 7, ':cpu': 40 },
      }),
    );
    expect((await dev.api.get('/v1/quotas')).body.used).toEqual({ virtualClusters: 7, cpu: 40, memoryMiB: 4096, storageGiB: 2 });

    const run = await runJob('enforce-quotas');
    expect(run.summary.repaired).toEqual([
      { tenantId, userId: dev.id, before: { virtualClusters: 7, cpu: 40, memoryMiB: 4096, storageGiB: 2 }, after: { virtualClusters: 1, cpu: 4, memoryMiB: 4096, storageGiB: 2 } },
    ]);
    expect(await counterRow(dev.id)).toMatchObject({ virtualClusters: 1, cpu: 4, memoryMiB: 4096, storageGiB: 2 });
    expect((await dev.api.get('/v1/quotas')).body.used).toEqual({ virtualClusters: 1, cpu: 4, memoryMiB: 4096, storageGiB: 2 });
    const audit = await rt.admin.get('/v1/audit?actor=platform:enforce-quotas&action=quota.repair');
    expect(audit.body.items).toEqual([expect.objectContaining({ resourceType: 'quota', resourceId: dev.id, result: 'success' })]);

    // A second run finds nothing left to repair.
    expect((await runJob('enforce-quotas')).summary.repaired).toEqual([]);
  });

  it('lists a user over a lowered quota, refuses their next virtual cluster with quota_exceeded and stops nothing', async () => {
    const dev = await freshUser(rt, 'over');
    const big = await dev.api.post(base, { name: 'big', resources: { cpu: 8, memoryMiB: 8192, storageGiB: 4 } });
    expect(big.status, big.text).toBe(202);
    await running(dev.api, big.body.id);
    const lowered = await rt.admin.put('/v1/quotas', { virtualClusters: 2, cpu: 4, memoryMiB: 16384, storageGiB: 20 });
    expect(lowered.status, lowered.text).toBe(200);
    try {
      const refused = await dev.api.post(base, { name: 'one-more' });
      expect(refused.status).toBe(409);
      expect(refused.body.code).toBe('quota_exceeded');

      const run = await runJob('enforce-quotas');
      expect(run.summary.overQuota).toContainEqual({
        tenantId,
        userId: dev.id,
        used: { virtualClusters: 1, cpu: 8, memoryMiB: 8192, storageGiB: 4 },
        limits: { virtualClusters: 2, cpu: 4, memoryMiB: 16384, storageGiB: 20 },
        over: ['cpu'],
      });
      expect(run.summary.repaired).toEqual([]);
      const still = await dev.api.get(`${base}/${big.body.id}`);
      expect(still.body.status.phase).toBe('Running');
      expect(await counterRow(dev.id)).toMatchObject({ virtualClusters: 1, cpu: 8 });
    } finally {
      await rt.admin.put('/v1/quotas', { virtualClusters: 2, cpu: 12, memoryMiB: 16384, storageGiB: 20 });
    }
  });
});

describe('idle auto-pause', () => {
  it('pauses a virtual cluster idle past sleepAfterMinutes through the pause workflow, names the platform in the audit log, and leaves an active one running', async () => {
    const dev = await freshUser(rt, 'sleepy');
    const other = await freshUser(rt, 'awake');
    const idle = await dev.api.post(base, { name: 'idle', sleepAfterMinutes: 5 });
    const active = await dev.api.post(base, { name: 'active', sleepAfterMinutes: 5 });
    const optedOut = await other.api.post(base, { name: 'no-sleep' });
    for (const r of [idle, active, optedOut]) expect(r.status, r.text).toBe(202);
    await Promise.all([running(dev.api, idle.body.id), running(dev.api, active.body.id), running(other.api, optedOut.body.id)]);
    // Time passes for two of them: no activity for ten minutes, and for a day.
    const projectId = (await rt.admin.get('/v1/projects/default')).body.id as string;
    const setLastActivity = (id: string, minutesAgo: number) =>
      rt.store.doc.send(
        new UpdateCommand({
          TableName: rt.store.tableName,
          Key: keys.virtualCluster(tenantId, projectId, id),
          UpdateExpression: 'SET lastActivityAt = :at',
          ExpressionAttributeValues: { ':at': new Date(Date.now() - minutesAgo * 60_000).toISOString() },
        }),
      );
    await setLastActivity(idle.body.id, 10);
    await setLastActivity(optedOut.body.id, 24 * 60);

    const run = await runJob('enforce-quotas');
    expect(run.summary.paused).toEqual([
      expect.objectContaining({ tenantId, projectId, virtualClusterId: idle.body.id, name: 'idle', idleMinutes: 10, sleepAfterMinutes: 5, operationId: expect.stringMatching(/^op_/) }),
    ]);
    const paused = await until('idle cluster Paused', () => dev.api.get(`${base}/${idle.body.id}`), (r) => r.body.status.phase === 'Paused', 30_000);
    expect(paused.body.status.phase).toBe('Paused');
    const operation = await dev.api.get(`/v1/operations/${run.summary.paused[0].operationId}`);
    expect(operation.body).toMatchObject({ kind: 'virtualcluster.pause', resourceId: idle.body.id, status: 'Succeeded' });
    expect((await dev.api.get(`${base}/${active.body.id}`)).body.status.phase).toBe('Running');
    expect((await other.api.get(`${base}/${optedOut.body.id}`)).body.status.phase).toBe('Running');

    // On the host, the control plane is scaled to zero.
    const host = await hostOf(rt, tenantId, projectId, idle.body.id);
    const statefulSet = await (await hostKube(rt, host)).makeApiClient(AppsV1Api).readNamespacedStatefulSet({ name: 'idle', namespace: namespaceOf(idle.body.id) });
    expect(statefulSet.spec?.replicas).toBe(0);

    const audit = await rt.admin.get('/v1/audit?actor=platform:enforce-quotas&action=virtualcluster.pause');
    expect(audit.body.items).toEqual([expect.objectContaining({ resourceType: 'virtualcluster', resourceId: idle.body.id, projectId, result: 'success' })]);
    // Paused now, it is not paused again.
    expect((await runJob('enforce-quotas')).summary.paused).toEqual([]);
  });
});

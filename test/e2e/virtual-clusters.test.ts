/**
 * Virtual clusters through the HTTP API, ending where they leave the system: the
 * objects on the host (read with the host's own kubeconfig), the quota and host
 * counters in DynamoDB, and the operation records.
 */
import { AppsV1Api, CoreV1Api, NetworkingV1Api, type KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostClusterItem, type HostClusterItem } from '#shared/host-clusters/items.ts';
import { keys } from '#shared/store/keys.ts';
import { getItem } from '#shared/store/table.ts';
import { startTestRuntime, until, type ApiClient, type TestRuntime } from '../support/local-api.ts';
import { allocationsMatch, beehiveHosts, freshUser, hostKube, hostOf, namespaceExists } from '../support/app-mode.ts';

let rt: TestRuntime;
let hosts: HostClusterItem[];
const base = '/v1/projects/default/virtualclusters';

beforeAll(async () => {
  rt = await startTestRuntime({ simSpeed: 20 });
  hosts = await beehiveHosts(rt);
});
afterAll(async () => {
  await rt?.stop();
});

const phaseOf = (api: ApiClient, id: string) => api.get(`${base}/${id}`);
const reaches = (api: ApiClient, id: string, phase: string, timeoutMs = 30_000) =>
  until(`virtual cluster ${id} ${phase}`, () => phaseOf(api, id), (r) => r.status === 200 && r.body.status.phase === phase, timeoutMs);
const gone = (api: ApiClient, id: string) => until(`virtual cluster ${id} gone`, () => phaseOf(api, id), (r) => r.status === 404, 30_000);

describe('a virtual cluster in beehive, from create to delete', () => {
  let dev: { id: string; api: ApiClient };
  let id: string;
  let host: KubeConfig;
  let namespace: string;

  beforeAll(async () => {
    dev = await freshUser(rt, 'lifecycle');
  });

  it('is created with the default resources and starts provisioning at once', async () => {
    const created = await dev.api.post(base, { name: 'team-a' });
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({
      name: 'team-a',
      clusterGroupId: 'beehive',
      ownerId: dev.id,
      resources: { cpu: 4, memoryMiB: 4096, storageGiB: 2 },
      status: { phase: 'Provisioning' },
    });
    expect(hosts.map((h) => h.id)).toContain(created.body.hostClusterId);
    expect(created.body.operationId).toMatch(/^op_/);
    id = created.body.id;
  });

  it('runs once the control plane is ready, reachable at an address that is not localhost', async () => {
    const running = await reaches(dev.api, id, 'Running');
    expect(running.body.endpoint).toMatch(/^https:\/\//);
    expect(running.body.endpoint).not.toMatch(/localhost|127\.0\.0\.1(?![.\d])/);
    const operation = await dev.api.get(`/v1/operations/${running.body.operationId ?? (await dev.api.get(`${base}/${id}`)).body.operationId}`);
    expect(operation.body).toMatchObject({ kind: 'virtualcluster.create', resourceId: id, status: 'Succeeded' });
  });

  it('lives vcluster-style in its own namespace on the host, applied server-side', async () => {
    const hostItem = await hostOf(rt, (await rt.admin.get('/v1/me')).body.tenant.id, (await rt.admin.get('/v1/projects/default')).body.id, id);
    host = await hostKube(rt, hostItem);
    namespace = `vc-${id.slice(3).toLowerCase()}`;
    const core = host.makeApiClient(CoreV1Api);
    const quota = await core.readNamespacedResourceQuota({ name: 'vc-quota', namespace });
    expect(quota.spec?.hard).toMatchObject({ 'requests.cpu': '4', 'requests.memory': '4096Mi', 'requests.storage': '2Gi' });
    expect((await core.readNamespacedLimitRange({ name: 'vc-limits', namespace })).spec?.limits[0]?.max).toMatchObject({ cpu: '4' });
    expect((await host.makeApiClient(NetworkingV1Api).readNamespacedNetworkPolicy({ name: 'vc-isolation', namespace })).spec?.podSelector).toEqual({});
    await core.readNamespacedServiceAccount({ name: 'vc-team-a', namespace });
    await core.readNamespacedSecret({ name: 'vc-team-a', namespace });
    const statefulSet = await host.makeApiClient(AppsV1Api).readNamespacedStatefulSet({ name: 'team-a', namespace });
    expect(statefulSet.spec?.template.spec?.containers[0]?.image).toBe('ghcr.io/loft-sh/vcluster-oss:0.24.1');
    expect(statefulSet.spec?.volumeClaimTemplates?.[0]?.spec?.resources?.requests?.storage).toBe('2Gi');
    expect(statefulSet.metadata?.managedFields?.some((f) => f.manager === 'palette' && f.operation === 'Apply')).toBe(true);
  });

  it('counts in its owner\'s quota and its host\'s allocation', async () => {
    const quota = await dev.api.get('/v1/quotas');
    expect(quota.status).toBe(200);
    expect(quota.body).toMatchObject({
      clusterGroupId: 'beehive',
      limits: { virtualClusters: 2, cpu: 12, memoryMiB: 16384, storageGiB: 20 },
      used: { virtualClusters: 1, cpu: 4, memoryMiB: 4096, storageGiB: 2 },
    });
    await allocationsMatch(rt, hosts);
  });

  it('pauses: the control plane scaled to zero, its previous replicas kept; pausing again is invalid_state', async () => {
    const paused = await dev.api.post(`${base}/${id}/pause`);
    expect(paused.status).toBe(202);
    expect(paused.body.status.phase).toBe('Pausing');
    await reaches(dev.api, id, 'Paused');
    const statefulSet = await host.makeApiClient(AppsV1Api).readNamespacedStatefulSet({ name: 'team-a', namespace });
    expect(statefulSet.spec?.replicas).toBe(0);
    expect(statefulSet.metadata?.annotations?.['palette.dev/replicas-before-pause']).toBe('1');
    const again = await dev.api.post(`${base}/${id}/pause`);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('invalid_state');
    // A paused cluster still counts.
    expect((await dev.api.get('/v1/quotas')).body.used.virtualClusters).toBe(1);
  });

  it('resumes to Running with its replicas restored; resuming a running cluster is invalid_state', async () => {
    const resumed = await dev.api.post(`${base}/${id}/resume`);
    expect(resumed.status).toBe(202);
    expect(resumed.body.status.phase).toBe('Resuming');
    await reaches(dev.api, id, 'Running');
    const statefulSet = await host.makeApiClient(AppsV1Api).readNamespacedStatefulSet({ name: 'team-a', namespace });
    expect(statefulSet.spec?.replicas).toBe(1);
    expect(statefulSet.metadata?.annotations?.['palette.dev/replicas-before-pause']).toBeUndefined();
    const again = await dev.api.post(`${base}/${id}/resume`);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('invalid_state');
  });

  it('resizes within the quota: the host quota follows, and storage cannot shrink', async () => {
    const shrink = await dev.api.patch(`${base}/${id}`, { resources: { storageGiB: 1 } });
    expect(shrink.status).toBe(400);
    expect(shrink.body.errors.map((e: { path: string }) => e.path)).toContain('body.resources.storageGiB');
    const resized = await dev.api.patch(`${base}/${id}`, { resources: { cpu: 6, storageGiB: 4 } });
    expect(resized.status).toBe(202);
    expect(resized.body.resources).toEqual({ cpu: 6, memoryMiB: 4096, storageGiB: 4, gpu: 0 });
    await reaches(dev.api, id, 'Running');
    const quota = await host.makeApiClient(CoreV1Api).readNamespacedResourceQuota({ name: 'vc-quota', namespace });
    expect(quota.spec?.hard?.['requests.cpu']).toBe('6');
    expect((await dev.api.get('/v1/quotas')).body.used).toEqual({ virtualClusters: 1, cpu: 6, memoryMiB: 4096, storageGiB: 4 });
    await allocationsMatch(rt, hosts);
  });

  it('is deleted: its namespace leaves the host, then its quota and allocation are released', async () => {
    const deleted = await dev.api.delete(`${base}/${id}`);
    expect(deleted.status).toBe(202);
    expect(deleted.body.status.phase).toBe('Deleting');
    await gone(dev.api, id);
    expect(await namespaceExists(host, namespace)).toBe(false);
    expect((await dev.api.get('/v1/quotas')).body.used).toEqual({ virtualClusters: 0, cpu: 0, memoryMiB: 0, storageGiB: 0 });
    await allocationsMatch(rt, hosts);
  });
});

describe('requests that cannot be served write nothing', () => {
  it('refuses resources below the minimum or above the group limits with the field', async () => {
    const dev = await freshUser(rt, 'bounds');
    const small = await dev.api.post(base, { name: 'small', resources: { cpu: 2, memoryMiB: 4096, storageGiB: 2 } });
    expect(small.status).toBe(400);
    expect(small.body.errors).toEqual([{ path: 'body.resources.cpu', message: expect.stringContaining('at least 4') }]);
    const big = await dev.api.post(base, { name: 'big', resources: { cpu: 4, memoryMiB: 65536, storageGiB: 2 } });
    expect(big.status).toBe(400);
    expect(big.body.errors[0].path).toBe('body.resources.memoryMiB');
    const group = await dev.api.post(base, { name: 'nogroup', clusterGroupId: 'cg_01ARZ3NDEKTSV4RRFFQ69G5FAV' });
    expect(group.status).toBe(400);
    expect(group.body.errors[0].path).toBe('body.clusterGroupId');
    expect((await dev.api.get('/v1/quotas')).body.used.virtualClusters).toBe(0);
  });

  it('refuses a create over the quota with quota_exceeded', async () => {
    const dev = await freshUser(rt, 'over');
    const tooMuch = await dev.api.post(base, { name: 'greedy', resources: { cpu: 12, memoryMiB: 16384, storageGiB: 20 } });
    expect(tooMuch.status).toBe(202);
    const more = await dev.api.post(base, { name: 'greedy-2' });
    expect(more.status).toBe(409);
    expect(more.body.code).toBe('quota_exceeded');
    expect(more.body.detail).toMatch(/cpu: 12 used \+ 4 wanted would pass the limit of 12/);
    await reaches(dev.api, tooMuch.body.id, 'Running');
    await dev.api.delete(`${base}/${tooMuch.body.id}`);
    await gone(dev.api, tooMuch.body.id);
  });
});

describe('quotas hold under concurrency', () => {
  it('lets exactly 2 of 20 concurrent creates by one fresh user through, and every counter matches', async () => {
    const dev = await freshUser(rt, 'burst');
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => dev.api.post(base, { name: `burst-${i}` })));
    const accepted = results.filter((r) => r.status === 202);
    const refused = results.filter((r) => r.status === 409);
    expect(accepted).toHaveLength(2);
    expect(refused).toHaveLength(18);
    expect(new Set(refused.map((r) => r.body.code))).toEqual(new Set(['quota_exceeded']));
    expect((await dev.api.get('/v1/quotas')).body.used).toEqual({ virtualClusters: 2, cpu: 8, memoryMiB: 8192, storageGiB: 4 });
    await allocationsMatch(rt, hosts);
    const list = await dev.api.get(`${base}?limit=100`);
    expect(list.body.items.filter((vc: { ownerId: string }) => vc.ownerId === dev.id)).toHaveLength(2);
    // The group's allocation is the sum of its hosts'.
    const group = await dev.api.get('/v1/clustergroups/beehive');
    const current = await Promise.all(hosts.map((h) => getItem(rt.store, keys.cluster(h.tenantId, h.projectId, h.id), hostClusterItem)));
    expect(group.body.capacity.allocated).toEqual({
      virtualClusters: current.reduce((n, h) => n + h!.virtualClusters, 0),
      cpu: current.reduce((n, h) => n + h!.allocatedCpu, 0),
      memoryMiB: current.reduce((n, h) => n + h!.allocatedMemoryMiB, 0),
      storageGiB: current.reduce((n, h) => n + h!.allocatedStorageGiB, 0),
      gpu: 0,
    });
    for (const vc of accepted) await reaches(dev.api, vc.body.id, 'Running');

    // Concurrent resizes: each cluster may grow to 8 CPU, but 8 + 8 passes the 12 CPU quota.
    const [a, b] = accepted.map((r) => r.body.id as string);
    const resizes = await Promise.all(
      Array.from({ length: 10 }, (_, i) => dev.api.patch(`${base}/${i % 2 ? a : b}`, { resources: { cpu: 8 } })),
    );
    const grown = resizes.filter((r) => r.status === 202);
    expect(grown).toHaveLength(1);
    expect(resizes.filter((r) => r.status !== 202).every((r) => r.status === 409)).toBe(true);
    const used = (await dev.api.get('/v1/quotas')).body.used;
    expect(used).toEqual({ virtualClusters: 2, cpu: 12, memoryMiB: 8192, storageGiB: 4 });
    await allocationsMatch(rt, hosts);
    for (const vc of [a, b]) {
      await reaches(dev.api, vc!, 'Running');
      await dev.api.delete(`${base}/${vc}`);
    }
    for (const vc of [a, b]) await gone(dev.api, vc!);
    expect((await dev.api.get('/v1/quotas')).body.used).toEqual({ virtualClusters: 0, cpu: 0, memoryMiB: 0, storageGiB: 0 });
    await allocationsMatch(rt, hosts);
  });

  it('lets a tenant admin change the per-user limits, and holds new creates to them', async () => {
    const put = await rt.admin.put('/v1/quotas', { virtualClusters: 1, cpu: 8, memoryMiB: 8192, storageGiB: 10 });
    expect(put.status).toBe(200);
    expect(put.body.limits).toEqual({ virtualClusters: 1, cpu: 8, memoryMiB: 8192, storageGiB: 10 });
    const dev = await freshUser(rt, 'limited');
    const denied = await dev.api.put('/v1/quotas', { virtualClusters: 9, cpu: 99, memoryMiB: 99999, storageGiB: 99 });
    expect(denied.status).toBe(403);
    const results = await Promise.all([0, 1, 2].map((i) => dev.api.post(base, { name: `limited-${i}` })));
    expect(results.filter((r) => r.status === 202)).toHaveLength(1);
    const one = results.find((r) => r.status === 202)!.body.id;
    await reaches(dev.api, one, 'Running');
    await dev.api.delete(`${base}/${one}`);
    await gone(dev.api, one);
    const restored = await rt.admin.put('/v1/quotas', { virtualClusters: 2, cpu: 12, memoryMiB: 16384, storageGiB: 20 });
    expect(restored.status).toBe(200);
  });
});

describe('a failing host', () => {
  it('leaves the virtual cluster in Error with a message and its quota released; delete still works', async () => {
    const dev = await freshUser(rt, 'unlucky');
    const fault = (method: string, host: HostClusterItem) =>
      fetch(`${rt.simEndpoint}/clusters/${host.providerName}/fault`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: 'the host\'s API server stopped answering' }) });
    for (const host of hosts) expect((await fault('PUT', host)).status).toBe(200);
    try {
      const created = await dev.api.post(base, { name: 'doomed' });
      expect(created.status).toBe(202);
      const failed = await reaches(dev.api, created.body.id, 'Error');
      expect(failed.body.status.message).toMatch(/stopped answering/);
      const operation = await dev.api.get(`/v1/operations/${created.body.operationId}`);
      expect(operation.body).toMatchObject({ status: 'Failed', error: { message: expect.stringMatching(/stopped answering/) } });
      expect((await dev.api.get('/v1/quotas')).body.used).toEqual({ virtualClusters: 0, cpu: 0, memoryMiB: 0, storageGiB: 0 });
      await allocationsMatch(rt, hosts);
      const deleted = await dev.api.delete(`${base}/${created.body.id}`);
      expect(deleted.status).toBe(202);
      await gone(dev.api, created.body.id);
      await allocationsMatch(rt, hosts);
    } finally {
      for (const host of hosts) await fault('DELETE', host);
    }
  });
});

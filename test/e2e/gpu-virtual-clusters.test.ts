/**
 * GPUs from the host cluster to the virtual cluster, on the simulated cloud, entering
 * over HTTP and ending at the emulator's nodes, the host namespace's ResourceQuota and
 * the host's allocation counters in DynamoDB: a GPU host joins a new cluster group,
 * a virtual cluster asking for a GPU lands on it, one that does not fit is 409 and
 * writes nothing, and concurrent creates never hold more GPUs than the group has.
 */
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostClusterItem } from '#shared/host-clusters/items.ts';
import { keys } from '#shared/store/keys.ts';
import { getItem } from '#shared/store/table.ts';
import { startTestRuntime, until, type ApiClient, type TestRuntime } from '../support/local-api.ts';
import { hostKube } from '../support/app-mode.ts';

let rt: TestRuntime;
let api: ApiClient;
const base = '/v1/projects/default';

beforeAll(async () => {
  rt = await startTestRuntime({ simSpeed: 20 });
  api = rt.admin;
});
afterAll(async () => {
  await rt?.stop();
});

describe('GPU host clusters and virtual clusters', () => {
  let clusterId: string;
  let projectId: string;
  let groupId: string;

  beforeAll(async () => {
    projectId = (await api.get(base)).body.id;
    const account = await api.post(`${base}/cloudaccounts`, { name: 'sim-gpu', provider: 'sim', sim: { provisionSeconds: 2 } });
    const profile = await api.post(`${base}/clusterprofiles`, {
      name: 'sim-gpu', version: '1.0.0', cloud: 'sim', type: 'full',
      layers: [{ type: 'os', name: 'ubuntu', version: '22.04' }, { type: 'k8s', name: 'kubernetes', version: '1.31' }, { type: 'cni', name: 'calico', version: '3.28.0' }],
    });
    const created = await api.post(`${base}/clusters`, {
      name: 'gpu-host', cloudAccountId: account.body.id, region: 'sim-local-1', profileId: profile.body.id, hostCluster: { enabled: true },
      nodePools: [
        { name: 'general', instanceType: 'sim.large', count: 1 },
        { name: 'gpu', instanceType: 'sim.gpu.xlarge', count: 2, labels: { team: 'ml' } },
      ],
    });
    expect(created.status).toBe(202);
    clusterId = created.body.id;
    await until('GPU host Running', () => api.get(`${base}/clusters/${clusterId}`), (r) => r.body.status.phase === 'Running', 30_000);
  });

  it("lists sim.gpu.xlarge in the catalog and shows the host's GPUs in its capacity and pools", async () => {
    const catalog = await api.get('/v1/instancetypes?provider=sim');
    expect(catalog.status).toBe(200);
    expect(catalog.body.items).toContainEqual(expect.objectContaining({ name: 'sim.gpu.xlarge', cpu: 4, memoryMiB: 16384, gpu: { count: 1, model: 'sim-t4' }, pricePerHour: expect.any(Number) }));
    expect(catalog.body.items.every((t: { provider: string }) => t.provider === 'sim')).toBe(true);
    const all = await api.get('/v1/instancetypes');
    const providers = new Set(all.body.items.map((t: { provider: string }) => t.provider));
    expect([...providers].sort()).toEqual(['aks', 'eks', 'gke', 'sim', 'vsphere']);
    for (const gpuType of ['g5.xlarge', 'g6.xlarge', 'p4d.24xlarge', 'Standard_NC4as_T4_v3', 'Standard_ND96asr_v4', 'g2-standard-4', 'a2-highgpu-1g']) {
      const type = all.body.items.find((t: { name: string }) => t.name === gpuType);
      expect(type?.gpu?.count, gpuType).toBeGreaterThan(0);
      expect(type?.pricePerHour, gpuType).toBeGreaterThan(0);
    }
    expect((await api.get('/v1/instancetypes?provider=oracle')).status).toBe(400);

    const cluster = await api.get(`${base}/clusters/${clusterId}`);
    expect(cluster.body.capacity).toEqual({ cpu: 8 + 2 * 4, memoryMiB: 32768 + 2 * 16384, storageGiB: 200 + 2 * 100, gpu: 2 });
    const gpuPool = cluster.body.nodePools.find((p: { name: string }) => p.name === 'gpu');
    expect(gpuPool).toMatchObject({
      gpu: { count: 1, model: 'sim-t4' },
      labels: { team: 'ml', 'palette.dev/gpu-model': 'sim-t4' },
      taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }],
    });
  });

  it('gives the sim GPU nodes nvidia.com/gpu capacity, the GPU label and taint, and the pool labels', async () => {
    const host = await getItem(rt.store, keys.cluster(rt.seeded.tenantId, projectId, clusterId), hostClusterItem);
    const nodes = (await (await hostKube(rt, host!)).makeApiClient(CoreV1Api).listNode()).items;
    const gpuNodes = nodes.filter((n) => n.status?.capacity?.['nvidia.com/gpu'] === '1');
    expect(gpuNodes).toHaveLength(2);
    for (const node of gpuNodes) {
      expect(node.metadata?.labels).toMatchObject({ team: 'ml', 'palette.dev/gpu-model': 'sim-t4', 'node.kubernetes.io/instance-type': 'sim.gpu.xlarge' });
      expect(node.spec?.taints).toEqual([{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }]);
      expect(node.status?.allocatable).toMatchObject({ cpu: '4', memory: '16384Mi', 'nvidia.com/gpu': '1' });
    }
    const general = nodes.filter((n) => n.metadata?.labels?.['palette.dev/node-pool'] === 'general');
    expect(general).toHaveLength(1);
    expect(general[0]!.status?.capacity?.['nvidia.com/gpu']).toBeUndefined();
    expect(general[0]!.spec?.taints).toBeUndefined();
  });

  it('joins a new cluster group whose capacity counts its GPUs', async () => {
    const group = await api.post('/v1/clustergroups', { name: 'gpu-pool', hostClusters: [{ projectId, clusterId }] });
    expect(group.status).toBe(201);
    groupId = group.body.id;
    const read = await api.get(`/v1/clustergroups/${groupId}`);
    expect(read.body.capacity).toMatchObject({ gpu: 2, allocated: { gpu: 0 } });
    const beehive = await api.get('/v1/clustergroups/beehive');
    expect(beehive.body.capacity.gpu).toBe(0);
  });

  it('places a virtual cluster with gpu: 1 on the GPU host, with the GPU in its host ResourceQuota', async () => {
    const created = await api.post(`${base}/virtualclusters`, { name: 'trainer', clusterGroupId: groupId, resources: { cpu: 4, memoryMiB: 4096, storageGiB: 2, gpu: 1 } });
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({ hostClusterId: clusterId, resources: { gpu: 1 } });
    await until('trainer Running', () => api.get(`${base}/virtualclusters/${created.body.id}`), (r) => r.body.status.phase === 'Running', 30_000);
    const host = await getItem(rt.store, keys.cluster(rt.seeded.tenantId, projectId, clusterId), hostClusterItem);
    expect(host!.allocatedGpu).toBe(1);
    const namespace = `vc-${created.body.id.slice(3).toLowerCase()}`;
    const quota = await (await hostKube(rt, host!)).makeApiClient(CoreV1Api).readNamespacedResourceQuota({ name: 'vc-quota', namespace });
    expect(quota.spec?.hard?.['requests.nvidia.com/gpu']).toBe('1');
    expect((await api.get(`/v1/clustergroups/${groupId}`)).body.capacity.allocated.gpu).toBe(1);
    // A virtual cluster without GPUs gets a quota of none.
    const plain = await api.post(`${base}/virtualclusters`, { name: 'plain', clusterGroupId: groupId });
    expect(plain.body.resources.gpu).toBe(0);
    await until('plain Running', () => api.get(`${base}/virtualclusters/${plain.body.id}`), (r) => r.body.status.phase === 'Running', 30_000);
    const plainQuota = await (await hostKube(rt, host!)).makeApiClient(CoreV1Api).readNamespacedResourceQuota({ name: 'vc-quota', namespace: `vc-${plain.body.id.slice(3).toLowerCase()}` });
    expect(plainQuota.spec?.hard?.['requests.nvidia.com/gpu']).toBe('0');
  });

  it('refuses GPUs the group does not have free, and in beehive, with 409 and nothing written', async () => {
    const before = await rt.snapshot();
    const tooMany = await api.post(`${base}/virtualclusters`, { name: 'greedy', clusterGroupId: groupId, resources: { cpu: 4, memoryMiB: 4096, storageGiB: 2, gpu: 2 } });
    expect(tooMany.status).toBe(409);
    expect(tooMany.body.code).toBe('quota_exceeded');
    const beehive = await api.post(`${base}/virtualclusters`, { name: 'bee-gpu', resources: { cpu: 4, memoryMiB: 4096, storageGiB: 2, gpu: 1 } });
    expect(beehive.status).toBe(409);
    expect(beehive.body.code).toBe('quota_exceeded');
    expect(beehive.body.detail).toMatch(/no GPUs/);
    expect(await rt.snapshot()).toEqual(before);
    const fractional = await api.post(`${base}/virtualclusters`, { name: 'half', clusterGroupId: groupId, resources: { cpu: 4, memoryMiB: 4096, storageGiB: 2, gpu: 0.5 } });
    expect(fractional.status).toBe(400);
    expect(fractional.body.errors.map((e: { path: string }) => e.path)).toEqual(['body.resources.gpu']);
  });

  it('never holds more GPUs than the group has under 10 concurrent creates', async () => {
    const attempts = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        api.post(`${base}/virtualclusters`, { name: `race-${i}`, clusterGroupId: groupId, resources: { cpu: 4, memoryMiB: 4096, storageGiB: 2, gpu: 1 } }),
      ),
    );
    const accepted = attempts.filter((r) => r.status === 202);
    // One GPU was free (trainer holds the other): exactly one create gets it.
    expect(accepted).toHaveLength(1);
    expect(attempts.filter((r) => r.status === 409).map((r) => r.body.code)).toEqual(Array(9).fill('quota_exceeded'));
    const host = await getItem(rt.store, keys.cluster(rt.seeded.tenantId, projectId, clusterId), hostClusterItem);
    expect(host!.allocatedGpu).toBe(2);
    const group = await api.get(`/v1/clustergroups/${groupId}`);
    expect(group.body.capacity.allocated.gpu).toBeLessThanOrEqual(group.body.capacity.gpu);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, until, type TestRuntime, type ApiClient } from '../support/local-api.ts';

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


const addonManifest = `apiVersion: v1
kind: Namespace
metadata:
  name: monitoring
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: monitoring
data:
  retention: "{{ .spectro.var.retention }}"
`;

const profile = (version: string, k8s: string, retention = '7d') => ({
  name: 'sim-base',
  version,
  cloud: 'sim',
  type: 'full',
  layers: [
    { type: 'os', name: 'ubuntu', version: '22.04' },
    { type: 'k8s', name: 'kubernetes', version: k8s },
    { type: 'cni', name: 'calico', version: '3.28.0' },
    { type: 'addon', name: 'monitoring', version: '1.0.0', manifests: [{ name: 'monitoring', content: addonManifest }] },
  ],
  variables: [{ name: 'retention', format: 'string', default: retention, regex: '^[0-9]+d$' }],
});

describe('host cluster lifecycle on the simulated cloud', () => {
  let accountId: string;
  let failingAccountId: string;
  let v1: string;
  let v2: string;

  beforeAll(async () => {
    const account = await api.post(`${base}/cloudaccounts`, { name: 'sim-fast', provider: 'sim', sim: { provisionSeconds: 2 } });
    expect(account.status).toBe(201);
    accountId = account.body.id;
    const failing = await api.post(`${base}/cloudaccounts`, { name: 'sim-broken', provider: 'sim', sim: { provisionSeconds: 1, failProvisioning: true } });
    failingAccountId = failing.body.id;
    const p1 = await api.post(`${base}/clusterprofiles`, profile('1.0.0', '1.30'));
    expect(p1.status).toBe(201);
    v1 = p1.body.id;
    v2 = (await api.post(`${base}/clusterprofiles`, profile('1.1.0', '1.31', '14d'))).body.id;
  });

  it('creates, scales, upgrades and deletes a cluster, each step visible as phase and operation', async () => {
    const created = await api.post(`${base}/clusters`, {
      name: 'edge-1',
      cloudAccountId: accountId,
      region: 'sim-local-1',
      profileId: v1,
      variables: { retention: '30d' },
      nodePools: [{ name: 'workers', instanceType: 'sim.large', count: 2, min: 1, max: 5 }],
      hostCluster: { enabled: true },
    });
    expect(created.status).toBe(202);
    expect(created.body.status.phase).toBe('Provisioning');
    expect(created.body.operationId).toMatch(/^op_/);
    const id = created.body.id;

    const op = await until('create operation', () => api.get(`/v1/operations/${created.body.operationId}`), (r) => r.body.status !== 'Running');
    expect(op.body).toMatchObject({ kind: 'cluster.create', resourceId: id, status: 'Succeeded', endedAt: expect.any(String) });
    const running = await api.get(`${base}/clusters/${id}`);
    expect(running.body.status.phase).toBe('Running');
    expect(running.body.kubernetesVersion).toBe('1.30');
    expect(running.body.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);

    // The add-on layer was applied by server-side apply, with the cluster's variables.
    const kubeconfig = await api.get(`${base}/clusters/${id}/kubeconfig`);
    expect(kubeconfig.status).toBe(200);
    expect(kubeconfig.headers.get('content-type')).toContain('yaml');
    expect(kubeconfig.text).toMatch(/^apiVersion: v1\n/m);
    expect(kubeconfig.text).toContain('current-context:');
    const { KubeConfig, CoreV1Api } = await import('@kubernetes/client-node');
    const kc = new KubeConfig();
    kc.loadFromString(kubeconfig.text);
    const core = kc.makeApiClient(CoreV1Api);
    const settings = await core.readNamespacedConfigMap({ name: 'settings', namespace: 'monitoring' });
    expect(settings.data).toEqual({ retention: '30d' });

    const listed = await api.get(`${base}/clusters?phase=Running`);
    expect(listed.body.items.map((c: { id: string }) => c.id)).toContain(id);

    const scaled = await api.patch(`${base}/clusters/${id}/nodepools/workers`, { count: 4 });
    expect(scaled.status).toBe(202);
    expect(scaled.body.status.phase).toBe('Updating');
    const again = await api.patch(`${base}/clusters/${id}/nodepools/workers`, { count: 3 });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('invalid_state');
    await until('scale', () => api.get(`/v1/operations/${scaled.body.operationId}`), (r) => r.body.status === 'Succeeded');
    const afterScale = await api.get(`${base}/clusters/${id}`);
    expect(afterScale.body.status.phase).toBe('Running');
    expect(afterScale.body.nodePools[0].count).toBe(4);

    const outOfBounds = await api.patch(`${base}/clusters/${id}/nodepools/workers`, { count: 9 });
    expect(outOfBounds.status).toBe(400);
    expect((await api.patch(`${base}/clusters/${id}/nodepools/nope`, { count: 1 })).status).toBe(404);

    const older = await api.post(`${base}/clusterprofiles`, profile('0.9.0', '1.29'));
    const downgrade = await api.post(`${base}/clusters/${id}/upgrade`, { profileId: older.body.id });
    expect(downgrade.status).toBe(400);
    expect(downgrade.body.errors[0]).toMatchObject({ path: 'body.profileId', message: expect.stringContaining('older') });

    const upgraded = await api.post(`${base}/clusters/${id}/upgrade`, { profileId: v2 });
    expect(upgraded.status).toBe(202);
    expect(upgraded.body.status.phase).toBe('Updating');
    await until('upgrade', () => api.get(`/v1/operations/${upgraded.body.operationId}`), (r) => r.body.status === 'Succeeded');
    const afterUpgrade = await api.get(`${base}/clusters/${id}`);
    expect(afterUpgrade.body).toMatchObject({ profileId: v2, kubernetesVersion: '1.31', status: { phase: 'Running' } });
    // The cluster's own value survives the upgrade; the new default does not override it.
    expect(afterUpgrade.body.variables).toEqual({ retention: '30d' });

    const deleted = await api.delete(`${base}/clusters/${id}`);
    expect(deleted.status).toBe(202);
    expect(deleted.body.status.phase).toBe('Deleting');
    await until('delete', () => api.get(`/v1/operations/${deleted.body.operationId}`), (r) => r.body.status === 'Succeeded');
    expect((await api.get(`${base}/clusters/${id}`)).status).toBe(404);
    // The name is free again.
    const reused = await api.post(`${base}/clusters`, {
      name: 'edge-1', cloudAccountId: accountId, region: 'sim-local-1', profileId: v1,
      nodePools: [{ name: 'workers', instanceType: 'sim.small', count: 1 }],
    });
    expect(reused.status).toBe(202);
  });

  it('moves a cluster whose provisioning fails to Error with a message, and lets it be deleted', async () => {
    const created = await api.post(`${base}/clusters`, {
      name: 'doomed', cloudAccountId: failingAccountId, region: 'sim-local-1', profileId: v1,
      nodePools: [{ name: 'workers', instanceType: 'sim.small', count: 1 }],
    });
    expect(created.status).toBe(202);
    const op = await until('failed create', () => api.get(`/v1/operations/${created.body.operationId}`), (r) => r.body.status !== 'Running');
    expect(op.body.status).toBe('Failed');
    expect(op.body.error.message).toContain('simulated provisioning failure');
    const cluster = await api.get(`${base}/clusters/${created.body.id}`);
    expect(cluster.body.status).toEqual({ phase: 'Error', message: expect.stringContaining('simulated provisioning failure') });

    expect((await api.patch(`${base}/clusters/${created.body.id}/nodepools/workers`, { count: 2 })).status).toBe(409);
    const deleted = await api.delete(`${base}/clusters/${created.body.id}`);
    expect(deleted.status).toBe(202);
    await until('delete after error', () => api.get(`/v1/operations/${deleted.body.operationId}`), (r) => r.body.status !== 'Running');
    expect((await api.get(`${base}/clusters/${created.body.id}`)).status).toBe(404);
  });

  it('retries a cluster in Error in place when it is created again under the same name', async () => {
    const spec = { name: 'second-try', region: 'sim-local-1', profileId: v1, nodePools: [{ name: 'workers', instanceType: 'sim.small', count: 1 }] };
    const first = await api.post(`${base}/clusters`, { ...spec, cloudAccountId: failingAccountId });
    await until('first try', () => api.get(`/v1/operations/${first.body.operationId}`), (r) => r.body.status === 'Failed');
    const retry = await api.post(`${base}/clusters`, { ...spec, cloudAccountId: accountId });
    expect(retry.status).toBe(202);
    expect(retry.body.id).toBe(first.body.id);
    expect(retry.body.operationId).not.toBe(first.body.operationId);
    await until('retry', () => api.get(`/v1/operations/${retry.body.operationId}`), (r) => r.body.status === 'Succeeded');
    expect((await api.get(`${base}/clusters/${first.body.id}`)).body.status).toEqual({ phase: 'Running' });
    // A Running cluster's name is taken.
    expect((await api.post(`${base}/clusters`, { ...spec, cloudAccountId: accountId })).status).toBe(409);
  });

  it('keeps the deleted-after-error path clean', async () => {
    const created = await api.post(`${base}/clusters`, {
      name: 'doomed-2', cloudAccountId: failingAccountId, region: 'sim-local-1', profileId: v1,
      nodePools: [{ name: 'workers', instanceType: 'sim.small', count: 1 }],
    });
    await until('failed create', () => api.get(`/v1/operations/${created.body.operationId}`), (r) => r.body.status === 'Failed');
    const deleted = await api.delete(`${base}/clusters/${created.body.id}`);
    expect(deleted.status).toBe(202);
    await until('delete after error', () => api.get(`/v1/operations/${deleted.body.operationId}`), (r) => r.body.status !== 'Running');
    expect((await api.get(`${base}/clusters/${created.body.id}`)).status).toBe(404);
  });

  it('checks the profile against the account and the required variables', async () => {
    const eksOnly = await api.post(`${base}/clusterprofiles`, { ...profile('2.0.0', '1.31'), name: 'eks-only', cloud: 'eks' });
    const mismatch = await api.post(`${base}/clusters`, {
      name: 'wrong-cloud', cloudAccountId: accountId, region: 'sim-local-1', profileId: eksOnly.body.id,
      nodePools: [{ name: 'workers', instanceType: 'sim.small', count: 1 }],
    });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.errors[0].path).toBe('body.profileId');

    const strict = await api.post(`${base}/clusterprofiles`, {
      ...profile('3.0.0', '1.31'), name: 'strict',
      variables: [...profile('3.0.0', '1.31').variables, { name: 'owner', required: true }, { name: 'tier', required: true, regex: '^(gold|silver)$' }],
    });
    expect(strict.status).toBe(201);
    const missing = await api.post(`${base}/clusters`, {
      name: 'no-vars', cloudAccountId: accountId, region: 'sim-local-1', profileId: strict.body.id,
      nodePools: [{ name: 'workers', instanceType: 'sim.small', count: 1 }],
    });
    expect(missing.status).toBe(400);
    expect(missing.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['body.variables.owner', 'body.variables.tier']);
    expect((await api.get(`${base}/clusters?limit=100`)).body.items.map((c: { name: string }) => c.name)).not.toContain('no-vars');
  });

  it('imports a cluster by kubeconfig and groups Running host clusters', async () => {
    const source = await api.post(`${base}/clusters`, {
      name: 'host-a', cloudAccountId: accountId, region: 'sim-local-1', profileId: v1,
      nodePools: [{ name: 'workers', instanceType: 'sim.xlarge', count: 3 }], hostCluster: { enabled: true },
    });
    await until('host-a', () => api.get(`/v1/operations/${source.body.operationId}`), (r) => r.body.status === 'Succeeded');
    const kubeconfig = (await api.get(`${base}/clusters/${source.body.id}/kubeconfig`)).text;

    const imported = await api.post(`${base}/clusters/import`, { name: 'adopted', kubeconfig });
    expect(imported.status).toBe(202);
    await until('import', () => api.get(`/v1/operations/${imported.body.operationId}`), (r) => r.body.status === 'Succeeded');
    const adopted = await api.get(`${base}/clusters/${imported.body.id}`);
    expect(adopted.body).toMatchObject({ provider: 'imported', status: { phase: 'Running' } });

    const badImport = await api.post(`${base}/clusters/import`, { name: 'garbage', kubeconfig: 'not: [a kubeconfig' });
    expect(badImport.status).toBe(400);

    const refused = await api.post('/v1/clustergroups', { name: 'edge', hostClusters: [{ projectId: 'default', clusterId: imported.body.id }] });
    expect(refused.status).toBe(400);
    expect(refused.body.errors[0].message).toContain('hostCluster.enabled');

    const group = await api.post('/v1/clustergroups', {
      name: 'edge', hostClusters: [{ projectId: 'default', clusterId: source.body.id }],
      limits: { maxCpu: 8, maxMemoryMiB: 16384, maxStorageGiB: 50 },
    });
    expect(group.status).toBe(201);
    expect(group.body).toMatchObject({ oversubscriptionPercent: 120, endpointType: 'Ingress' });
    // 3 × sim.xlarge (16 CPU, 64 GiB, 400 GiB) at 120 %.
    expect(group.body.capacity).toMatchObject({ cpu: 57, memoryMiB: 235929, storageGiB: 1440 });
    const groups = await api.get('/v1/clustergroups');
    expect(groups.body.items.map((g: { id: string }) => g.id)).toEqual(['beehive', group.body.id]);
    // Page by page, beehive first, and never more than `limit`.
    const first = await api.get('/v1/clustergroups?limit=1');
    expect(first.body.items.map((g: { id: string }) => g.id)).toEqual(['beehive']);
    const second = await api.get(`/v1/clustergroups?limit=1&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((g: { id: string }) => g.id)).toEqual([group.body.id]);

    // Unlinking an imported cluster leaves nothing behind.
    const unlinked = await api.delete(`${base}/clusters/${imported.body.id}`);
    await until('unlink', () => api.get(`/v1/operations/${unlinked.body.operationId}`), (r) => r.body.status === 'Succeeded');
    expect((await api.get(`${base}/clusters/${source.body.id}`)).body.status.phase).toBe('Running');
  });
});

describe('what clusters use cannot be deleted from under them', () => {
  it('refuses to delete a cloud account or profile version while a cluster uses it', async () => {
    const account = await api.post(`${base}/cloudaccounts`, { name: 'in-use', provider: 'sim', sim: { provisionSeconds: 0 } });
    const used = await api.post(`${base}/clusterprofiles`, profile('9.0.0', '1.31'));
    const cluster = await api.post(`${base}/clusters`, {
      name: 'holder', cloudAccountId: account.body.id, region: 'sim-local-1', profileId: used.body.id,
      nodePools: [{ name: 'workers', instanceType: 'sim.small', count: 1 }],
    });
    expect(cluster.status).toBe(202);
    const accountDelete = await api.delete(`${base}/cloudaccounts/${account.body.id}`);
    expect(accountDelete.status).toBe(409);
    expect(accountDelete.body.code).toBe('invalid_state');
    expect((await api.delete(`${base}/clusterprofiles/${used.body.id}`)).status).toBe(409);
    await until('holder', () => api.get(`/v1/operations/${cluster.body.operationId}`), (r) => r.body.status === 'Succeeded');
    const gone = await api.delete(`${base}/clusters/${cluster.body.id}`);
    await until('holder deleted', () => api.get(`/v1/operations/${gone.body.operationId}`), (r) => r.body.status === 'Succeeded');
    expect((await api.delete(`${base}/cloudaccounts/${account.body.id}`)).status).toBe(204);
    expect((await api.delete(`${base}/clusterprofiles/${used.body.id}`)).status).toBe(204);
  });
});

describe('deleting a project', () => {
  it('is refused while it has host clusters and takes its cloud accounts and profiles with it', async () => {
    const project = await api.post('/v1/projects', { name: 'short-lived' });
    const path = `/v1/projects/${project.body.id}`;
    const account = await api.post(`${path}/cloudaccounts`, { name: 'sim', provider: 'sim', sim: { provisionSeconds: 0 } });
    const p = await api.post(`${path}/clusterprofiles`, profile('1.0.0', '1.31'));
    const cluster = await api.post(`${path}/clusters`, {
      name: 'tmp', cloudAccountId: account.body.id, region: 'sim-local-1', profileId: p.body.id,
      nodePools: [{ name: 'workers', instanceType: 'sim.small', count: 1 }],
    });
    await until('tmp', () => api.get(`/v1/operations/${cluster.body.operationId}`), (r) => r.body.status === 'Succeeded');
    const refused = await api.delete(path);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('invalid_state');

    const gone = await api.delete(`${path}/clusters/${cluster.body.id}`);
    await until('tmp deleted', () => api.get(`/v1/operations/${gone.body.operationId}`), (r) => r.body.status === 'Succeeded');
    expect((await api.delete(path)).status).toBe(204);

    const again = await api.post('/v1/projects', { name: 'short-lived' });
    const fresh = `/v1/projects/${again.body.id}`;
    expect((await api.get(`${fresh}/cloudaccounts`)).body.items).toEqual([]);
    // The old names are free in the new project.
    expect((await api.post(`${fresh}/cloudaccounts`, { name: 'sim', provider: 'sim' })).status).toBe(201);
    expect((await api.post(`${fresh}/clusterprofiles`, profile('1.0.0', '1.31'))).status).toBe(201);
  });
});

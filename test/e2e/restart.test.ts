import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startLocalRuntime, type LocalRuntime } from '#infra/local/runtime.ts';
import { apiClient, until } from '../support/local-api.ts';

const adminKey = 'plt_restart-test-admin-key-0123456789abcdefghijk';
let dataDir: string;
let runtime: LocalRuntime | undefined;

afterAll(async () => {
  await runtime?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});


describe('the local runtime across a restart', () => {
  it('keeps data, simulated clusters and their API servers, and finishes workflows the stop interrupted', { timeout: 120_000 }, async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'palette-restart-'));
    runtime = await startLocalRuntime({ dataDir, adminKey, seedBeehive: false });
    let api = apiClient(runtime.url, adminKey);
    const base = '/v1/projects/default';
    const account = await api.post(`${base}/cloudaccounts`, { name: 'slow-sim', provider: 'sim', sim: { provisionSeconds: 3 } });
    const profile = await api.post(`${base}/clusterprofiles`, {
      name: 'p', version: '1.0.0', cloud: 'sim', type: 'infra', layers: [{ type: 'k8s', name: 'kubernetes', version: '1.31' }],
    });
    const spec = { cloudAccountId: account.body.id, region: 'sim-local-1', profileId: profile.body.id, nodePools: [{ name: 'w', instanceType: 'sim.small', count: 1 }] };
    const done = await api.post(`${base}/clusters`, { name: 'done-before', ...spec });
    await until('the first cluster', () => api.get(`/v1/operations/${done.body.operationId}`), (r) => r.body.status === 'Succeeded', 30_000);
    const kubeconfigBefore = (await api.get(`${base}/clusters/${done.body.id}/kubeconfig`)).text;

    const interrupted = await api.post(`${base}/clusters`, { name: 'interrupted', ...spec });
    expect(interrupted.body.status.phase).toBe('Provisioning');
    await runtime.stop();

    runtime = await startLocalRuntime({ dataDir, adminKey, seedBeehive: false });
    api = apiClient(runtime.url, adminKey);
    const op = await until('the resumed workflow', () => api.get(`/v1/operations/${interrupted.body.operationId}`), (r) => r.body.status !== 'Running', 30_000);
    expect(op.body.status).toBe('Succeeded');
    expect((await api.get(`${base}/clusters/${interrupted.body.id}`)).body.status.phase).toBe('Running');

    // The earlier cluster's API server answers the same kubeconfig after the restart.
    expect((await api.get(`${base}/clusters/${done.body.id}/kubeconfig`)).text).toBe(kubeconfigBefore);
    const { KubeConfig, CoreV1Api } = await import('@kubernetes/client-node');
    const kc = new KubeConfig();
    kc.loadFromString(kubeconfigBefore);
    const namespaces = await kc.makeApiClient(CoreV1Api).listNamespace();
    expect(namespaces.items.map((n) => n.metadata?.name)).toContain('default');
  });
});

/**
 * Registries and Helm from the outside in: registries added over HTTP are asked
 * themselves (the local runtime's Helm repository, here requiring basic auth, and its
 * OCI side), and helm layers and tiers end as Flux objects in the clusters, which the
 * emulator's Flux reconciles against the same registry.
 */
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getItem } from '#shared/store/table.ts';
import { keys } from '#shared/store/keys.ts';
import { hostClusterItem } from '#shared/host-clusters/items.ts';
import { startTestRuntime, until, type ApiClient, type TestRuntime } from '../support/local-api.ts';
import { beehiveHosts, hostKube } from '../support/app-mode.ts';
import { KubeConfig as Config } from '@kubernetes/client-node';

const AUTH = { username: 'charts', password: 'chart-password' };
let rt: TestRuntime;
let api: ApiClient;
const base = '/v1/projects/default';
let localCharts: string;

beforeAll(async () => {
  rt = await startTestRuntime({ simSpeed: 50, chartRegistry: { auth: AUTH } });
  api = rt.admin;
  const listed = await api.get('/v1/registries');
  localCharts = listed.body.items.find((r: { name: string }) => r.name === 'local-charts').id;
}, 120_000);
afterAll(async () => {
  await rt?.stop();
});

const finished = (operationId: string) => until('operation', () => api.get(`/v1/operations/${operationId}`), (r) => r.body.status !== 'Running', 30_000);

describe('registries', () => {
  it('seeds local-charts and lists its chart and both versions, read from its index.yaml', async () => {
    const registry = await api.get(`/v1/registries/${localCharts}`);
    expect(registry.status).toBe(200);
    expect(registry.body).toMatchObject({ name: 'local-charts', type: 'helm', url: rt.chartRegistry!.url, authKind: 'basic', username: AUTH.username, secretSet: true });
    expect(JSON.stringify(registry.body)).not.toContain(AUTH.password);
    const charts = await api.get(`/v1/registries/${localCharts}/charts`);
    expect(charts.status, charts.text).toBe(200);
    expect(charts.body.items).toEqual([{ name: 'hello', versions: ['0.2.0', '0.1.0'] }]);
    const one = await api.get(`/v1/registries/${localCharts}/charts?name=nothing-here`);
    expect(one.body.items).toEqual([]);
  });

  it('refuses a wrong password at create, saying so at the password, and writes nothing', async () => {
    const before = await rt.snapshot();
    const wrong = await api.post('/v1/registries', { name: 'wrong', type: 'helm', url: rt.chartRegistry!.url, auth: { username: AUTH.username, password: 'not-it' } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors[0].path).toBe('body.auth.password');
    expect(wrong.body.errors[0].message).toContain('401');
    const anonymous = await api.post('/v1/registries', { name: 'anonymous', type: 'helm', url: rt.chartRegistry!.url });
    expect(anonymous.status).toBe(400);
    expect(await rt.snapshot()).toEqual(before);
  });

  it('adds the OCI side of the same registry with its token flow, and lists a chart\'s tags', async () => {
    const oci = await api.post('/v1/registries', { name: 'local-oci', type: 'oci', url: `oci://${rt.chartRegistry!.ociHost}/charts`, auth: AUTH });
    expect(oci.status, oci.text).toBe(201);
    const tags = await api.get(`/v1/registries/${oci.body.id}/charts?name=hello`);
    expect(tags.status, tags.text).toBe(200);
    expect(tags.body.items).toEqual([{ name: 'hello', versions: ['0.2.0', '0.1.0'] }]);
    const deleted = await api.delete(`/v1/registries/${oci.body.id}`);
    expect(deleted.status).toBe(204);
  });

  it('refuses URLs that are not https (loopback only in the local runtime), internal addresses and bad chart names', async () => {
    const cases: Array<[unknown, string]> = [
      [{ name: 'plain', type: 'helm', url: 'http://charts.example.com' }, 'body.url'],
      [{ name: 'internal', type: 'helm', url: 'https://169.254.169.254/latest' }, 'body.url'],
      [{ name: 'private', type: 'helm', url: 'https://10.1.2.3/charts' }, 'body.url'],
      [{ name: 'oci-as-https', type: 'oci', url: 'https://registry.example.com' }, 'body.url'],
      [{ name: 'creds-in-url', type: 'helm', url: 'https://user:pw@charts.example.com' }, 'body.url'],
    ];
    for (const [body, path] of cases) {
      const refused = await api.post('/v1/registries', body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(refused.body.errors[0].path).toBe(path);
    }
    const traversal = await api.get(`/v1/registries/${localCharts}/charts?name=${encodeURIComponent('../etc')}`);
    expect(traversal.status).toBe(400);
    expect(traversal.body.errors[0].path).toBe('query.name');
  });

  it('lets only a tenant admin add or delete a registry', async () => {
    const user = await api.post('/v1/users', { email: `reg-${Date.now()}@demo.local`, name: 'Reg', role: 'tenant.member' });
    const key = await api.post(`/v1/users/${user.body.id}/apikeys`, { name: 'k' });
    const member = rt.as(key.body.key);
    expect((await member.post('/v1/registries', { name: 'x', type: 'helm', url: rt.chartRegistry!.url })).status).toBe(403);
    expect((await member.get('/v1/registries')).status).toBe(200);
    expect((await member.delete(`/v1/registries/${localCharts}`)).status).toBe(403);
  });
});

describe('Helm as an app tier and as a cluster-profile layer', () => {
  let tierProfileId: string;

  it('refuses a chart version the registry does not have, at the tier\'s version', async () => {
    const missing = await api.post(`${base}/appprofiles`, { name: 'charted', version: '9.0.0', tiers: [{ name: 'hello', type: 'helm', registryId: localCharts, chart: 'hello', version: '9.9.9' }] });
    expect(missing.status).toBe(400);
    expect(missing.body.errors[0]).toMatchObject({ path: 'body.tiers.0.version' });
    expect(missing.body.errors[0].message).toContain('0.2.0');
    const noChart = await api.post(`${base}/appprofiles`, { name: 'charted', version: '9.0.1', tiers: [{ name: 'hello', type: 'helm', registryId: localCharts, chart: 'absent', version: '0.1.0' }] });
    expect(noChart.body.errors[0].path).toBe('body.tiers.0.chart');
    const traversal = await api.post(`${base}/appprofiles`, { name: 'charted', version: '9.0.2', tiers: [{ name: 'hello', type: 'helm', registryId: localCharts, chart: '../hello', version: '0.1.0' }] });
    expect(traversal.status).toBe(400);
    expect(traversal.body.errors[0].path).toBe('body.tiers.0.chart');
  });

  it('deploys a helm tier from local-charts as a HelmRelease that Flux makes Ready, and upgrades its chart version', async () => {
    await beehiveHosts(rt);
    const one = await api.post(`${base}/appprofiles`, { name: 'charted', version: '1.0.0', tiers: [{ name: 'hello', type: 'helm', registryId: localCharts, chart: 'hello', version: '0.1.0', values: { replicaCount: 2 } }] });
    expect(one.status, one.text).toBe(201);
    tierProfileId = one.body.id;
    const two = await api.post(`${base}/appprofiles`, { name: 'charted', version: '1.1.0', tiers: [{ name: 'hello', type: 'helm', registryId: localCharts, chart: 'hello', version: '0.2.0' }] });
    expect(two.status, two.text).toBe(201);
    const vc = await api.post(`${base}/virtualclusters`, { name: 'charted-vc' });
    expect(vc.status, vc.text).toBe(202);
    await finished(vc.body.operationId);
    const app = await api.post(`${base}/apps`, { name: 'hello-app', appProfileId: one.body.id, virtualClusterId: vc.body.id });
    expect(app.status, app.text).toBe(202);
    await finished(app.body.operationId);
    const deployed = await api.get(`${base}/apps/${app.body.id}`);
    expect(deployed.body.status, JSON.stringify(deployed.body.status)).toMatchObject({ phase: 'Deployed', tiers: [{ name: 'hello', phase: 'Ready' }] });

    const config = new Config();
    config.loadFromString((await api.get(`${base}/virtualclusters/${vc.body.id}/kubeconfig`)).text);
    const custom = config.makeApiClient(CustomObjectsApi);
    const release = (await custom.getNamespacedCustomObject({ group: 'helm.toolkit.fluxcd.io', version: 'v2', namespace: 'hello-app', plural: 'helmreleases', name: 'hello' })) as {
      spec: { chart: { spec: { chart: string; version: string; sourceRef: { kind: string; name: string } } }; values: Record<string, unknown> };
      status: { conditions: Array<{ type: string; status: string }> };
    };
    expect(release.spec.chart.spec).toMatchObject({ chart: 'hello', version: '0.1.0', sourceRef: { kind: 'HelmRepository' } });
    expect(release.spec.values).toEqual({ replicaCount: 2 });
    expect(release.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    const source = (await custom.getNamespacedCustomObject({ group: 'source.toolkit.fluxcd.io', version: 'v1', namespace: 'hello-app', plural: 'helmrepositories', name: release.spec.chart.spec.sourceRef.name })) as {
      spec: { url: string; secretRef?: { name: string } };
    };
    expect(source.spec.url).toBe(rt.chartRegistry!.url);
    expect(source.spec.secretRef?.name).toBeDefined();

    const upgraded = await api.post(`${base}/apps/${app.body.id}/upgrade`, { appProfileId: two.body.id });
    expect(upgraded.status, upgraded.text).toBe(202);
    await finished(upgraded.body.operationId);
    expect((await api.get(`${base}/apps/${app.body.id}`)).body.status.phase).toBe('Deployed');
    const after = (await custom.getNamespacedCustomObject({ group: 'helm.toolkit.fluxcd.io', version: 'v2', namespace: 'hello-app', plural: 'helmreleases', name: 'hello' })) as {
      spec: { chart: { spec: { version: string } } };
      status: { conditions: Array<{ type: string; status: string; reason: string }> };
    };
    expect(after.spec.chart.spec.version).toBe('0.2.0');
    expect(after.status.conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'UpgradeSucceeded' });
  }, 90_000);

  it('deploys a helm tier from an OCI registry as an OCIRepository the release takes its chart from', async () => {
    const oci = await api.post('/v1/registries', { name: 'oci-charts', type: 'oci', url: `oci://${rt.chartRegistry!.ociHost}/charts`, auth: AUTH });
    expect(oci.status, oci.text).toBe(201);
    const profile = await api.post(`${base}/appprofiles`, { name: 'oci-charted', version: '1.0.0', tiers: [{ name: 'hello', type: 'helm', registryId: oci.body.id, chart: 'hello', version: '0.2.0' }] });
    expect(profile.status, profile.text).toBe(201);
    const vc = (await api.get(`${base}/virtualclusters`)).body.items.find((v: { name: string }) => v.name === 'charted-vc');
    const app = await api.post(`${base}/apps`, { name: 'hello-oci', appProfileId: profile.body.id, virtualClusterId: vc.id });
    expect(app.status, app.text).toBe(202);
    await finished(app.body.operationId);
    expect((await api.get(`${base}/apps/${app.body.id}`)).body.status).toMatchObject({ phase: 'Deployed' });
    const config = new Config();
    config.loadFromString((await api.get(`${base}/virtualclusters/${vc.id}/kubeconfig`)).text);
    const custom = config.makeApiClient(CustomObjectsApi);
    const release = (await custom.getNamespacedCustomObject({ group: 'helm.toolkit.fluxcd.io', version: 'v2', namespace: 'hello-oci', plural: 'helmreleases', name: 'hello' })) as { spec: { chartRef: { kind: string; name: string } } };
    expect(release.spec.chartRef.kind).toBe('OCIRepository');
    const source = (await custom.getNamespacedCustomObject({ group: 'source.toolkit.fluxcd.io', version: 'v1beta2', namespace: 'hello-oci', plural: 'ocirepositories', name: release.spec.chartRef.name })) as {
      spec: { url: string; ref: { tag: string }; secretRef: { name: string } };
      status: { conditions: Array<{ type: string; status: string }> };
    };
    expect(source.spec).toMatchObject({ url: `oci://${rt.chartRegistry!.ociHost}/charts/hello`, ref: { tag: '0.2.0' } });
    expect(source.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
  }, 60_000);

  it('keeps a registry that a profile version uses from being deleted', async () => {
    const refused = await api.delete(`/v1/registries/${localCharts}`);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('invalid_state');
    expect((await api.get(`/v1/registries/${localCharts}`)).body.references).toBeGreaterThanOrEqual(2);
    expect(tierProfileId).toBeDefined();
  });

  it('applies a helm layer of a cluster profile on a new cluster, Running once its release is Ready', async () => {
    const account = await api.post(`${base}/cloudaccounts`, { name: 'helm-sim', provider: 'sim', sim: { provisionSeconds: 0 } });
    const missing = await api.post(`${base}/clusterprofiles`, {
      name: 'with-hello', version: '0.9.0', cloud: 'sim', type: 'full',
      layers: [{ type: 'k8s', name: 'kubernetes', version: '1.31' }, { type: 'helm', name: 'hello', version: '3.0.0', registryId: localCharts, chart: 'hello' }],
    });
    expect(missing.status).toBe(400);
    expect(missing.body.errors[0].path).toBe('body.layers.1.version');
    const profile = await api.post(`${base}/clusterprofiles`, {
      name: 'with-hello', version: '1.0.0', cloud: 'sim', type: 'full',
      layers: [{ type: 'k8s', name: 'kubernetes', version: '1.31' }, { type: 'helm', name: 'hello', version: '0.2.0', registryId: localCharts, chart: 'hello', values: 'replicaCount: 3\n' }],
    });
    expect(profile.status, profile.text).toBe(201);
    const cluster = await api.post(`${base}/clusters`, { name: 'helm-host', cloudAccountId: account.body.id, region: 'sim-local-1', profileId: profile.body.id, nodePools: [{ name: 'w', instanceType: 'sim.small', count: 1 }] });
    expect(cluster.status, cluster.text).toBe(202);
    const operation = await finished(cluster.body.operationId);
    expect(operation.body.status, JSON.stringify(operation.body)).toBe('Succeeded');
    expect(operation.body.steps.map((s: { name: string }) => s.name)).toContain('checkAddons');
    const item = await getItem(rt.store, keys.cluster(rt.seeded.tenantId, cluster.body.projectId, cluster.body.id), hostClusterItem);
    const kube: KubeConfig = await hostKube(rt, item!);
    const release = (await kube.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({ group: 'helm.toolkit.fluxcd.io', version: 'v2', namespace: 'palette-system', plural: 'helmreleases', name: 'hello' })) as {
      spec: { values: Record<string, unknown>; chart: { spec: { version: string } } };
      status: { conditions: Array<{ type: string; status: string }> };
    };
    expect(release.spec.chart.spec.version).toBe('0.2.0');
    expect(release.spec.values).toEqual({ replicaCount: 3 });
    expect(release.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
  }, 60_000);

  it('turns an app Error with Flux\'s reason when its chart version vanished from the registry after the profile was made', async () => {
    const profile = await api.post(`${base}/appprofiles`, { name: 'vanishing', version: '1.0.0', tiers: [{ name: 'hello', type: 'helm', registryId: localCharts, chart: 'hello', version: '0.1.0' }] });
    expect(profile.status, profile.text).toBe(201);
    rt.chartRegistry!.unpublish('hello', '0.1.0');
    try {
      const vc = (await api.get(`${base}/virtualclusters`)).body.items.find((v: { name: string }) => v.name === 'charted-vc');
      const app = await api.post(`${base}/apps`, { name: 'vanished', appProfileId: profile.body.id, virtualClusterId: vc.id });
      expect(app.status, app.text).toBe(202);
      await finished(app.body.operationId);
      const failed = await api.get(`${base}/apps/${app.body.id}`);
      expect(failed.body.status.phase).toBe('Error');
      expect(failed.body.status.tiers[0]).toMatchObject({ name: 'hello', phase: 'Error' });
      expect(failed.body.status.message).toContain("no 'hello' chart with version matching '0.1.0' found");
    } finally {
      await rt.chartRegistry!.publish('hello', '0.1.0');
    }
  }, 60_000);
});

/**
 * Apps through the HTTP API, ending in the virtual cluster: the objects each tier
 * applied, read with the virtual cluster's kubeconfig as the API hands it out.
 */
import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, until, type ApiClient, type TestRuntime } from '../support/local-api.ts';
import { beehiveHosts, freshUser } from '../support/app-mode.ts';

let rt: TestRuntime;
let dev: { id: string; api: ApiClient };
let vcId: string;
let vc: KubeConfig;
const project = '/v1/projects/default';

const shop = (version: string, tiers: unknown[]) => ({ name: 'shop', version, tiers });
const db = { name: 'db', type: 'database', engine: 'postgres', version: '16', storageGiB: 1 };
const web = (image = 'nginx:1.27') => ({
  name: 'web',
  type: 'container',
  image,
  port: 8080,
  replicas: 2,
  env: { DB_HOST: '{{tiers.db.HOST}}', DB_PORT: '{{tiers.db.PORT}}', DB_USER: '{{tiers.db.USERNAME}}', DB_PASSWORD: '{{tiers.db.PASSWORD}}', MODE: 'production' },
});
const cache = { name: 'cache', type: 'database', engine: 'redis', version: '7', storageGiB: 1 };

beforeAll(async () => {
  rt = await startTestRuntime({ simSpeed: 20 });
  await beehiveHosts(rt);
  dev = await freshUser(rt, 'apps');
  const created = await dev.api.post(`${project}/virtualclusters`, { name: 'apps-vc' });
  expect(created.status).toBe(202);
  vcId = created.body.id;
  await until('Running', () => dev.api.get(`${project}/virtualclusters/${vcId}`), (r) => r.body.status.phase === 'Running', 30_000);
  vc = new KubeConfig();
  vc.loadFromString((await dev.api.get(`${project}/virtualclusters/${vcId}/kubeconfig`)).text);
}, 90_000);
afterAll(async () => {
  await rt?.stop();
});

const appPhase = (id: string, phase: string) =>
  until(`app ${phase}`, () => dev.api.get(`${project}/apps/${id}`), (r) => r.status === 200 && r.body.status.phase === phase, 30_000);

describe('a two-tier app: postgres and a container that uses it', () => {
  let v1: string;
  let v2: string;
  let v3: string;
  let appId: string;

  beforeAll(async () => {
    const one = await dev.api.post(`${project}/appprofiles`, shop('1.0.0', [db, cache, web()]));
    expect(one.status, one.text).toBe(201);
    v1 = one.body.id;
    const two = await dev.api.post(`${project}/appprofiles`, shop('1.1.0', [db, web('nginx:1.28')]));
    expect(two.status, two.text).toBe(201);
    v2 = two.body.id;
  });

  it('is refused with the field when its values name a tier the profile lacks', async () => {
    const bad = await dev.api.post(`${project}/apps`, { name: 'shop', appProfileId: v1, virtualClusterId: vcId, values: { nope: { replicas: 2 } } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('body.values.nope');
  });

  it('deploys tier by tier to Deployed, every tier Ready', async () => {
    const created = await dev.api.post(`${project}/apps`, { name: 'shop', appProfileId: v1, virtualClusterId: vcId });
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({ name: 'shop', appProfileId: v1, virtualClusterId: vcId, revision: 1, status: { phase: 'Deploying' } });
    appId = created.body.id;
    const deployed = await appPhase(appId, 'Deployed');
    expect(deployed.body.status.tiers).toEqual([
      { name: 'db', phase: 'Ready' },
      { name: 'cache', phase: 'Ready' },
      { name: 'web', phase: 'Ready' },
    ]);
    expect(deployed.body.updateAvailable).toEqual({ appProfileId: v2, version: '1.1.0' });
  });

  it('resolves the database outputs: the host as text, the password only through a secretKeyRef', async () => {
    const apps = vc.makeApiClient(AppsV1Api);
    const deployment = await apps.readNamespacedDeployment({ name: 'web', namespace: 'shop' });
    const env = deployment.spec!.template.spec!.containers[0]!.env!;
    const byName = Object.fromEntries(env.map((e) => [e.name, e]));
    expect(byName.DB_HOST!.value).toMatch(/^db(\.shop(\.svc(\.cluster\.local)?)?)?$/);
    expect(byName.DB_PORT!.value).toBe('5432');
    expect(byName.MODE!.value).toBe('production');
    expect(byName.DB_PASSWORD!.value === undefined || /\$\(/.test(byName.DB_PASSWORD!.value)).toBe(true);
    const refs = env.filter((e) => e.valueFrom?.secretKeyRef);
    expect(refs.some((e) => e.valueFrom!.secretKeyRef!.name === 'db-credentials')).toBe(true);
    // No plain-text password anywhere in the Deployment.
    const secret = await vc.makeApiClient(CoreV1Api).readNamespacedSecret({ name: 'db-credentials', namespace: 'shop' });
    const password = Buffer.from(secret.data!.password!, 'base64').toString('utf8');
    expect(password.length).toBeGreaterThanOrEqual(24);
    expect(JSON.stringify(deployment)).not.toContain(password);
    const statefulSet = await apps.readNamespacedStatefulSet({ name: 'db', namespace: 'shop' });
    expect(statefulSet.spec?.volumeClaimTemplates?.[0]?.spec?.resources?.requests?.storage).toBe('1Gi');
  });

  it('cannot deploy or upgrade into a paused virtual cluster, and shows the pause in its status', async () => {
    await dev.api.post(`${project}/virtualclusters/${vcId}/pause`);
    await until('Paused', () => dev.api.get(`${project}/virtualclusters/${vcId}`), (r) => r.body.status.phase === 'Paused', 30_000);
    const paused = await dev.api.get(`${project}/apps/${appId}`);
    expect(paused.body.status.phase).toBe('Deployed');
    expect(paused.body.status.message).toMatch(/paused/);
    const refused = await dev.api.post(`${project}/apps/${appId}/upgrade`, { appProfileId: v2 });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('invalid_state');
    const another = await dev.api.post(`${project}/apps`, { name: 'other', appProfileId: v1, virtualClusterId: vcId });
    expect(another.status).toBe(409);
    expect(another.body.code).toBe('invalid_state');
    await dev.api.post(`${project}/virtualclusters/${vcId}/resume`);
    await until('Running', () => dev.api.get(`${project}/virtualclusters/${vcId}`), (r) => r.body.status.phase === 'Running', 30_000);
    const back = await dev.api.get(`${project}/apps/${appId}`);
    expect(back.body.status.message).toBeUndefined();
    // Everything it applied is still in the virtual cluster.
    await vc.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'web', namespace: 'shop' });
  });

  it('upgrades to a version that drops a tier: its objects go, the changed tier is re-applied, the unchanged one untouched', async () => {
    const apps = vc.makeApiClient(AppsV1Api);
    const dbBefore = await apps.readNamespacedStatefulSet({ name: 'db', namespace: 'shop' });
    const upgraded = await dev.api.post(`${project}/apps/${appId}/upgrade`, { appProfileId: v2 });
    expect(upgraded.status).toBe(202);
    expect(upgraded.body.revision).toBe(2);
    const done = await appPhase(appId, 'Deployed');
    expect(done.body).toMatchObject({ appProfileId: v2, profileVersion: '1.1.0', revision: 2, updateAvailable: null });
    expect(done.body.status.tiers.map((t: { name: string }) => t.name)).toEqual(['db', 'web']);
    await expect(apps.readNamespacedStatefulSet({ name: 'cache', namespace: 'shop' })).rejects.toMatchObject({ code: 404 });
    await expect(vc.makeApiClient(CoreV1Api).readNamespacedSecret({ name: 'cache-credentials', namespace: 'shop' })).rejects.toMatchObject({ code: 404 });
    const webAfter = await apps.readNamespacedDeployment({ name: 'web', namespace: 'shop' });
    expect(webAfter.spec!.template.spec!.containers[0]!.image).toBe('nginx:1.28');
    const dbAfter = await apps.readNamespacedStatefulSet({ name: 'db', namespace: 'shop' });
    expect(dbAfter.metadata!.resourceVersion).toBe(dbBefore.metadata!.resourceVersion);
    // The version it no longer uses can be deleted; the one it uses cannot.
    expect((await dev.api.delete(`${project}/appprofiles/${v1}`)).status).toBe(204);
    const inUse = await dev.api.delete(`${project}/appprofiles/${v2}`);
    expect(inUse.status).toBe(409);
  });

  it('upgrades only within its profile', async () => {
    const other = await dev.api.post(`${project}/appprofiles`, { name: 'blog', version: '1.0.0', tiers: [web()].map((t) => ({ ...t, env: { MODE: 'x' } })) });
    v3 = other.body.id;
    const refused = await dev.api.post(`${project}/apps/${appId}/upgrade`, { appProfileId: v3 });
    expect(refused.status).toBe(400);
    expect(refused.body.errors[0].path).toBe('body.appProfileId');
  });

  it('is deleted with everything it applied', async () => {
    const deleted = await dev.api.delete(`${project}/apps/${appId}`);
    expect(deleted.status).toBe(202);
    expect(deleted.body.status.phase).toBe('Deleting');
    await until('app gone', () => dev.api.get(`${project}/apps/${appId}`), (r) => r.status === 404, 30_000);
    await expect(vc.makeApiClient(CoreV1Api).readNamespace({ name: 'shop' })).rejects.toMatchObject({ code: 404 });
    expect((await dev.api.delete(`${project}/appprofiles/${v2}`)).status).toBe(204);
  });
});

describe('a failed tier', () => {
  it('marks the app Error with the tier\'s message, and a later deploy recovers it', async () => {
    const broken = await dev.api.post(`${project}/appprofiles`, {
      name: 'broken',
      version: '1.0.0',
      tiers: [{ name: 'bad', type: 'manifest', manifests: [{ name: 'm', content: 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n' }] }],
    });
    expect(broken.status, broken.text).toBe(201);
    const fixed = await dev.api.post(`${project}/appprofiles`, {
      name: 'broken',
      version: '1.0.1',
      tiers: [{ name: 'bad', type: 'manifest', manifests: [{ name: 'm', content: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: w\ndata:\n  a: b\n' }] }],
    });
    const created = await dev.api.post(`${project}/apps`, { name: 'broken', appProfileId: broken.body.id, virtualClusterId: vcId });
    expect(created.status).toBe(202);
    const failed = await appPhase(created.body.id, 'Error');
    expect(failed.body.status.tiers).toEqual([{ name: 'bad', phase: 'Error', message: expect.stringMatching(/Widget/) }]);
    const operation = await dev.api.get(`/v1/operations/${created.body.operationId}`);
    expect(operation.body.status).toBe('Failed');
    const retried = await dev.api.post(`${project}/apps/${created.body.id}/upgrade`, { appProfileId: fixed.body.id });
    expect(retried.status).toBe(202);
    const recovered = await appPhase(created.body.id, 'Deployed');
    expect(recovered.body.status.tiers).toEqual([{ name: 'bad', phase: 'Ready' }]);
    const map = await vc.makeApiClient(CoreV1Api).readNamespacedConfigMap({ name: 'w', namespace: 'broken' });
    expect(map.data).toEqual({ a: 'b' });
  });
});

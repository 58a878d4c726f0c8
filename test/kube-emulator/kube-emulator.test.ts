/**
 * Exercises the Kubernetes API emulator with the real @kubernetes/client-node over
 * HTTPS: discovery-driven KubernetesObjectApi calls, typed APIs, server-side apply,
 * optimistic concurrency, namespaces, selectors, auth, workload status simulation,
 * watch and persistence.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  Watch,
} from '@kubernetes/client-node';
import type { KubernetesObject, V1ConfigMap, V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startKubeEmulator } from '../../infra/local/kube-emulator/index.ts';
import type { EmulatedCluster, KubeEmulator } from '../../infra/local/kube-emulator/index.ts';

const READY_DELAY_MS = 150;

let emulator: KubeEmulator;
let cluster: EmulatedCluster;
let kc: KubeConfig;
let client: KubernetesObjectApi;
let core: CoreV1Api;
let apps: AppsV1Api;

beforeAll(async () => {
  emulator = await startKubeEmulator({ readyDelayMs: READY_DELAY_MS });
  cluster = emulator.createCluster('host-1');
  kc = cluster.kubeConfigObject();
  client = KubernetesObjectApi.makeApiClient(kc);
  core = kc.makeApiClient(CoreV1Api);
  apps = kc.makeApiClient(AppsV1Api);
});

afterAll(async () => {
  await emulator.stop();
});

interface StatusBody {
  kind?: string;
  reason?: string;
  code?: number;
  message?: string;
  details?: { name?: string; kind?: string; causes?: Array<{ field?: string }> };
}

/** Runs `call`, expecting a client-node ApiException carrying a Kubernetes Status. */
async function apiError(call: () => Promise<unknown>): Promise<{ code: number; status: StatusBody }> {
  try {
    await call();
  } catch (error) {
    const { code, body } = error as { code?: number; body?: unknown };
    if (typeof code !== 'number') throw error;
    const status = (typeof body === 'string' && body.startsWith('{') ? JSON.parse(body) : body ?? {}) as StatusBody;
    return { code, status };
  }
  throw new Error('expected the call to fail');
}

/** A plain HTTPS request to the emulated cluster, trusting only the emulator CA. */
function raw(
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
  token: string | null = cluster.token,
): Promise<{ code: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(
      `${cluster.server}${path}`,
      { method, ca: emulator.caPem, headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ code: response.statusCode ?? 0, body: text.startsWith('{') ? JSON.parse(text) : text });
        });
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

async function waitFor<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs}ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function createNamespace(name: string): Promise<void> {
  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

function deployment(name: string, namespace: string, replicas: number): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } },
    },
  };
}

describe('discovery and generic objects', () => {
  test('discovery documents describe the served kinds so KubernetesObjectApi can resolve them', async () => {
    const versions = await raw('GET', '/api');
    expect(versions.body).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const anonymous = await raw('GET', '/api/v1/namespaces', undefined, {}, null);
    expect(anonymous.code).toBe(403);
    expect((await raw('GET', '/version', undefined, {}, null)).code).toBe(200);
    expect((await raw('GET', '/api/v1/namespaces', undefined, {}, 'wrong')).body).toMatchObject({ reason: 'Unauthorized', code: 401 });
    expect((await raw('GET', '/apis/apps/v1/namespaces/default/widgets')).code).toBe(404);

    const coreResources = await core.getAPIResources();
    const byName = new Map(coreResources.resources.map((r) => [r.name, r]));
    expect(byName.get('namespaces')).toMatchObject({ kind: 'Namespace', namespaced: false });
    expect(byName.get('configmaps')).toMatchObject({ kind: 'ConfigMap', namespaced: true });
    for (const name of ['secrets', 'services', 'serviceaccounts', 'resourcequotas', 'limitranges', 'persistentvolumeclaims', 'pods']) {
      expect(byName.has(name), name).toBe(true);
    }
    const appsResources = await apps.getAPIResources();
    expect(appsResources.resources.map((r) => r.name)).toEqual(
      expect.arrayContaining(['deployments', 'deployments/status', 'deployments/scale', 'statefulsets']),
    );
    const version = await kc.makeApiClient((await import('@kubernetes/client-node')).VersionApi).getCode();
    expect(version.gitVersion).toBe('v1.33.1');
    const groups = await kc.makeApiClient((await import('@kubernetes/client-node')).ApisApi).getAPIVersions();
    expect(groups.groups.map((g) => g.name)).toEqual(
      expect.arrayContaining(['apps', 'networking.k8s.io', 'rbac.authorization.k8s.io']),
    );
  });

  test('KubernetesObjectApi creates, reads, patches and deletes namespaces, config maps and deployments', async () => {
    await createNamespace('crud');
    const ns = await client.read({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'crud' } });
    expect(ns.metadata?.uid).toBeTruthy();
    expect((ns as { status?: { phase?: string } }).status?.phase).toBe('Active');
    expect(ns.metadata?.labels?.['kubernetes.io/metadata.name']).toBe('crud');

    const created = await client.create<V1ConfigMap>({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings', namespace: 'crud' },
      data: { mode: 'a' },
    });
    expect(created.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);

    const patched = await client.patch<V1ConfigMap>(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'crud' }, data: { extra: 'b' } },
      undefined,
      undefined,
      undefined,
      undefined,
      PatchStrategy.MergePatch,
    );
    expect(patched.data).toEqual({ mode: 'a', extra: 'b' });
    expect(Number(patched.metadata?.resourceVersion)).toBeGreaterThan(Number(created.metadata?.resourceVersion));

    const dep = await client.create(deployment('web', 'crud', 1));
    expect(dep.metadata?.generation).toBe(1);
    const scaled = await client.patch<V1Deployment>(
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'crud' }, spec: { replicas: 3 } } as V1Deployment,
      undefined,
      undefined,
      undefined,
      undefined,
      PatchStrategy.StrategicMergePatch,
    );
    expect(scaled.spec?.replicas).toBe(3);
    expect(scaled.metadata?.generation).toBe(2);

    const list = await client.list<V1ConfigMap>('v1', 'ConfigMap', 'crud');
    expect(list.items.map((item) => item.metadata?.name).sort()).toEqual(['kube-root-ca.crt', 'settings']);

    const deleted = await client.delete({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'crud' } });
    expect(deleted.status).toBe('Success');
    const missing = await apiError(() => client.read({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'crud' } }));
    expect(missing.code).toBe(404);
    expect(missing.status).toMatchObject({ kind: 'Status', reason: 'NotFound', message: 'configmaps "settings" not found' });
    const again = await apiError(() => client.delete({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'crud' } }));
    expect(again.code).toBe(404);

    await client.delete({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'crud' } });
    expect((await apiError(() => apps.readNamespacedDeployment({ name: 'web', namespace: 'crud' }))).status.message).toBe(
      'deployments.apps "web" not found',
    );
  });

  test('errors come back as Status objects with the real reasons and codes', async () => {
    await createNamespace('errors');
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dup', namespace: 'errors' }, data: {} };
    await client.create(cm);
    const duplicate = await apiError(() => client.create(cm));
    expect(duplicate.code).toBe(409);
    expect(duplicate.status.reason).toBe('AlreadyExists');

    const noNamespace = await apiError(() =>
      client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'does-not-exist' } }),
    );
    expect(noNamespace.code).toBe(404);
    expect(noNamespace.status).toMatchObject({ reason: 'NotFound', message: 'namespaces "does-not-exist" not found' });

    const invalid = await apiError(() =>
      client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Not_Valid', namespace: 'errors' } }),
    );
    expect(invalid.code).toBe(422);
    expect(invalid.status.reason).toBe('Invalid');
    expect(invalid.status.details?.causes?.[0]?.field).toBe('metadata.name');

    const badDeployment = deployment('bad', 'errors', 1);
    badDeployment.spec!.template.metadata!.labels = { app: 'other' };
    const mismatch = await apiError(() => client.create(badDeployment));
    expect(mismatch.code).toBe(422);
    expect(mismatch.status.message).toContain('`selector` does not match template `labels`');
  });

  test('a replace with a stale resourceVersion is rejected with 409 Conflict', async () => {
    await createNamespace('concurrency');
    const first = await core.createNamespacedConfigMap({
      namespace: 'concurrency',
      body: { metadata: { name: 'cm' }, data: { v: '1' } },
    });
    const second = await core.replaceNamespacedConfigMap({
      name: 'cm',
      namespace: 'concurrency',
      body: { ...first, data: { v: '2' } },
    });
    expect(second.data?.v).toBe('2');
    const stale = await apiError(() =>
      core.replaceNamespacedConfigMap({ name: 'cm', namespace: 'concurrency', body: { ...first, data: { v: '3' } } }),
    );
    expect(stale.code).toBe(409);
    expect(stale.status.reason).toBe('Conflict');
    expect(stale.status.message).toContain('the object has been modified');
    const staleObjectApi = await apiError(() => client.replace({ ...first, apiVersion: 'v1', kind: 'ConfigMap', data: { v: '4' } }));
    expect(staleObjectApi.code).toBe(409);
  });
});

describe('server-side apply', () => {
  test('apply creates the object, a second identical apply keeps the resourceVersion, and dropped fields are removed', async () => {
    await createNamespace('ssa');
    const config: V1ConfigMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'applied', namespace: 'ssa', labels: { team: 'a', tier: 'web' } },
      data: { a: '1', b: '2' },
    };
    const first = await client.patch(config, undefined, undefined, 'palette', true, PatchStrategy.ServerSideApply);
    expect(first.metadata?.managedFields?.[0]).toMatchObject({ manager: 'palette', operation: 'Apply' });
    const second = await client.patch(config, undefined, undefined, 'palette', true, PatchStrategy.ServerSideApply);
    expect(second.metadata?.resourceVersion).toBe(first.metadata?.resourceVersion);

    const trimmed = await client.patch<V1ConfigMap>(
      { ...config, metadata: { ...config.metadata, labels: { team: 'a' } }, data: { a: '1' } },
      undefined,
      undefined,
      'palette',
      true,
      PatchStrategy.ServerSideApply,
    );
    expect(trimmed.data).toEqual({ a: '1' });
    expect(trimmed.metadata?.labels).toEqual({ team: 'a' });
  });

  test('every served kind can be applied, read back and deleted through KubernetesObjectApi', async () => {
    await createNamespace('kinds');
    const objects: KubernetesObject[] = [
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'robot', namespace: 'kinds' } },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'tls', namespace: 'kinds' }, type: 'Opaque', data: { a: 'YQ==' } } as KubernetesObject,
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'api', namespace: 'kinds' }, spec: { ports: [{ port: 80 }] } } as KubernetesObject,
      { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'limits', namespace: 'kinds' }, spec: { limits: [{ type: 'Container', default: { cpu: '500m' } }] } } as KubernetesObject,
      { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'quota', namespace: 'kinds' }, spec: { hard: { pods: '10', configmaps: '5', 'requests.cpu': '2' } } } as KubernetesObject,
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: 'kinds' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } } } as KubernetesObject,
      { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'deny-all', namespace: 'kinds' }, spec: { podSelector: {} } } as KubernetesObject,
      { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', namespace: 'kinds' }, spec: { rules: [{ host: 'app.example.com' }] } } as KubernetesObject,
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'reader', namespace: 'kinds' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] } as KubernetesObject,
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'reader', namespace: 'kinds' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' }, subjects: [{ kind: 'ServiceAccount', name: 'robot', namespace: 'kinds' }] } as KubernetesObject,
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'palette:tenant' }, rules: [] } as KubernetesObject,
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'palette:tenant' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'palette:tenant' }, subjects: [] } as KubernetesObject,
    ];
    for (const object of objects) {
      const applied = await client.patch(object, undefined, undefined, 'palette', true, PatchStrategy.ServerSideApply);
      expect(applied.metadata?.uid, object.kind).toBeTruthy();
      const read = await client.read({ apiVersion: object.apiVersion!, kind: object.kind!, metadata: { name: object.metadata!.name!, namespace: object.metadata?.namespace } });
      expect(read.metadata?.uid).toBe(applied.metadata?.uid);
    }
    const quota = await waitFor(
      () => core.readNamespacedResourceQuota({ name: 'quota', namespace: 'kinds' }),
      (q) => q.status?.used?.configmaps === '1',
    );
    expect(quota.status).toEqual({ hard: { pods: '10', configmaps: '5', 'requests.cpu': '2' }, used: { pods: '0', configmaps: '1', 'requests.cpu': '0' } });
    const claim = await waitFor(
      () => core.readNamespacedPersistentVolumeClaim({ name: 'data', namespace: 'kinds' }),
      (c) => c.status?.phase === 'Bound',
    );
    expect(claim.status?.capacity).toEqual({ storage: '5Gi' });
    for (const object of objects.reverse()) {
      await client.delete(object);
    }
    const clusterRoles = await client.list('rbac.authorization.k8s.io/v1', 'ClusterRole');
    expect(clusterRoles.items.map((r) => r.metadata?.name)).toEqual(['admin', 'cluster-admin', 'edit', 'view']);
  });

  test('applying an unchanged deployment manifest keeps its resourceVersion', async () => {
    await createNamespace('ssa-deploy');
    const manifest = deployment('steady', 'ssa-deploy', 2);
    await client.patch(manifest, undefined, undefined, 'palette', true, PatchStrategy.ServerSideApply);
    const ready = await waitFor(
      () => apps.readNamespacedDeployment({ name: 'steady', namespace: 'ssa-deploy' }),
      (d) => d.status?.readyReplicas === 2,
    );
    const reapplied = await client.patch(manifest, undefined, undefined, 'palette', true, PatchStrategy.ServerSideApply);
    expect(reapplied.metadata?.resourceVersion).toBe(ready.metadata?.resourceVersion);
    expect(reapplied.metadata?.generation).toBe(1);
    const changed = await client.patch<V1Deployment>(
      { ...manifest, spec: { ...manifest.spec!, replicas: 3 } },
      undefined,
      undefined,
      'palette',
      true,
      PatchStrategy.ServerSideApply,
    );
    expect(changed.metadata?.generation).toBe(2);
    expect(changed.spec?.replicas).toBe(3);
  });

  test('applying over a field owned by another manager conflicts unless forced', async () => {
    await createNamespace('ssa-conflict');
    const base: V1ConfigMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shared', namespace: 'ssa-conflict' }, data: { key: 'one' } };
    await client.patch(base, undefined, undefined, 'first', undefined, PatchStrategy.ServerSideApply);
    const conflicting = { ...base, data: { key: 'two' } };
    const conflict = await apiError(() => client.patch(conflicting, undefined, undefined, 'second', undefined, PatchStrategy.ServerSideApply));
    expect(conflict.code).toBe(409);
    expect(conflict.status.reason).toBe('Conflict');
    expect(conflict.status.message).toContain('conflict with "first"');
    const forced = await client.patch<V1ConfigMap>(conflicting, undefined, undefined, 'second', true, PatchStrategy.ServerSideApply);
    expect(forced.data?.key).toBe('two');

    const missingManager = await apiError(() => client.patch(base, undefined, undefined, undefined, undefined, PatchStrategy.ServerSideApply));
    expect(missingManager.code).toBe(422);
  });

  test('apply accepts a YAML body like kubectl sends', async () => {
    await createNamespace('ssa-yaml');
    const yamlBody = ['apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: from-yaml', 'data:', '  greeting: hello', ''].join('\n');
    const path = '/api/v1/namespaces/ssa-yaml/configmaps/from-yaml?fieldManager=kubectl&force=true';
    const created = await raw('PATCH', path, yamlBody, { 'Content-Type': 'application/apply-patch+yaml' });
    expect(created.code).toBe(201);
    expect(created.body).toMatchObject({ kind: 'ConfigMap', data: { greeting: 'hello' } });
    const again = await raw('PATCH', path, yamlBody, { 'Content-Type': 'application/apply-patch+yaml' });
    expect(again.code).toBe(200);
    expect((again.body as { metadata: { resourceVersion: string } }).metadata.resourceVersion).toBe(
      (created.body as { metadata: { resourceVersion: string } }).metadata.resourceVersion,
    );
  });
});

describe('namespaces, selectors and auth', () => {
  test('deleting a namespace deletes everything in it', async () => {
    await createNamespace('doomed');
    await core.createNamespacedConfigMap({ namespace: 'doomed', body: { metadata: { name: 'cm' } } });
    await core.createNamespacedSecret({ namespace: 'doomed', body: { metadata: { name: 's' }, stringData: { password: 'x' } } });
    await apps.createNamespacedDeployment({ namespace: 'doomed', body: deployment('api', 'doomed', 1) });
    await core.deleteNamespace({ name: 'doomed' });

    expect((await core.listNamespacedConfigMap({ namespace: 'doomed' })).items).toEqual([]);
    expect((await core.listNamespacedPod({ namespace: 'doomed' })).items).toEqual([]);
    expect((await apiError(() => core.readNamespacedSecret({ name: 's', namespace: 'doomed' }))).code).toBe(404);
    expect((await apiError(() => core.readNamespace({ name: 'doomed' }))).code).toBe(404);
    const protectedNs = await apiError(() => core.deleteNamespace({ name: 'default' }));
    expect(protectedNs.code).toBe(403);
  });

  test('an object with finalizers waits for them to be removed before it disappears', async () => {
    await createNamespace('finalizers');
    await core.createNamespacedConfigMap({
      namespace: 'finalizers',
      body: { metadata: { name: 'guarded', finalizers: ['palette.io/cleanup'] } },
    });
    await core.deleteNamespacedConfigMap({ name: 'guarded', namespace: 'finalizers' });
    const pending = await core.readNamespacedConfigMap({ name: 'guarded', namespace: 'finalizers' });
    expect(pending.metadata?.deletionTimestamp).toBeInstanceOf(Date);
    await core.patchNamespacedConfigMap({
      name: 'guarded',
      namespace: 'finalizers',
      body: [{ op: 'remove', path: '/metadata/finalizers' }],
    });
    expect((await apiError(() => core.readNamespacedConfigMap({ name: 'guarded', namespace: 'finalizers' }))).code).toBe(404);
  });

  test('label selectors filter lists with equality and set-based requirements', async () => {
    await createNamespace('selectors');
    const labelSets: Record<string, Record<string, string>> = {
      one: { a: 'b', e: 'x', f: 'yes' },
      two: { a: 'b', c: 'd', e: 'x', f: 'yes' },
      three: { a: 'b', e: 'z', f: 'yes' },
      four: { a: 'b', e: 'y' },
      five: { a: 'other', e: 'x', f: 'yes' },
    };
    for (const [name, labels] of Object.entries(labelSets)) {
      await core.createNamespacedConfigMap({ namespace: 'selectors', body: { metadata: { name, labels } } });
    }
    const names = async (labelSelector: string) =>
      (await core.listNamespacedConfigMap({ namespace: 'selectors', labelSelector })).items.map((i) => i.metadata?.name).sort();
    expect(await names('a=b,c!=d,e in (x,y),f')).toEqual(['one']);
    expect(await names('e notin (x),a==b')).toEqual(['four', 'three']);
    expect(await names('!f')).toEqual(['four', 'kube-root-ca.crt']);
    expect(await names('c')).toEqual(['two']);
    const viaObjectApi = await client.list('v1', 'ConfigMap', 'selectors', undefined, undefined, undefined, undefined, 'a=other');
    expect(viaObjectApi.items.map((i) => i.metadata?.name)).toEqual(['five']);
    const byField = await core.listNamespacedConfigMap({ namespace: 'selectors', fieldSelector: 'metadata.name=two' });
    expect(byField.items.map((i) => i.metadata?.name)).toEqual(['two']);
    const bad = await apiError(() => core.listNamespacedConfigMap({ namespace: 'selectors', labelSelector: 'a in b' }));
    expect(bad.code).toBe(400);
  });

  test('a wrong token is rejected with 401 and clusters are isolated from each other', async () => {
    const wrong = new KubeConfig();
    wrong.loadFromString(cluster.kubeconfig().replace(cluster.token, 'not-the-token'));
    const denied = await apiError(() => wrong.makeApiClient(CoreV1Api).listNamespace());
    expect(denied.code).toBe(401);

    const other = emulator.createCluster('vcluster-1', { kubernetesVersion: 'v1.31.4' });
    const otherCore = other.kubeConfigObject().makeApiClient(CoreV1Api);
    await otherCore.createNamespace({ body: { metadata: { name: 'only-in-vcluster' } } });
    expect((await apiError(() => core.readNamespace({ name: 'only-in-vcluster' }))).code).toBe(404);
    const crossToken = new KubeConfig();
    crossToken.loadFromString(other.kubeconfig().replace(other.token, cluster.token));
    expect((await apiError(() => crossToken.makeApiClient(CoreV1Api).listNamespace())).code).toBe(401);
    expect(emulator.createCluster('vcluster-1').token).toBe(other.token);
    expect(await emulator.deleteCluster('vcluster-1')).toBe(true);
    await expect(otherCore.listNamespace()).rejects.toThrow();
  });
});

describe('workload status simulation', () => {
  test('a deployment becomes ready after the delay and scaling to zero reports zero at once', async () => {
    await createNamespace('workloads');
    const created = await apps.createNamespacedDeployment({ namespace: 'workloads', body: deployment('web', 'workloads', 2) });
    const immediately = await apps.readNamespacedDeployment({ name: 'web', namespace: 'workloads' });
    expect(immediately.status?.readyReplicas ?? 0).toBe(0);
    expect(created.metadata?.generation).toBe(1);

    const ready = await waitFor(
      () => apps.readNamespacedDeployment({ name: 'web', namespace: 'workloads' }),
      (d) => d.status?.readyReplicas === 2,
    );
    expect(ready.status).toMatchObject({ replicas: 2, readyReplicas: 2, availableReplicas: 2, updatedReplicas: 2, observedGeneration: 1 });
    const pods = await core.listNamespacedPod({ namespace: 'workloads', labelSelector: 'app=web' });
    expect(pods.items).toHaveLength(2);
    expect(pods.items.every((pod) => pod.status?.phase === 'Running')).toBe(true);

    // The typed patch call defaults to JSON patch.
    await apps.patchNamespacedDeployment({
      name: 'web',
      namespace: 'workloads',
      body: [{ op: 'replace', path: '/spec/replicas', value: 0 }],
    });
    const scaledDown = await apps.readNamespacedDeployment({ name: 'web', namespace: 'workloads' });
    expect(scaledDown.spec?.replicas).toBe(0);
    expect(scaledDown.status?.observedGeneration).toBe(2);
    expect(scaledDown.status?.replicas ?? 0).toBe(0);
    expect(scaledDown.status?.readyReplicas ?? 0).toBe(0);
    expect((await core.listNamespacedPod({ namespace: 'workloads', labelSelector: 'app=web' })).items).toHaveLength(0);

    const scale = await apps.replaceNamespacedDeploymentScale({
      name: 'web',
      namespace: 'workloads',
      body: { metadata: { name: 'web', namespace: 'workloads' }, spec: { replicas: 1 } },
    });
    expect(scale.spec?.replicas).toBe(1);
    await waitFor(
      () => apps.readNamespacedDeployment({ name: 'web', namespace: 'workloads' }),
      (d) => d.status?.readyReplicas === 1 && d.status.observedGeneration === 3,
    );
  });

  test('typed CoreV1Api and AppsV1Api calls work for statefulsets, pods, services and secrets', async () => {
    await createNamespace('typed');
    const sts: V1StatefulSet = {
      metadata: { name: 'db' },
      spec: {
        serviceName: 'db',
        replicas: 2,
        selector: { matchLabels: { app: 'db' } },
        template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'pg', image: 'postgres:17' }] } },
        volumeClaimTemplates: [
          { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
        ],
      },
    };
    await apps.createNamespacedStatefulSet({ namespace: 'typed', body: sts });
    const ready = await waitFor(
      () => apps.readNamespacedStatefulSet({ name: 'db', namespace: 'typed' }),
      (s) => s.status?.readyReplicas === 2,
    );
    expect(ready.status).toMatchObject({ replicas: 2, readyReplicas: 2, availableReplicas: 2, updatedReplicas: 2, observedGeneration: 1 });
    const pods = await core.listNamespacedPod({ namespace: 'typed' });
    expect(pods.items.map((pod) => pod.metadata?.name).sort()).toEqual(['db-0', 'db-1']);
    const claims = await waitFor(
      () => core.listNamespacedPersistentVolumeClaim({ namespace: 'typed' }),
      (list) => list.items.every((pvc) => pvc.status?.phase === 'Bound'),
    );
    expect(claims.items.map((pvc) => pvc.metadata?.name).sort()).toEqual(['data-db-0', 'data-db-1']);

    const svc = await core.createNamespacedService({
      namespace: 'typed',
      body: { metadata: { name: 'db' }, spec: { selector: { app: 'db' }, ports: [{ port: 5432 }] } },
    });
    expect(svc.spec?.clusterIP).toMatch(/^10\.96\./);
    expect(svc.spec?.ports?.[0]).toMatchObject({ protocol: 'TCP', targetPort: 5432 });

    const secret = await core.createNamespacedSecret({
      namespace: 'typed',
      body: { metadata: { name: 'creds' }, stringData: { password: 'hunter2' } },
    });
    expect(secret.stringData).toBeUndefined();
    expect(Buffer.from(secret.data?.password ?? '', 'base64').toString()).toBe('hunter2');
    expect(secret.type).toBe('Opaque');

    const sa = await core.readNamespacedServiceAccount({ name: 'default', namespace: 'typed' });
    expect(sa.metadata?.name).toBe('default');
    const nodes = await core.listNode();
    expect(nodes.items).toHaveLength(1);
  });

  test('a strategic merge patch merges containers by name', async () => {
    await createNamespace('smp');
    await apps.createNamespacedDeployment({
      namespace: 'smp',
      body: {
        ...deployment('two', 'smp', 1),
        spec: {
          ...deployment('two', 'smp', 1).spec!,
          template: {
            metadata: { labels: { app: 'two' } },
            spec: { containers: [{ name: 'app', image: 'app:1' }, { name: 'sidecar', image: 'proxy:1' }] },
          },
        },
      },
    });
    const patched = await apps.patchNamespacedDeployment(
      { name: 'two', namespace: 'smp', body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'app:2' }] } } } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    expect(patched.spec?.template.spec?.containers.map((c) => `${c.name}=${c.image}`)).toEqual(['app=app:2', 'sidecar=proxy:1']);
  });
});

describe('watch', () => {
  test('a watch streams added, modified and deleted events', async () => {
    await createNamespace('watched');
    const events: string[] = [];
    const watch = new Watch(kc);
    const controller = await watch.watch(
      '/api/v1/namespaces/watched/configmaps',
      { labelSelector: 'watched=yes' },
      (type: string, object: KubernetesObject) => events.push(`${type}:${object.metadata?.name ?? ''}`),
      () => undefined,
    );
    await core.createNamespacedConfigMap({ namespace: 'watched', body: { metadata: { name: 'w', labels: { watched: 'yes' } } } });
    await core.createNamespacedConfigMap({ namespace: 'watched', body: { metadata: { name: 'ignored' } } });
    await core.patchNamespacedConfigMap(
      { name: 'w', namespace: 'watched', body: { data: { k: 'v' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await core.deleteNamespacedConfigMap({ name: 'w', namespace: 'watched' });
    await waitFor(async () => events.length, (n) => n >= 3);
    controller.abort();
    expect(events).toEqual(['ADDED:w', 'MODIFIED:w', 'DELETED:w']);
  });
});

describe('persistence', () => {
  test('clusters, kubeconfigs and objects survive an emulator restart with a dataDir', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'kube-emulator-'));
    try {
      const first = await startKubeEmulator({ dataDir, readyDelayMs: READY_DELAY_MS, persistDebounceMs: 10 });
      const sim = first.createCluster('persisted');
      const firstKc = sim.kubeConfigObject();
      const firstCore = firstKc.makeApiClient(CoreV1Api);
      await firstCore.createNamespace({ body: { metadata: { name: 'keep' } } });
      const cm = await firstCore.createNamespacedConfigMap({ namespace: 'keep', body: { metadata: { name: 'cm' }, data: { k: 'v' } } });
      await first.stop();
      const saved = JSON.parse(await readFile(join(dataDir, 'persisted.json'), 'utf8')) as { objects: unknown[] };
      expect(saved.objects.length).toBeGreaterThan(0);

      const second = await startKubeEmulator({ dataDir, readyDelayMs: READY_DELAY_MS });
      try {
        expect(second.url).toBe(first.url);
        expect(second.caPem).toBe(first.caPem);
        expect(second.listClusters().map((c) => c.name)).toEqual(['persisted']);
        // The kubeconfig issued before the restart still works.
        const reread = await firstKc.makeApiClient(CoreV1Api).readNamespacedConfigMap({ name: 'cm', namespace: 'keep' });
        expect(reread.data).toEqual({ k: 'v' });
        expect(reread.metadata?.uid).toBe(cm.metadata?.uid);
        const next = await firstKc
          .makeApiClient(CoreV1Api)
          .createNamespacedConfigMap({ namespace: 'keep', body: { metadata: { name: 'after-restart' } } });
        expect(Number(next.metadata?.resourceVersion)).toBeGreaterThan(Number(cm.metadata?.resourceVersion));
      } finally {
        await second.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

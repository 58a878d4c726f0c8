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
import { startKubeEmulator } from '#infra/local/kube-emulator/index.ts';
import type { EmulatedCluster, KubeEmulator } from '#infra/local/kube-emulator/index.ts';

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
): Promise<{ code: number; body: unknown; headers: Record<string, string | string[] | undefined>; bytes: Buffer }> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(
      `${cluster.server}${path}`,
      { method, ca: emulator.caPem, headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const bytes = Buffer.concat(chunks);
          const text = bytes.toString('utf8');
          resolve({ code: response.statusCode ?? 0, body: text.startsWith('{') ? JSON.parse(text) : text, headers: response.headers, bytes });
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
    // Only the bootstrap policy's roles are left (aggregated admin/edit/view, their sources, discovery and basic-user).
    expect(clusterRoles.items.map((r) => r.metadata?.name)).toEqual(expect.arrayContaining(['admin', 'cluster-admin', 'edit', 'view', 'system:aggregate-to-edit', 'system:discovery']));
    expect(clusterRoles.items.every((r) => r.metadata?.name === 'admin' || r.metadata?.name === 'edit' || r.metadata?.name === 'view' || r.metadata?.name === 'cluster-admin' || r.metadata?.name?.startsWith('system:'))).toBe(true);
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

describe('what kubectl relies on', () => {
  const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

  test('each cluster has its own API server at a URL without a path, and /version is full semver', async () => {
    expect(cluster.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const other = emulator.createCluster('short-version', { kubernetesVersion: '1.30' });
    expect(other.server).not.toBe(cluster.server);
    expect(other.kubernetesVersion).toBe('v1.30.0');
    const version = await raw('GET', '/version', undefined, {}, null);
    expect(version.body).toMatchObject({ major: '1', minor: '33', gitVersion: 'v1.33.1', gitTreeState: 'clean', compiler: 'gc', platform: 'linux/amd64' });
    expect(await emulator.deleteCluster('short-version')).toBe(true);
  });

  test('lists and single objects come back as Tables when asked, with metadata, the object or nothing per includeObject', async () => {
    await createNamespace('tables');
    await core.createNamespacedConfigMap({ namespace: 'tables', body: { metadata: { name: 'two', labels: { a: 'b' } }, data: { x: '1', y: '2' } } });
    const list = (await raw('GET', '/api/v1/namespaces/tables/configmaps', undefined, { Accept: TABLE })).body as { kind: string; columnDefinitions: Array<{ name: string }>; rows: Array<{ cells: unknown[]; object: { kind: string; metadata: { name: string; labels?: Record<string, string> } } }> };
    expect(list.kind).toBe('Table');
    expect(list.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Data', 'Age']);
    const two = list.rows.find((r) => r.cells[0] === 'two');
    expect(two?.cells.slice(0, 2)).toEqual(['two', 2]);
    expect(two?.object).toMatchObject({ kind: 'PartialObjectMetadata', metadata: { name: 'two', labels: { a: 'b' } } });
    const full = (await raw('GET', '/api/v1/namespaces/tables/configmaps/two?includeObject=Object', undefined, { Accept: TABLE })).body as { rows: Array<{ object: { data: unknown } }> };
    expect(full.rows[0]?.object.data).toEqual({ x: '1', y: '2' });
    const none = (await raw('GET', '/api/v1/namespaces/tables/configmaps?includeObject=None', undefined, { Accept: TABLE })).body as { rows: Array<{ object?: unknown }> };
    expect(none.rows.every((r) => r.object === undefined)).toBe(true);
    const plain = (await raw('GET', '/api/v1/namespaces/tables/configmaps', undefined, { Accept: 'application/json' })).body as { kind: string };
    expect(plain.kind).toBe('ConfigMapList');
    const nodes = (await raw('GET', '/api/v1/nodes', undefined, { Accept: TABLE })).body as { columnDefinitions: Array<{ name: string; priority: number }> };
    expect(nodes.columnDefinitions.filter((c) => c.priority === 1).map((c) => c.name)).toEqual(['Internal-IP', 'External-IP', 'OS-Image', 'Kernel-Version', 'Container-Runtime']);
  });

  test('OpenAPI v3 has an index of group-version documents with hashes, and v2 is served as JSON and protobuf', async () => {
    const index = (await raw('GET', '/openapi/v3')).body as { paths: Record<string, { serverRelativeURL: string }> };
    expect(index.paths['apis/apps/v1']?.serverRelativeURL).toMatch(/^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]+$/);
    expect(Object.keys(index.paths)).toEqual(expect.arrayContaining(['api/v1', 'apis/rbac.authorization.k8s.io/v1', 'apis/apiextensions.k8s.io/v1']));
    const apps = (await raw('GET', index.paths['apis/apps/v1']?.serverRelativeURL ?? '')).body as { components: { schemas: Record<string, { 'x-kubernetes-group-version-kind'?: unknown; properties?: Record<string, unknown> }> }; paths: Record<string, { patch?: { parameters: Array<{ name: string }>; 'x-kubernetes-group-version-kind': unknown } }> };
    expect(apps.components.schemas['io.k8s.api.apps.v1.Deployment']?.['x-kubernetes-group-version-kind']).toEqual([{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
    expect(apps.components.schemas['io.k8s.api.apps.v1.DeploymentSpec']?.properties?.replicas).toMatchObject({ type: 'integer', format: 'int32' });
    const patch = apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}']?.patch;
    expect(patch?.['x-kubernetes-group-version-kind']).toEqual({ group: 'apps', version: 'v1', kind: 'Deployment' });
    expect(patch?.parameters.map((p) => p.name)).toContain('fieldValidation');
    const v2 = (await raw('GET', '/openapi/v2')).body as { swagger: string; definitions: Record<string, unknown> };
    expect(v2.swagger).toBe('2.0');
    expect(v2.definitions['io.k8s.api.core.v1.Pod']).toBeDefined();
    const proto = await raw('GET', '/openapi/v2', undefined, { Accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' });
    expect(proto.headers['content-type']).toBe('application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
    // Field 1 (swagger), a string: "2.0".
    expect([...proto.bytes.subarray(0, 5)]).toEqual([0x0a, 3, 0x32, 0x2e, 0x30]);
  });

  test('objects are checked against their schema: unknown fields warned about and dropped, or rejected when Strict; wrong types are Invalid', async () => {
    await createNamespace('schema');
    const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'typo' }, data: { a: 'b' }, dataa: { c: 'd' } });
    const warned = await raw('POST', '/api/v1/namespaces/schema/configmaps', body, { 'Content-Type': 'application/json' });
    expect(warned.code).toBe(201);
    expect(warned.headers.warning).toBe('299 - "unknown field \\"dataa\\""');
    expect((warned.body as Record<string, unknown>).dataa).toBeUndefined();
    const strict = await raw('POST', '/api/v1/namespaces/schema/configmaps?fieldValidation=Strict', body.replace('"typo"', '"strict"'), { 'Content-Type': 'application/json' });
    expect(strict.code).toBe(400);
    expect((strict.body as StatusBody).message).toBe('ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "dataa"');
    const wrong = await apiError(() => client.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc', namespace: 'schema' }, spec: { ports: [{ port: 'eighty' }] } } as KubernetesObject));
    expect(wrong.code).toBe(422);
    expect(wrong.status.details?.causes?.[0]?.field).toBe('spec.ports[0].port');
    expect(wrong.status.message).toContain('spec.ports[0].port in body must be of type integer: "eighty"');
  });

  test('Deployments own ReplicaSets that own Pods, with revisions, and the lifecycle is recorded as events in both event APIs', async () => {
    await createNamespace('owners');
    await apps.createNamespacedDeployment({ namespace: 'owners', body: deployment('web', 'owners', 1) });
    await waitFor(() => apps.readNamespacedDeployment({ name: 'web', namespace: 'owners' }), (d) => d.status?.readyReplicas === 1);
    const [replicaSet] = (await apps.listNamespacedReplicaSet({ namespace: 'owners' })).items;
    expect(replicaSet?.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Deployment', name: 'web', controller: true });
    expect(replicaSet?.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    const [pod] = (await core.listNamespacedPod({ namespace: 'owners' })).items;
    expect(pod?.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'ReplicaSet', name: replicaSet?.metadata?.name });
    expect(pod?.metadata?.labels?.['pod-template-hash']).toBe(replicaSet?.metadata?.labels?.['pod-template-hash']);
    const events = await core.listNamespacedEvent({ namespace: 'owners', fieldSelector: `involvedObject.name=${pod?.metadata?.name ?? ''}` });
    expect(events.items.map((e) => e.reason)).toEqual(['Scheduled', 'Pulling', 'Pulled', 'Created', 'Started']);
    const v1 = (await raw('GET', `/apis/events.k8s.io/v1/namespaces/owners/events?fieldSelector=regarding.kind=Deployment`)).body as { kind: string; items: Array<{ reason: string; note: string; regarding: { name: string }; reportingController: string }> };
    expect(v1.kind).toBe('EventList');
    expect(v1.items.map((e) => [e.reason, e.regarding.name, e.reportingController])).toEqual([['ScalingReplicaSet', 'web', 'deployment-controller']]);
    expect(v1.items[0]?.note).toBe(`Scaled up replica set ${replicaSet?.metadata?.name ?? ''} from 0 to 1`);
  });

  test('TokenRequest issues ServiceAccount tokens the cluster accepts, and TokenReview and SelfSubjectReview say who they are', async () => {
    await createNamespace('tokens');
    const issued = await core.createNamespacedServiceAccountToken({ name: 'default', namespace: 'tokens', body: { spec: { audiences: ['palette'] } } });
    const token = issued.status?.token ?? '';
    const whoami = await raw('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', '{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}', { 'Content-Type': 'application/json' }, token);
    expect(whoami.body).toMatchObject({ status: { userInfo: { username: 'system:serviceaccount:tokens:default' } } });
    const review = await raw('POST', '/apis/authentication.k8s.io/v1/tokenreviews', JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } }), { 'Content-Type': 'application/json' });
    expect(review.body).toMatchObject({ status: { authenticated: true, user: { username: 'system:serviceaccount:tokens:default' } } });
    const access = await raw('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', JSON.stringify({ apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb: 'delete', resource: 'pods' } } }), { 'Content-Type': 'application/json' }, token);
    // A ServiceAccount nothing binds may not delete pods, and the review says so (RBAC is enforced).
    expect(access.body).toMatchObject({ status: { allowed: false } });
    await core.deleteNamespacedServiceAccount({ name: 'default', namespace: 'tokens' });
    expect((await raw('GET', '/api/v1/namespaces', undefined, {}, token)).code).toBe(401);
  });

  test('a client that replaces managedFields (kubectl moving client-side apply to server-side apply) is taken at its word', async () => {
    await createNamespace('managed');
    const created = await core.createNamespacedConfigMap({ namespace: 'managed', body: { metadata: { name: 'cm' }, data: { a: '1' } } }, setHeaderOptions('User-Agent', 'kubectl-client-side-apply/v1.31.0'));
    const entry = created.metadata?.managedFields?.[0];
    expect(entry?.manager).toBe('kubectl-client-side-apply');
    const patch = [
      { op: 'replace', path: '/metadata/managedFields', value: [{ ...entry, manager: 'kubectl', operation: 'Apply', time: undefined }] },
      { op: 'replace', path: '/metadata/resourceVersion', value: created.metadata?.resourceVersion },
    ];
    const patched = await raw('PATCH', '/api/v1/namespaces/managed/configmaps/cm', JSON.stringify(patch), { 'Content-Type': 'application/json-patch+json' });
    expect((patched.body as { metadata: { managedFields: Array<{ manager: string; operation: string }> } }).metadata.managedFields.map((m) => `${m.manager}/${m.operation}`)).toEqual(['kubectl/Apply']);
    const applied = await client.patch({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'managed' }, data: { a: '2' } }, undefined, undefined, 'kubectl', undefined, PatchStrategy.ServerSideApply);
    expect((applied as V1ConfigMap).data).toEqual({ a: '2' });
  });

  test('server-side apply merges containers by name: another manager owning other fields of the same container is no conflict', async () => {
    await createNamespace('ssa-lists');
    await apps.createNamespacedDeployment({ namespace: 'ssa-lists', body: deployment('web', 'ssa-lists', 1) }, setHeaderOptions('User-Agent', 'kubectl-create/v1.31.0'));
    const manifest = deployment('web', 'ssa-lists', 1);
    manifest.spec!.template.spec!.containers[0]!.env = [{ name: 'MODE', value: 'fast' }];
    const applied = await client.patch<V1Deployment>(manifest, undefined, undefined, 'palette', undefined, PatchStrategy.ServerSideApply);
    expect(applied.spec?.template.spec?.containers[0]).toMatchObject({ name: 'app', image: 'nginx:1.27', env: [{ name: 'MODE', value: 'fast' }], imagePullPolicy: 'IfNotPresent' });
    const owned = applied.metadata?.managedFields?.find((m) => m.manager === 'palette')?.fieldsV1 as Record<string, unknown>;
    expect(JSON.stringify(owned)).toContain('"k:{\\"name\\":\\"app\\"}"');
    manifest.spec!.template.spec!.containers[0]!.image = 'nginx:1.28';
    const conflict = await apiError(() => client.patch(manifest, undefined, undefined, 'palette', undefined, PatchStrategy.ServerSideApply));
    expect(conflict.status.message).toContain('conflict with "kubectl-create" using apps/v1: .spec.template.spec.containers[name="app"].image');
  });

  test('a CustomResourceDefinition serves its versions, validates and defaults with its schema, and takes its objects along when deleted', async () => {
    await createNamespace('crs');
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'backups.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { plural: 'backups', singular: 'backup', kind: 'Backup' },
        versions: [
          { name: 'v1beta1', served: true, storage: false, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } },
          {
            name: 'v1',
            served: true,
            storage: true,
            subresources: { status: {} },
            schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { schedule: { type: 'string' }, keep: { type: 'integer', default: 7 } } }, status: { type: 'object', properties: { phase: { type: 'string' } } } } } },
          },
        ],
      },
    };
    // Raw, because client-node's typed serializer drops the schema's `default` values.
    expect((await raw('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', JSON.stringify(crd), { 'Content-Type': 'application/json' })).code).toBe(201);
    const established = await waitFor(() => client.read({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'backups.example.com' } }), (c) => JSON.stringify(c).includes('"Established"'));
    expect((established as { status: { storedVersions: string[] } }).status.storedVersions).toEqual(['v1']);
    const groups = (await raw('GET', '/apis/example.com')).body as { preferredVersion: { version: string }; versions: Array<{ version: string }> };
    expect(groups.preferredVersion.version).toBe('v1');
    expect(groups.versions.map((v) => v.version)).toEqual(['v1', 'v1beta1']);
    const created = await client.create({ apiVersion: 'example.com/v1', kind: 'Backup', metadata: { name: 'nightly', namespace: 'crs' }, spec: { schedule: '@daily', extra: true }, status: { phase: 'Ignored' } } as KubernetesObject);
    expect(created).toMatchObject({ spec: { schedule: '@daily', keep: 7 } });
    expect((created as { spec: Record<string, unknown> }).spec.extra).toBeUndefined();
    expect((created as { status?: unknown }).status).toBeUndefined();
    const asBeta = await raw('GET', '/apis/example.com/v1beta1/namespaces/crs/backups/nightly');
    expect(asBeta.body).toMatchObject({ apiVersion: 'example.com/v1beta1', kind: 'Backup', spec: { schedule: '@daily' } });
    const status = await raw('PATCH', '/apis/example.com/v1/namespaces/crs/backups/nightly/status', '{"status":{"phase":"Done"}}', { 'Content-Type': 'application/merge-patch+json' });
    expect(status.body).toMatchObject({ status: { phase: 'Done' } });
    const invalid = await apiError(() => client.create({ apiVersion: 'example.com/v1', kind: 'Backup', metadata: { name: 'bad', namespace: 'crs' }, spec: { keep: 'forever' } } as KubernetesObject));
    expect(invalid.code).toBe(422);
    expect(invalid.status.details?.causes?.[0]?.field).toBe('spec.keep');
    await client.delete({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'backups.example.com' } });
    await waitFor(async () => (await raw('GET', '/apis/example.com/v1/namespaces/crs/backups')).code, (code) => code === 404);
    expect((await raw('GET', '/apis')).body).not.toMatchObject({ groups: expect.arrayContaining([expect.objectContaining({ name: 'example.com' })]) });
  });

  test('a cordoned node takes no pods: they wait with a FailedScheduling event and are placed once it is uncordoned', async () => {
    const small = emulator.createCluster('cordoned');
    const smallCore = small.kubeConfigObject().makeApiClient(CoreV1Api);
    const [node] = (await smallCore.listNode()).items;
    await smallCore.patchNode({ name: node?.metadata?.name ?? '', body: { spec: { unschedulable: true } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    await smallCore.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'waiting' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } });
    await new Promise((resolve) => setTimeout(resolve, 2 * READY_DELAY_MS));
    expect((await smallCore.readNamespacedPod({ name: 'waiting', namespace: 'default' })).status?.phase).toBe('Pending');
    const events = await smallCore.listNamespacedEvent({ namespace: 'default', fieldSelector: 'involvedObject.name=waiting' });
    expect(events.items.map((e) => `${e.type}/${e.reason}: ${e.message}`)).toEqual(['Warning/FailedScheduling: 0/1 nodes are available: 1 node(s) were unschedulable.']);
    await smallCore.patchNode({ name: node?.metadata?.name ?? '', body: { spec: { unschedulable: false } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    const running = await waitFor(() => smallCore.readNamespacedPod({ name: 'waiting', namespace: 'default' }), (p) => p.status?.phase === 'Running');
    expect(running.spec?.nodeName).toBe(node?.metadata?.name);
    await emulator.deleteCluster('cordoned');
  });

  test('protobuf request bodies: typed deletes (DeleteOptions) are understood, other objects get 415', async () => {
    await createNamespace('proto');
    await core.createNamespacedConfigMap({ namespace: 'proto', body: { metadata: { name: 'kept' } } });
    // k8s\0 + runtime.Unknown{ typeMeta{apiVersion "v1", kind "DeleteOptions"}, raw = DeleteOptions{ dryRun: ["All"] } }
    const raw5 = Buffer.from([0x2a, 3, ...Buffer.from('All')]);
    const typeMeta = Buffer.concat([Buffer.from([0x0a, 2]), Buffer.from('v1'), Buffer.from([0x12, 13]), Buffer.from('DeleteOptions')]);
    const unknown = Buffer.concat([Buffer.from([0x0a, typeMeta.length]), typeMeta, Buffer.from([0x12, raw5.length]), raw5]);
    const body = Buffer.concat([Buffer.from('k8s\0', 'latin1'), unknown]);
    const dryDelete = await raw('DELETE', '/api/v1/namespaces/proto/configmaps/kept', body.toString('latin1'), { 'Content-Type': 'application/vnd.kubernetes.protobuf', 'Content-Length': String(body.length) });
    expect(dryDelete.body).toMatchObject({ status: 'Success' });
    expect(dryDelete.code).toBe(200);
    expect((await core.readNamespacedConfigMap({ name: 'kept', namespace: 'proto' })).metadata?.name).toBe('kept');
    const create = await raw('POST', '/api/v1/namespaces/proto/configmaps', body.toString('latin1'), { 'Content-Type': 'application/vnd.kubernetes.protobuf' });
    expect(create.code).toBe(415);
    expect((create.body as StatusBody).message).toContain('decodes no protobuf request bodies');
  });

  test('logs answer from the emulator; exec, attach and port-forward are refused with a reason', async () => {
    await createNamespace('streams');
    await apps.createNamespacedDeployment({ namespace: 'streams', body: deployment('web', 'streams', 1) });
    const pod = await waitFor(async () => (await core.listNamespacedPod({ namespace: 'streams' })).items[0], (p) => p?.status?.phase === 'Running');
    const name = pod?.metadata?.name ?? '';
    const logs = await raw('GET', `/api/v1/namespaces/streams/pods/${name}/log`);
    expect(logs.headers['content-type']).toBe('text/plain');
    expect(logs.body).toContain('no container runs in the Kubernetes API emulator');
    for (const sub of ['exec?command=ls', 'attach', 'portforward']) {
      const refused = await raw('POST', `/api/v1/namespaces/streams/pods/${name}/${sub}`);
      expect(refused.code).toBe(400);
      expect((refused.body as StatusBody).message).toMatch(/^the Kubernetes API emulator runs no containers, so it cannot (exec into|attach to|forward ports to) pod streams\//);
    }
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
        expect(second.getCluster('persisted')?.server).toBe(sim.server);
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

/**
 * ResourceQuota and LimitRange admission in the Kubernetes API emulator, through
 * @kubernetes/client-node with the admin token (quota holds for `system:masters` too):
 * the refusals and their messages are kube-apiserver's, LimitRange defaults come first,
 * and pods that controllers create (ReplicaSets, StatefulSets, the vcluster syncer) are
 * admitted the same way, their refusals recorded as events as the real controllers do.
 */
import { AppsV1Api, CoreV1Api, KubeConfig, KubernetesObjectApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { CoreV1Event, KubernetesObject, V1Container, V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startKubeEmulator } from '#infra/local/kube-emulator/index.ts';
import type { EmulatedCluster, KubeEmulator } from '#infra/local/kube-emulator/index.ts';

let emulator: KubeEmulator;
let cluster: EmulatedCluster;
let core: CoreV1Api;
let apps: AppsV1Api;

beforeAll(async () => {
  emulator = await startKubeEmulator({ readyDelayMs: 50 });
  cluster = emulator.createCluster('quota-1', { kubernetesVersion: 'v1.31' });
  core = cluster.kubeConfigObject().makeApiClient(CoreV1Api);
  apps = cluster.kubeConfigObject().makeApiClient(AppsV1Api);
});

afterAll(async () => {
  await emulator?.stop();
});

async function refusal(call: () => Promise<unknown>): Promise<{ code: number; message: string; details: unknown }> {
  try {
    await call();
  } catch (error) {
    const { code, body } = error as { code?: number; body?: unknown };
    if (typeof code !== 'number') throw error;
    const status = (typeof body === 'string' ? JSON.parse(body) : body) as { message: string; details: unknown };
    return { code, message: status.message, details: status.details };
  }
  throw new Error('expected the call to be refused');
}

async function until<T>(what: string, probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch((error: unknown) => error as T);
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${value instanceof Error ? value.message : JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function namespaceWithQuota(namespace: string, hard: Record<string, string>, name = namespace): Promise<void> {
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  await core.createNamespacedResourceQuota({ namespace, body: { metadata: { name }, spec: { hard } } });
}

const container = (resources?: V1Container['resources'], name = 'app'): V1Container => ({ name, image: 'nginx:1.27', ...(resources ? { resources } : {}) });
const pod = (name: string, containers: V1Container[]): V1Pod => ({ metadata: { name }, spec: { containers } });

const eventsAbout = async (namespace: string, name: string): Promise<CoreV1Event[]> =>
  (await core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${name}` })).items;

describe('ResourceQuota admission', () => {
  test('a pod over the requests.cpu quota is refused with kube-apiserver\'s message, and the quota counts what is admitted', async () => {
    await namespaceWithQuota('team-a', { 'requests.cpu': '2', pods: '10' });
    await core.createNamespacedPod({ namespace: 'team-a', body: pod('web-1', [container({ requests: { cpu: '1' } })]) });
    const refused = await refusal(() => core.createNamespacedPod({ namespace: 'team-a', body: pod('web-2', [container({ requests: { cpu: '2' } })]) }));
    expect(refused.code).toBe(403);
    expect(refused.message).toBe('pods "web-2" is forbidden: exceeded quota: team-a, requested: requests.cpu=2, used: requests.cpu=1, limited: requests.cpu=2');
    expect(refused.details).toEqual({ name: 'web-2', kind: 'pods' });
    // Two containers' requests add up; what fits is admitted.
    await core.createNamespacedPod({ namespace: 'team-a', body: pod('web-3', [container({ requests: { cpu: '500m' } }), container({ requests: { cpu: '250m' } }, 'sidecar')]) });
    const quota = await until('used to count both pods', () => core.readNamespacedResourceQuota({ name: 'team-a', namespace: 'team-a' }), (q) => q.status?.used?.pods === '2');
    expect(quota.status?.used).toEqual({ 'requests.cpu': '1750m', pods: '2' });
    const over = await refusal(() => core.createNamespacedPod({ namespace: 'team-a', body: pod('web-4', [container({ requests: { cpu: '300m' } })]) }));
    expect(over.message).toBe('pods "web-4" is forbidden: exceeded quota: team-a, requested: requests.cpu=300m, used: requests.cpu=1750m, limited: requests.cpu=2');
    // A dry run is admitted (or refused) as the real thing, and stores nothing.
    expect((await refusal(() => core.createNamespacedPod({ namespace: 'team-a', body: pod('web-5', [container({ requests: { cpu: '1' } })]), dryRun: 'All' }))).code).toBe(403);
  });

  test('a pod that does not say what it requests or limits is refused under a quota on them', async () => {
    await namespaceWithQuota('team-b', { 'requests.cpu': '4', 'limits.cpu': '4', 'limits.memory': '4Gi' });
    const refused = await refusal(() => core.createNamespacedPod({ namespace: 'team-b', body: pod('web', [container({ requests: { cpu: '100m' } })]) }));
    expect(refused.message).toBe('pods "web" is forbidden: failed quota: team-b: must specify limits.cpu for: app; limits.memory for: app');
    const two = await refusal(() => core.createNamespacedPod({ namespace: 'team-b', body: pod('web', [container(), container({ limits: { cpu: '1', memory: '1Gi' } }, 'side')]) }));
    // Limits alone say what is requested too (requests default to limits).
    expect(two.message).toBe('pods "web" is forbidden: failed quota: team-b: must specify limits.cpu for: app; limits.memory for: app; requests.cpu for: app');
  });

  test('LimitRange defaults come first, so such a pod is admitted with them, and its max is enforced', async () => {
    await namespaceWithQuota('team-c', { 'requests.cpu': '2', 'requests.memory': '1Gi' });
    await core.createNamespacedLimitRange({
      namespace: 'team-c',
      // client-node's model names `default` `_default`.
      body: { metadata: { name: 'defaults' }, spec: { limits: [{ type: 'Container', defaultRequest: { cpu: '100m', memory: '128Mi' }, _default: { cpu: '500m' }, max: { cpu: '1' } }] } },
    });
    const limitRange = await core.readNamespacedLimitRange({ name: 'defaults', namespace: 'team-c' });
    // The API server stores the defaults it derives: a default limit for memory is not given, so none.
    expect(limitRange.spec?.limits[0]).toMatchObject({ _default: { cpu: '500m' }, defaultRequest: { cpu: '100m', memory: '128Mi' } });
    const created = await core.createNamespacedPod({ namespace: 'team-c', body: pod('plain', [container()]) });
    expect(created.spec?.containers[0]?.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m' } });
    expect(created.metadata?.annotations?.['kubernetes.io/limit-ranger']).toBe('LimitRanger plugin set: cpu, memory request for container app; cpu limit for container app');
    await until('the quota to count the defaults', () => core.readNamespacedResourceQuota({ name: 'team-c', namespace: 'team-c' }), (q) => q.status?.used?.['requests.memory'] === '128Mi');
    const big = await refusal(() => core.createNamespacedPod({ namespace: 'team-c', body: pod('big', [container({ limits: { cpu: '2' } })]) }));
    expect(big.message).toBe('pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2');
    const min = await core.createNamespacedLimitRange({ namespace: 'team-c', body: { metadata: { name: 'floor' }, spec: { limits: [{ type: 'Container', min: { memory: '64Mi' } }] } } });
    expect(min.metadata?.name).toBe('floor');
    const small = await refusal(() => core.createNamespacedPod({ namespace: 'team-c', body: pod('small', [container({ requests: { memory: '32Mi' } })]) }));
    expect(small.message).toBe('pods "small" is forbidden: minimum memory usage per Container is 64Mi, but request is 32Mi');
  });

  test('a Deployment whose pods exceed the quota gets FailedCreate events and only the replicas that fit, and the rest once there is room', async () => {
    await namespaceWithQuota('team-d', { 'requests.cpu': '1' }, 'compute');
    await apps.createNamespacedDeployment({
      namespace: 'team-d',
      body: {
        metadata: { name: 'web' },
        spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [container({ requests: { cpu: '400m' } })] } } },
      },
    });
    const replicaSet = await until('the ReplicaSet', () => apps.listNamespacedReplicaSet({ namespace: 'team-d' }), (l) => l.items?.[0]?.status?.replicas === 2);
    const rsName = replicaSet.items[0]?.metadata?.name ?? '';
    const failed = await until('a FailedCreate event', () => eventsAbout('team-d', rsName), (events) => events.some((e) => e.reason === 'FailedCreate'));
    const event = failed.find((e) => e.reason === 'FailedCreate');
    expect(event).toMatchObject({ type: 'Warning', source: { component: 'replicaset-controller' }, involvedObject: { kind: 'ReplicaSet', name: rsName } });
    expect(event?.message).toMatch(
      new RegExp(`^Error creating: pods "${rsName}-[a-z0-9]{5}" is forbidden: exceeded quota: compute, requested: requests.cpu=400m, used: requests.cpu=800m, limited: requests.cpu=1$`),
    );
    const rs = await apps.readNamespacedReplicaSet({ name: rsName, namespace: 'team-d' });
    expect(rs.status?.conditions).toEqual([expect.objectContaining({ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: expect.stringContaining('exceeded quota: compute') })]);
    const deployment = await until('the Deployment to report it', () => apps.readNamespacedDeployment({ name: 'web', namespace: 'team-d' }), (d) => (d.status?.conditions ?? []).some((c) => c.type === 'ReplicaFailure'));
    expect(deployment.status?.replicas).toBe(2);
    expect((await core.listNamespacedPod({ namespace: 'team-d' })).items).toHaveLength(2);

    // The controller keeps trying: once the quota allows it, the third pod comes and the failure clears.
    await core.patchNamespacedResourceQuota({ name: 'compute', namespace: 'team-d', body: { spec: { hard: { 'requests.cpu': '2' } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    const filled = await until('the third replica', () => apps.readNamespacedReplicaSet({ name: rsName, namespace: 'team-d' }), (r) => r.status?.replicas === 3, 10_000);
    expect(filled.status?.conditions).toBeUndefined();
  });

  test('a StatefulSet whose claims exceed the storage quota records the statefulset-controller\'s FailedCreate', async () => {
    await namespaceWithQuota('team-e', { 'requests.storage': '5Gi', 'requests.cpu': '4' }, 'storage');
    await apps.createNamespacedStatefulSet({
      namespace: 'team-e',
      body: {
        metadata: { name: 'db' },
        spec: {
          replicas: 2,
          serviceName: 'db',
          selector: { matchLabels: { app: 'db' } },
          template: { metadata: { labels: { app: 'db' } }, spec: { containers: [container({ requests: { cpu: '100m' } })] } },
          volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '3Gi' } } } }],
        },
      },
    });
    const events = await until('a FailedCreate event', () => eventsAbout('team-e', 'db'), (list) => list.some((e) => e.reason === 'FailedCreate'));
    expect(events.find((e) => e.reason === 'FailedCreate')?.message).toBe(
      'create Claim data-db-1 for Pod db-1 in StatefulSet db failed error: persistentvolumeclaims "data-db-1" is forbidden: exceeded quota: storage, requested: requests.storage=3Gi, used: requests.storage=3Gi, limited: requests.storage=5Gi',
    );
    expect((await core.listNamespacedPod({ namespace: 'team-e' })).items.map((p) => p.metadata?.name)).toEqual(['db-0']);
  });
});

describe('what quotas count', () => {
  test('object counts: count/<resource>.<group> and the short names, including what the cluster creates itself', async () => {
    await namespaceWithQuota('counts', { 'count/deployments.apps': '1', configmaps: '2', 'count/secrets': '1' });
    const deployment = (name: string) => ({
      metadata: { name },
      spec: { replicas: 0, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [container()] } } },
    });
    await apps.createNamespacedDeployment({ namespace: 'counts', body: deployment('one') });
    const second = await refusal(() => apps.createNamespacedDeployment({ namespace: 'counts', body: deployment('two') }));
    expect(second.message).toBe('deployments.apps "two" is forbidden: exceeded quota: counts, requested: count/deployments.apps=1, used: count/deployments.apps=1, limited: count/deployments.apps=1');
    expect(second.details).toEqual({ name: 'two', group: 'apps', kind: 'deployments' });
    // Every namespace has its kube-root-ca.crt ConfigMap: one more fits, not two.
    await core.createNamespacedConfigMap({ namespace: 'counts', body: { metadata: { name: 'settings' } } });
    expect((await refusal(() => core.createNamespacedConfigMap({ namespace: 'counts', body: { metadata: { name: 'more' } } }))).message).toBe(
      'configmaps "more" is forbidden: exceeded quota: counts, requested: configmaps=1, used: configmaps=2, limited: configmaps=2',
    );
    const quota = await until('used', () => core.readNamespacedResourceQuota({ name: 'counts', namespace: 'counts' }), (q) => q.status?.used?.configmaps === '2');
    expect(quota.status?.used).toEqual({ 'count/deployments.apps': '1', configmaps: '2', 'count/secrets': '0' });
    // Server-side apply creates through the same admission.
    const objects = KubernetesObjectApi.makeApiClient(cluster.kubeConfigObject());
    const applied = await refusal(() =>
      objects.patch({ apiVersion: 'apps/v1', kind: 'Deployment', ...deployment('three'), metadata: { name: 'three', namespace: 'counts' } } as KubernetesObject, undefined, undefined, 'palette', true, PatchStrategy.ServerSideApply),
    );
    expect(applied.code).toBe(403);
  });

  test('claims: requests.storage, their count, and per storage class', async () => {
    await namespaceWithQuota('claims', { 'requests.storage': '10Gi', persistentvolumeclaims: '5', 'fast.storageclass.storage.k8s.io/requests.storage': '5Gi' });
    const claim = (name: string, storage: string, storageClassName?: string) => ({
      metadata: { name },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } }, ...(storageClassName ? { storageClassName } : {}) },
    });
    await core.createNamespacedPersistentVolumeClaim({ namespace: 'claims', body: claim('standard', '8Gi') });
    expect((await refusal(() => core.createNamespacedPersistentVolumeClaim({ namespace: 'claims', body: claim('fast-1', '5Gi', 'fast') }))).message).toBe(
      'persistentvolumeclaims "fast-1" is forbidden: exceeded quota: claims, requested: requests.storage=5Gi, used: requests.storage=8Gi, limited: requests.storage=10Gi',
    );
    await core.createNamespacedPersistentVolumeClaim({ namespace: 'claims', body: claim('fast-2', '2Gi', 'fast') });
    await core.deleteNamespacedPersistentVolumeClaim({ name: 'standard', namespace: 'claims' });
    expect((await refusal(() => core.createNamespacedPersistentVolumeClaim({ namespace: 'claims', body: claim('fast-3', '4Gi', 'fast') }))).message).toBe(
      'persistentvolumeclaims "fast-3" is forbidden: exceeded quota: claims, requested: fast.storageclass.storage.k8s.io/requests.storage=4Gi, used: fast.storageclass.storage.k8s.io/requests.storage=2Gi, limited: fast.storageclass.storage.k8s.io/requests.storage=5Gi',
    );
    const quota = await until('used', () => core.readNamespacedResourceQuota({ name: 'claims', namespace: 'claims' }), (q) => q.status?.used?.persistentvolumeclaims === '1');
    expect(quota.status?.used).toEqual({ 'requests.storage': '2Gi', persistentvolumeclaims: '1', 'fast.storageclass.storage.k8s.io/requests.storage': '2Gi' });
  });

  test('GPUs are quota\'d by request, and pods that ask for none are not held to say so', async () => {
    await namespaceWithQuota('gpus', { 'requests.nvidia.com/gpu': '1', 'requests.cpu': '8' });
    await core.createNamespacedPod({ namespace: 'gpus', body: pod('trainer', [container({ requests: { cpu: '1' }, limits: { 'nvidia.com/gpu': '1' } })]) });
    expect((await refusal(() => core.createNamespacedPod({ namespace: 'gpus', body: pod('trainer-2', [container({ requests: { cpu: '1' }, limits: { 'nvidia.com/gpu': '1' } })]) }))).message).toBe(
      'pods "trainer-2" is forbidden: exceeded quota: gpus, requested: requests.nvidia.com/gpu=1, used: requests.nvidia.com/gpu=1, limited: requests.nvidia.com/gpu=1',
    );
    await core.createNamespacedPod({ namespace: 'gpus', body: pod('cpu-only', [container({ requests: { cpu: '1' } })]) });
  });

  test('pods that finished or are going no longer count', async () => {
    await namespaceWithQuota('lifecycle', { pods: '1', 'count/pods': '3' });
    await core.createNamespacedPod({ namespace: 'lifecycle', body: pod('job', [container()]) });
    expect((await refusal(() => core.createNamespacedPod({ namespace: 'lifecycle', body: pod('next', [container()]) }))).message).toBe(
      'pods "next" is forbidden: exceeded quota: lifecycle, requested: pods=1, used: pods=1, limited: pods=1',
    );
    await core.patchNamespacedPodStatus({ name: 'job', namespace: 'lifecycle', body: { status: { phase: 'Succeeded' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    await core.createNamespacedPod({ namespace: 'lifecycle', body: pod('next', [container()]) });
    const quota = await until('used', () => core.readNamespacedResourceQuota({ name: 'lifecycle', namespace: 'lifecycle' }), (q) => q.status?.used?.['count/pods'] === '2');
    expect(quota.status?.used).toEqual({ pods: '1', 'count/pods': '2' });
  });
});

describe('the vcluster syncer under a host quota', () => {
  test('a virtual pod the host refuses stays unsynced, with the pod-syncer\'s SyncError event in the virtual cluster', async () => {
    const objects = KubernetesObjectApi.makeApiClient(cluster.kubeConfigObject());
    const labels = { app: 'vcluster', release: 'vc' };
    await namespaceWithQuota('vc-host', { 'requests.cpu': '1', 'requests.memory': '2Gi' }, 'vc-quota');
    await objects.patch(
      {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 'vc', namespace: 'vc-host', labels },
        spec: { serviceName: 'vc-headless', replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [container({ requests: { cpu: '200m', memory: '256Mi' } }, 'syncer')] } } },
      } as KubernetesObject,
      undefined,
      undefined,
      'palette',
      true,
      PatchStrategy.ServerSideApply,
    );
    const secret = await until('the kubeconfig Secret', () => core.readNamespacedSecret({ name: 'vc-vc', namespace: 'vc-host' }), (s) => !(s instanceof Error) && !!s.data?.token);
    const kc = new KubeConfig();
    kc.loadFromString(cluster.kubeconfig().replace(cluster.server, emulator.getCluster('quota-1.vc-host.vc')?.server ?? '').replace(cluster.token, Buffer.from(secret.data?.token ?? '', 'base64').toString()));
    const virtual = kc.makeApiClient(CoreV1Api);
    await virtual.createNamespacedPod({ namespace: 'default', body: pod('small', [container({ requests: { cpu: '100m', memory: '64Mi' } })]) });
    await virtual.createNamespacedPod({ namespace: 'default', body: pod('big', [container({ requests: { cpu: '2', memory: '64Mi' } })]) });
    await until('the small pod on the host', () => core.listNamespacedPod({ namespace: 'vc-host', labelSelector: 'vcluster.loft.sh/managed-by=vc' }), (l) => l.items?.length === 1);
    const events = await until('the SyncError', async () => (await virtual.listNamespacedEvent({ namespace: 'default', fieldSelector: 'involvedObject.name=big' })).items, (list) => list.some((e) => e.reason === 'SyncError'));
    expect(events.find((e) => e.reason === 'SyncError')).toMatchObject({
      type: 'Warning',
      source: { component: 'pod-syncer' },
      message: 'Error syncing to host cluster: create object: pods "big-x-default-x-vc" is forbidden: exceeded quota: vc-quota, requested: requests.cpu=2, used: requests.cpu=300m, limited: requests.cpu=1',
    });
    expect((await core.listNamespacedPod({ namespace: 'vc-host', labelSelector: 'vcluster.loft.sh/managed-by=vc' })).items.map((p) => p.metadata?.name)).toEqual(['small-x-default-x-vc']);
  });
});

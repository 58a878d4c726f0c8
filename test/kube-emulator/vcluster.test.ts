/**
 * vcluster emulation in the Kubernetes API emulator, through @kubernetes/client-node the
 * way the platform's App Mode drives it: a vcluster StatefulSet and its Service and
 * Ingress on a host cluster, the `vc-<name>` kubeconfig Secret, the virtual API server
 * on its own port, a LoadBalancer address and an SNI-routed ingress address, pause and
 * resume, the pod syncer against the host quota, restart and deletion.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api, KubeConfig, KubernetesObjectApi, loadYaml, PatchStrategy } from '@kubernetes/client-node';
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startKubeEmulator } from '../../infra/local/kube-emulator/index.ts';
import type { EmulatedCluster, KubeEmulator } from '../../infra/local/kube-emulator/index.ts';

const READY_DELAY_MS = 100;
let dataDir: string;
let emulator: KubeEmulator;
let host: EmulatedCluster;
let hostObjects: KubernetesObjectApi;
let hostCore: CoreV1Api;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'kube-emulator-vcluster-'));
  emulator = await startKubeEmulator({ dataDir, readyDelayMs: READY_DELAY_MS, persistDebounceMs: 10 });
  host = emulator.createCluster('host-vc', { kubernetesVersion: 'v1.31.4' });
  hostObjects = KubernetesObjectApi.makeApiClient(host.kubeConfigObject());
  hostCore = host.kubeConfigObject().makeApiClient(CoreV1Api);
});

afterAll(async () => {
  await emulator?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function until<T>(what: string, probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch((error: unknown) => error as T);
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${String(value instanceof Error ? value.message : JSON.stringify(value))}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const apply = (object: KubernetesObject) => hostObjects.patch(object, undefined, undefined, 'palette', true, PatchStrategy.ServerSideApply);

/** What the platform applies in `vc-<id>` for a virtual cluster named `name`. */
async function provision(namespace: string, name: string, options: { ingressHost?: string } = {}): Promise<void> {
  const labels = { app: 'vcluster', release: name };
  await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  await apply({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'vc-quota', namespace }, spec: { hard: { pods: '20', 'requests.cpu': '4', 'requests.memory': '8Gi' } } } as KubernetesObject);
  await apply({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace, labels },
    spec: {
      serviceName: `${name}-headless`,
      replicas: 1,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: 'syncer', image: 'ghcr.io/loft-sh/vcluster-pro:0.20.0', resources: { requests: { cpu: '200m', memory: '256Mi' } } }] } },
    },
  } as KubernetesObject);
  await apply({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace, labels }, spec: { type: 'LoadBalancer', selector: labels, ports: [{ name: 'https', port: 443, targetPort: 8443, protocol: 'TCP' }] } } as KubernetesObject);
  if (options.ingressHost) {
    await apply({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name, namespace, annotations: { 'nginx.ingress.kubernetes.io/ssl-passthrough': 'true', 'nginx.ingress.kubernetes.io/backend-protocol': 'HTTPS' } },
      spec: { ingressClassName: 'nginx', rules: [{ host: options.ingressHost, http: { paths: [{ path: '/', pathType: 'ImplementationSpecific', backend: { service: { name, port: { number: 443 } } } }] } }] },
    } as KubernetesObject);
  }
}

const secretOf = (namespace: string, name: string) => until(`Secret vc-${name}`, () => hostCore.readNamespacedSecret({ name: `vc-${name}`, namespace }), (s) => !(s instanceof Error) && !!(s as V1Secret).data?.config);

/** The Secret's kubeconfig with its server pointed at `server` (and an optional TLS server name). */
function kubeconfigFrom(secret: V1Secret, server: string, tlsServerName?: string): KubeConfig {
  const config = loadYaml<{ clusters: Array<{ cluster: Record<string, string> }> }>(Buffer.from(secret.data?.config ?? '', 'base64').toString('utf8'));
  const cluster = config.clusters[0]?.cluster ?? {};
  cluster.server = server;
  if (tlsServerName) cluster['tls-server-name'] = tlsServerName;
  const kc = new KubeConfig();
  kc.loadFromString(JSON.stringify(config));
  return kc;
}

async function loadBalancerOf(namespace: string, name: string): Promise<{ ip: string; port: number }> {
  const service = await until('a load balancer address', () => hostCore.readNamespacedService({ name, namespace }), (s) => !(s instanceof Error) && !!s.status?.loadBalancer?.ingress?.[0]?.ip);
  const ingress = service.status?.loadBalancer?.ingress?.[0];
  return { ip: ingress?.ip ?? '', port: ingress?.ports?.[0]?.port ?? 443 };
}

const failsToConnect = async (call: () => Promise<unknown>): Promise<string> => {
  try {
    await call();
  } catch (error) {
    return String((error as { code?: string; cause?: { code?: string } }).code ?? (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message);
  }
  return 'answered';
};

describe('a vcluster StatefulSet on a host cluster', () => {
  test('gets its own API server, a vc-<name> kubeconfig Secret and a LoadBalancer address that serves it', async () => {
    await provision('vc-alpha', 'alpha');
    const secret = await secretOf('vc-alpha', 'alpha');
    const config = loadYaml<{ clusters: Array<{ cluster: Record<string, string> }>; users: Array<{ user: { token: string } }> }>(Buffer.from(secret.data?.config ?? '', 'base64').toString('utf8'));
    expect(config.clusters[0]?.cluster.server).toBe('https://localhost:8443');
    expect(Buffer.from(config.clusters[0]?.cluster['certificate-authority-data'] ?? '', 'base64').toString()).toBe(emulator.caPem);
    const virtual = emulator.getCluster('host-vc.vc-alpha.alpha');
    expect(virtual?.virtual).toEqual({ host: 'host-vc', namespace: 'vc-alpha', name: 'alpha' });
    expect(config.users[0]?.user.token).toBe(virtual?.token);
    expect(Buffer.from(secret.data?.token ?? '', 'base64').toString()).toBe(virtual?.token);
    expect(Buffer.from(secret.data?.['certificate-authority'] ?? '', 'base64').toString()).toBe(emulator.caPem);
    expect(virtual?.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(virtual?.server).not.toBe(host.server);

    const own = kubeconfigFrom(secret, virtual?.server ?? '').makeApiClient(CoreV1Api);
    expect((await own.listNamespace()).items.map((n) => n.metadata?.name)).toEqual(['default', 'kube-node-lease', 'kube-public', 'kube-system']);
    // Flux is installed in virtual clusters as in host ones.
    const crds = await KubernetesObjectApi.makeApiClient(kubeconfigFrom(secret, virtual?.server ?? '')).list('apiextensions.k8s.io/v1', 'CustomResourceDefinition');
    expect(crds.items.map((c) => c.metadata?.name)).toEqual(expect.arrayContaining(['helmreleases.helm.toolkit.fluxcd.io', 'helmrepositories.source.toolkit.fluxcd.io', 'ocirepositories.source.toolkit.fluxcd.io']));

    const lb = await loadBalancerOf('vc-alpha', 'alpha');
    expect(lb.ip).toMatch(/^127\.\d+\.\d+\.\d+$/);
    expect(lb.ip).not.toBe('127.0.0.1');
    const viaLoadBalancer = kubeconfigFrom(secret, `https://${lb.ip}:${lb.port}`);
    const core = viaLoadBalancer.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'team-a' } } });
    // The virtual cluster is its own cluster: the host does not see its namespaces.
    expect((await hostCore.listNamespace()).items.map((n) => n.metadata?.name)).not.toContain('team-a');
  });

  test('an SSL-passthrough Ingress gets the host ingress address, routed by server name to the virtual API server', async () => {
    await provision('vc-beta', 'beta', { ingressHost: 'beta.vc.example.test' });
    const secret = await secretOf('vc-beta', 'beta');
    const ingress = await until(
      'an ingress address',
      () => hostObjects.read({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'beta', namespace: 'vc-beta' } }),
      (i) => !(i instanceof Error) && !!(i as { status?: { loadBalancer?: { ingress?: Array<{ ip?: string }> } } }).status?.loadBalancer?.ingress?.[0]?.ip,
    );
    const address = (ingress as { status: { loadBalancer: { ingress: Array<{ ip: string; ports?: Array<{ port: number }> }> } } }).status.loadBalancer.ingress[0];
    expect(address?.ip).toMatch(/^127\.\d+\.\d+\.\d+$/);
    expect(address?.ip).not.toBe((await loadBalancerOf('vc-beta', 'beta')).ip);
    const viaIngress = kubeconfigFrom(secret, `https://${address?.ip ?? ''}:${address?.ports?.[0]?.port ?? 443}`, 'beta.vc.example.test').makeApiClient(CoreV1Api);
    await until('the routed API server', () => viaIngress.listNamespace(), (list) => !(list instanceof Error));
    await viaIngress.createNamespace({ body: { metadata: { name: 'from-ingress' } } });
    const direct = kubeconfigFrom(secret, emulator.getCluster('host-vc.vc-beta.beta')?.server ?? '').makeApiClient(CoreV1Api);
    expect((await direct.readNamespace({ name: 'from-ingress' })).metadata?.name).toBe('from-ingress');
    // An unknown server name is not routed anywhere.
    const unrouted = kubeconfigFrom(secret, `https://${address?.ip ?? ''}:${address?.ports?.[0]?.port ?? 443}`, 'nobody.vc.example.test').makeApiClient(CoreV1Api);
    expect(await failsToConnect(() => unrouted.listNamespace())).not.toBe('answered');
  });

  test('pods of the virtual cluster are synced into the host namespace and counted by its quota', async () => {
    await provision('vc-gamma', 'gamma');
    const secret = await secretOf('vc-gamma', 'gamma');
    const kc = kubeconfigFrom(secret, emulator.getCluster('host-vc.vc-gamma.gamma')?.server ?? '');
    const apps = kc.makeApiClient(AppsV1Api);
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: {
        metadata: { name: 'shop' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'shop' } },
          template: { metadata: { labels: { app: 'shop' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27', resources: { requests: { cpu: '250m', memory: '128Mi' } } }] } },
        },
      },
    });
    const synced = await until('synced pods', () => hostCore.listNamespacedPod({ namespace: 'vc-gamma', labelSelector: 'vcluster.loft.sh/managed-by=gamma' }), (l) => !(l instanceof Error) && l.items.length === 2);
    const virtualPods = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'default' });
    for (const pod of synced.items) {
      const original = pod.metadata?.labels?.['vcluster.loft.sh/object-name'] ?? '';
      expect(virtualPods.items.map((p) => p.metadata?.name)).toContain(original);
      expect(pod.metadata?.name).toBe(`${original}-x-default-x-gamma`);
      expect(pod.metadata?.labels?.['vcluster.loft.sh/namespace']).toBe('default');
      expect(pod.spec?.containers[0]?.resources?.requests).toEqual({ cpu: '250m', memory: '128Mi' });
    }
    const quota = await until('the quota to count them', () => hostCore.readNamespacedResourceQuota({ name: 'vc-quota', namespace: 'vc-gamma' }), (q) => !(q instanceof Error) && q.status?.used?.pods === '3');
    expect(quota.status?.used).toMatchObject({ 'requests.cpu': '700m', 'requests.memory': '512Mi' });
    // A long name is shortened the way vcluster does it.
    await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: 'a-namespace-with-a-rather-long-name' } } });
    await kc.makeApiClient(CoreV1Api).createNamespacedPod({
      namespace: 'a-namespace-with-a-rather-long-name',
      // It states its requests: the host's quota would refuse a pod that does not (as a real host does).
      body: { metadata: { name: 'a-pod-with-a-name-long-enough-to-need-a-hash' }, spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '50m', memory: '32Mi' } } }] } },
    });
    const long = await until('the long-named pod', () => hostCore.listNamespacedPod({ namespace: 'vc-gamma', labelSelector: 'vcluster.loft.sh/object-name=a-pod-with-a-name-long-enough-to-need-a-hash' }), (l) => !(l instanceof Error) && l.items.length === 1);
    expect(long.items[0]?.metadata?.name).toMatch(/^a-pod-with-a-name-long-enough-to-need-a-hash-x-a-nam-[0-9a-f]{10}$/);
    expect(long.items[0]?.metadata?.name?.length).toBe(63);
  });

  test('scaled to zero it stops answering and syncs nothing; scaled back it answers with its state and resyncs', async () => {
    await provision('vc-delta', 'delta');
    const secret = await secretOf('vc-delta', 'delta');
    const lb = await loadBalancerOf('vc-delta', 'delta');
    const own = emulator.getCluster('host-vc.vc-delta.delta')?.server ?? '';
    const viaOwn = kubeconfigFrom(secret, own).makeApiClient(CoreV1Api);
    const viaLb = kubeconfigFrom(secret, `https://${lb.ip}:${lb.port}`).makeApiClient(CoreV1Api);
    await viaOwn.createNamespace({ body: { metadata: { name: 'kept' } } });
    await viaOwn.createNamespacedPod({ namespace: 'kept', body: { metadata: { name: 'worker' }, spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '100m', memory: '64Mi' } } }] } } });
    await until('the synced pod', () => hostCore.listNamespacedPod({ namespace: 'vc-delta', labelSelector: 'vcluster.loft.sh/managed-by=delta' }), (l) => !(l instanceof Error) && l.items.length === 1);

    await hostObjects.patch({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'delta', namespace: 'vc-delta' }, spec: { replicas: 0 } } as KubernetesObject, undefined, undefined, undefined, undefined, PatchStrategy.MergePatch);
    await until('the virtual API server to stop answering', () => failsToConnect(() => viaOwn.listNamespace()), (code) => code !== 'answered');
    expect(await failsToConnect(() => viaLb.listNamespace())).toMatch(/ECONNREFUSED|ECONNRESET|socket hang up/);
    // The platform removes the host-side pods on pause; nothing syncs them back meanwhile.
    await hostCore.deleteCollectionNamespacedPod({ namespace: 'vc-delta', labelSelector: 'vcluster.loft.sh/managed-by=delta' });
    await new Promise((resolve) => setTimeout(resolve, 3 * READY_DELAY_MS));
    expect((await hostCore.listNamespacedPod({ namespace: 'vc-delta', labelSelector: 'vcluster.loft.sh/managed-by=delta' })).items).toHaveLength(0);

    await hostObjects.patch({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'delta', namespace: 'vc-delta' }, spec: { replicas: 1 } } as KubernetesObject, undefined, undefined, undefined, undefined, PatchStrategy.MergePatch);
    const back = await until('the virtual API server to answer again', () => viaLb.readNamespacedPod({ name: 'worker', namespace: 'kept' }), (p) => !(p instanceof Error));
    expect(back.metadata?.name).toBe('worker');
    expect(emulator.getCluster('host-vc.vc-delta.delta')?.server).toBe(own);
    await until('the pod to be synced again', () => hostCore.listNamespacedPod({ namespace: 'vc-delta', labelSelector: 'vcluster.loft.sh/managed-by=delta' }), (l) => !(l instanceof Error) && l.items.length === 1);
  });

  test('deleting the namespace deletes the virtual cluster and its persisted state', async () => {
    await provision('vc-epsilon', 'epsilon');
    await secretOf('vc-epsilon', 'epsilon');
    const virtual = emulator.getCluster('host-vc.vc-epsilon.epsilon');
    const server = virtual?.server ?? '';
    await emulator.flush();
    expect(existsSync(join(dataDir, 'host-vc.vc-epsilon.epsilon.json'))).toBe(true);
    await hostCore.deleteNamespace({ name: 'vc-epsilon' });
    await until('the virtual cluster to go', async () => emulator.getCluster('host-vc.vc-epsilon.epsilon'), (c) => c === undefined);
    await until('its state file to go', async () => existsSync(join(dataDir, 'host-vc.vc-epsilon.epsilon.json')), (exists) => !exists);
    const kc = new KubeConfig();
    kc.loadFromString(host.kubeconfig().replace(host.server, server).replace(host.token, virtual?.token ?? ''));
    expect(await failsToConnect(() => kc.makeApiClient(CoreV1Api).listNamespace())).toMatch(/ECONNREFUSED|ECONNRESET|socket hang up/);
  });

  test('a virtual cluster survives an emulator restart with its token, port, address and objects', async () => {
    const restartDir = await mkdtemp(join(tmpdir(), 'kube-emulator-vcluster-restart-'));
    try {
      const first = await startKubeEmulator({ dataDir: restartDir, readyDelayMs: READY_DELAY_MS, persistDebounceMs: 10 });
      const firstHost = first.createCluster('host-r');
      const objects = KubernetesObjectApi.makeApiClient(firstHost.kubeConfigObject());
      const labels = { app: 'vcluster', release: 'zeta' };
      const applyHere = (object: KubernetesObject) => objects.patch(object, undefined, undefined, 'palette', true, PatchStrategy.ServerSideApply);
      await applyHere({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'vc-zeta' } });
      await applyHere({
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 'zeta', namespace: 'vc-zeta', labels },
        spec: { serviceName: 'zeta', replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'syncer', image: 'vcluster' }] } } },
      } as KubernetesObject);
      await applyHere({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'zeta', namespace: 'vc-zeta' }, spec: { type: 'LoadBalancer', selector: labels, ports: [{ port: 443 }] } } as KubernetesObject);
      const core = firstHost.kubeConfigObject().makeApiClient(CoreV1Api);
      const secret = await until('the Secret', () => core.readNamespacedSecret({ name: 'vc-zeta', namespace: 'vc-zeta' }), (s) => !(s instanceof Error));
      const service = await until('the address', () => core.readNamespacedService({ name: 'zeta', namespace: 'vc-zeta' }), (s) => !(s instanceof Error) && !!s.status?.loadBalancer?.ingress?.[0]?.ip);
      const address = service.status?.loadBalancer?.ingress?.[0];
      const before = first.getCluster('host-r.vc-zeta.zeta');
      const viaLb = () => kubeconfigFrom(secret, `https://${address?.ip ?? ''}:${address?.ports?.[0]?.port ?? 443}`).makeApiClient(CoreV1Api);
      await viaLb().createNamespace({ body: { metadata: { name: 'survivor' } } });
      await first.stop();

      const second = await startKubeEmulator({ dataDir: restartDir, readyDelayMs: READY_DELAY_MS });
      try {
        const after = second.getCluster('host-r.vc-zeta.zeta');
        expect(after?.token).toBe(before?.token);
        expect(after?.server).toBe(before?.server);
        const read = await until('the virtual API server after the restart', () => viaLb().readNamespace({ name: 'survivor' }), (n) => !(n instanceof Error));
        expect(read.metadata?.name).toBe('survivor');
      } finally {
        await second.stop();
      }
    } finally {
      await rm(restartDir, { recursive: true, force: true });
    }
  });
});

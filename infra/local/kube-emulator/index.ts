/**
 * Kubernetes API emulator.
 *
 * No real kube-apiserver can run on the development machine, so the `sim` cloud
 * provider and the tests talk to this emulator instead. It is an HTTPS server that the
 * real `@kubernetes/client-node` (or kubectl) uses through an ordinary kubeconfig.
 * One server hosts any number of isolated emulated clusters, each served under
 * `https://<host>:<port>/clusters/<name>` with its own bearer token, object store and
 * resourceVersion sequence. See README.md for what is emulated and where the emulator
 * knowingly differs from a real API server.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { dumpYaml, KubeConfig } from '@kubernetes/client-node';
import { ClusterState } from './cluster.ts';
import type { ClusterSnapshot } from './cluster.ts';
import { Controllers } from './controllers.ts';
import type { KubeObject } from './json.ts';
import { kubeTimestamp } from './json.ts';
import { generateCertificateAuthority, issueServingCertificate } from './pki.ts';
import type { CertificateAuthority } from './pki.ts';
import { resourceOfKind } from './resources.ts';
import { createRouter } from './server.ts';

export interface KubeEmulatorOptions {
  /** Directory for the CA (`ca.crt`, `ca.key`) and one `<cluster>.json` per cluster. Memory-only when omitted. */
  dataDir?: string;
  /** Port to listen on. Defaults to the port used last time with this dataDir, else a random free port. */
  port?: number;
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** How long simulated pods/PVCs take to become ready, in ms (default 300). */
  readyDelayMs?: number;
  /** Debounce for persisting cluster state to dataDir, in ms (default 100). */
  persistDebounceMs?: number;
}

export interface CreateClusterOptions {
  /** Reported by `/version` (default v1.33.1). */
  kubernetesVersion?: string;
  /** Number of simulated Ready nodes (default 1). */
  nodes?: number;
}

export interface KubeconfigOptions {
  /** Default namespace of the kubeconfig context (default "default"). */
  namespace?: string;
}

export interface EmulatedCluster {
  readonly name: string;
  /** `https://<host>:<port>/clusters/<name>` */
  readonly server: string;
  readonly token: string;
  readonly kubernetesVersion: string;
  kubeconfig(options?: KubeconfigOptions): string;
  kubeConfigObject(options?: KubeconfigOptions): KubeConfig;
}

export interface KubeEmulator {
  /** Base URL of the emulator, e.g. `https://127.0.0.1:6443`. */
  readonly url: string;
  /** PEM of the CA that signed the serving certificate. */
  readonly caPem: string;
  readonly dataDir: string | undefined;
  /** Creates (or returns the existing) isolated cluster `name`. */
  createCluster(name: string, options?: CreateClusterOptions): EmulatedCluster;
  getCluster(name: string): EmulatedCluster | undefined;
  listClusters(): EmulatedCluster[];
  /** Deletes a cluster and its persisted state. Resolves false when it did not exist. */
  deleteCluster(name: string): Promise<boolean>;
  /** YAML kubeconfig for cluster `name` (certificate-authority-data, server, token). */
  kubeconfig(name: string, options?: KubeconfigOptions): string;
  /** A client-node KubeConfig loaded from `kubeconfig(name)`. */
  kubeConfigObject(name: string, options?: KubeconfigOptions): KubeConfig;
  /** Waits until pending state has been written to dataDir. */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

const CLUSTER_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,126}[A-Za-z0-9])?$/;
const SERVER_STATE_FILE = '_server.json';
const DEFAULT_KUBERNETES_VERSION = 'v1.33.1';

function loadOrCreateCa(dataDir: string | undefined): CertificateAuthority {
  if (!dataDir) return generateCertificateAuthority();
  const certPath = join(dataDir, 'ca.crt');
  const keyPath = join(dataDir, 'ca.key');
  if (existsSync(certPath) && existsSync(keyPath)) {
    return { certPem: readFileSync(certPath, 'utf8'), keyPem: readFileSync(keyPath, 'utf8') };
  }
  const ca = generateCertificateAuthority();
  writeFileSync(keyPath, ca.keyPem, { mode: 0o600 });
  writeFileSync(certPath, ca.certPem);
  return ca;
}

function savedPort(dataDir: string | undefined): number | undefined {
  if (!dataDir) return undefined;
  try {
    const state = JSON.parse(readFileSync(join(dataDir, SERVER_STATE_FILE), 'utf8')) as { port?: unknown };
    return typeof state.port === 'number' ? state.port : undefined;
  } catch {
    return undefined;
  }
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      server.off('listening', onListening);
      reject(error);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

function seedCluster(cluster: ClusterState, nodes: number): void {
  const system = 'kube-apiserver';
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    cluster.controllerWrite(
      resourceOfKind('Namespace'),
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } },
      system,
    );
  }
  for (let i = 1; i <= nodes; i++) {
    const name = nodes === 1 ? `${cluster.name}-node`.toLowerCase().slice(0, 63) : `${cluster.name}-node-${i}`.toLowerCase().slice(0, 63);
    const node: KubeObject = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        labels: {
          'kubernetes.io/hostname': name,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          'node.kubernetes.io/instance-type': 'sim.standard',
        },
      },
      spec: { podCIDR: `10.244.${i}.0/24`, podCIDRs: [`10.244.${i}.0/24`] },
      status: {
        capacity: { cpu: '4', memory: '16Gi', pods: '110', 'ephemeral-storage': '100Gi' },
        allocatable: { cpu: '4', memory: '16Gi', pods: '110', 'ephemeral-storage': '100Gi' },
        conditions: [
          { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: kubeTimestamp(), lastTransitionTime: kubeTimestamp() },
        ],
        addresses: [
          { type: 'InternalIP', address: `172.18.0.${i + 1}` },
          { type: 'Hostname', address: name },
        ],
        nodeInfo: {
          kubeletVersion: cluster.kubernetesVersion,
          containerRuntimeVersion: 'containerd://2.0.0',
          operatingSystem: 'linux',
          architecture: 'amd64',
          osImage: 'Kube Emulator Linux',
          kernelVersion: '6.8.0',
          machineID: '',
          systemUUID: '',
          bootID: '',
          kubeProxyVersion: '',
        },
      },
    };
    cluster.controllerWrite(resourceOfKind('Node'), node, system);
  }
  cluster.controllerWrite(
    resourceOfKind('Service'),
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
      spec: { type: 'ClusterIP', clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }] },
      status: { loadBalancer: {} },
    },
    system,
  );
  const clusterRoles: Array<[string, unknown[]]> = [
    ['cluster-admin', [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }, { nonResourceURLs: ['*'], verbs: ['*'] }]],
    ['admin', [{ apiGroups: ['', 'apps', 'networking.k8s.io', 'rbac.authorization.k8s.io'], resources: ['*'], verbs: ['*'] }]],
    ['edit', [{ apiGroups: ['', 'apps', 'networking.k8s.io'], resources: ['*'], verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] }]],
    ['view', [{ apiGroups: ['', 'apps', 'networking.k8s.io'], resources: ['*'], verbs: ['get', 'list', 'watch'] }]],
  ];
  for (const [name, rules] of clusterRoles) {
    cluster.controllerWrite(
      resourceOfKind('ClusterRole'),
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name, labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' }, annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' } },
        rules,
      },
      system,
    );
  }
}

export async function startKubeEmulator(options: KubeEmulatorOptions = {}): Promise<KubeEmulator> {
  const dataDir = options.dataDir;
  const host = options.host ?? '127.0.0.1';
  const readyDelayMs = options.readyDelayMs ?? 300;
  const persistDebounceMs = options.persistDebounceMs ?? 100;
  if (dataDir) mkdirSync(dataDir, { recursive: true });

  const ca = loadOrCreateCa(dataDir);
  const wildcard = host === '0.0.0.0' || host === '::';
  const advertisedHost = wildcard ? '127.0.0.1' : host;
  const serving = issueServingCertificate(ca, [
    advertisedHost,
    '127.0.0.1',
    'localhost',
    '::1',
    ...(wildcard ? [hostname()] : []),
  ]);

  const clusters = new Map<string, ClusterState>();
  const watches = new Map<ServerResponse, ClusterState>();
  const persistTimers = new Map<string, NodeJS.Timeout>();
  const writeChains = new Map<string, Promise<void>>();
  let stopped = false;

  const writeSnapshot = (cluster: ClusterState): void => {
    if (!dataDir || cluster.deleted) return;
    const file = join(dataDir, `${cluster.name}.json`);
    const payload = JSON.stringify(cluster.snapshot(), null, 2);
    const previous = writeChains.get(cluster.name) ?? Promise.resolve();
    const next = previous
      .then(async () => {
        if (cluster.deleted) return;
        const temp = `${file}.${process.pid}.tmp`;
        await writeFile(temp, payload);
        await rename(temp, file);
      })
      .catch((error: unknown) => {
        console.error(`kube-emulator: failed to persist cluster ${cluster.name}:`, error);
      });
    writeChains.set(cluster.name, next);
  };

  const schedulePersist = (cluster: ClusterState): void => {
    if (!dataDir || cluster.deleted || persistTimers.has(cluster.name)) return;
    const timer = setTimeout(() => {
      persistTimers.delete(cluster.name);
      writeSnapshot(cluster);
    }, persistDebounceMs);
    timer.unref?.();
    persistTimers.set(cluster.name, timer);
  };

  const controllers = new Controllers({ readyDelayMs, caPem: ca.certPem }, schedulePersist);

  // Load persisted clusters.
  if (dataDir) {
    for (const file of readdirSync(dataDir)) {
      if (!file.endsWith('.json') || file === SERVER_STATE_FILE) continue;
      try {
        const snapshot = JSON.parse(readFileSync(join(dataDir, file), 'utf8')) as ClusterSnapshot;
        if (snapshot.format !== 1 || !CLUSTER_NAME.test(snapshot.name)) continue;
        clusters.set(snapshot.name, new ClusterState(snapshot, controllers));
      } catch (error) {
        console.error(`kube-emulator: ignoring unreadable cluster state ${file}:`, error);
      }
    }
  }

  const server = createServer(
    { key: serving.keyPem, cert: serving.certPem },
    createRouter({
      getCluster: (name) => clusters.get(name),
      serverAddress: () => `${advertisedHost.includes(':') ? `[${advertisedHost}]` : advertisedHost}:${port}`,
      watches,
    }),
  );
  server.keepAliveTimeout = 30_000;

  const preferredPort = options.port ?? savedPort(dataDir) ?? 0;
  let port: number;
  try {
    port = await listen(server, preferredPort, host);
  } catch (error) {
    if (options.port !== undefined || preferredPort === 0 || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    port = await listen(server, 0, host);
  }
  if (dataDir) writeFileSync(join(dataDir, SERVER_STATE_FILE), JSON.stringify({ port }, null, 2));

  const url = `https://${advertisedHost.includes(':') ? `[${advertisedHost}]` : advertisedHost}:${port}`;
  for (const cluster of clusters.values()) controllers.resync(cluster);

  const kubeconfigFor = (cluster: ClusterState, kubeconfigOptions: KubeconfigOptions = {}): string => {
    const user = `${cluster.name}-admin`;
    return dumpYaml({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: cluster.name,
          cluster: {
            server: `${url}/clusters/${encodeURIComponent(cluster.name)}`,
            'certificate-authority-data': Buffer.from(ca.certPem).toString('base64'),
          },
        },
      ],
      users: [{ name: user, user: { token: cluster.token } }],
      contexts: [{ name: cluster.name, context: { cluster: cluster.name, user, namespace: kubeconfigOptions.namespace ?? 'default' } }],
      'current-context': cluster.name,
      preferences: {},
    });
  };

  const handle = (cluster: ClusterState): EmulatedCluster => ({
    name: cluster.name,
    server: `${url}/clusters/${encodeURIComponent(cluster.name)}`,
    token: cluster.token,
    kubernetesVersion: cluster.kubernetesVersion,
    kubeconfig: (kubeconfigOptions) => kubeconfigFor(cluster, kubeconfigOptions),
    kubeConfigObject: (kubeconfigOptions) => {
      const kc = new KubeConfig();
      kc.loadFromString(kubeconfigFor(cluster, kubeconfigOptions));
      return kc;
    },
  });

  const requireCluster = (name: string): ClusterState => {
    const cluster = clusters.get(name);
    if (!cluster) throw new Error(`kube-emulator: no cluster named "${name}"`);
    return cluster;
  };

  const flush = async (): Promise<void> => {
    for (const [name, timer] of persistTimers) {
      clearTimeout(timer);
      persistTimers.delete(name);
      const cluster = clusters.get(name);
      if (cluster) writeSnapshot(cluster);
    }
    await Promise.all(writeChains.values());
  };

  return {
    url,
    caPem: ca.certPem,
    dataDir,
    createCluster(name, clusterOptions = {}) {
      if (stopped) throw new Error('kube-emulator: stopped');
      if (!CLUSTER_NAME.test(name)) {
        throw new Error(`kube-emulator: invalid cluster name "${name}" (letters, digits, '-', '_' and '.', at most 128 characters)`);
      }
      const existing = clusters.get(name);
      if (existing) return handle(existing);
      const cluster = new ClusterState(
        {
          format: 1,
          name,
          token: randomBytes(32).toString('base64url'),
          kubernetesVersion: clusterOptions.kubernetesVersion ?? DEFAULT_KUBERNETES_VERSION,
          createdAt: kubeTimestamp(),
          resourceVersion: 0,
          objects: [],
        },
        controllers,
      );
      clusters.set(name, cluster);
      seedCluster(cluster, clusterOptions.nodes ?? 1);
      controllers.drain(cluster);
      return handle(cluster);
    },
    getCluster(name) {
      const cluster = clusters.get(name);
      return cluster ? handle(cluster) : undefined;
    },
    listClusters() {
      return [...clusters.values()].map(handle);
    },
    async deleteCluster(name) {
      const cluster = clusters.get(name);
      if (!cluster) return false;
      cluster.deleted = true;
      clusters.delete(name);
      for (const [res, owner] of watches) {
        if (owner !== cluster) continue;
        watches.delete(res);
        res.end();
      }
      const timer = persistTimers.get(name);
      if (timer) clearTimeout(timer);
      persistTimers.delete(name);
      await writeChains.get(name);
      writeChains.delete(name);
      if (dataDir) await rm(join(dataDir, `${name}.json`), { force: true });
      return true;
    },
    kubeconfig(name, kubeconfigOptions) {
      return kubeconfigFor(requireCluster(name), kubeconfigOptions);
    },
    kubeConfigObject(name, kubeconfigOptions) {
      return handle(requireCluster(name)).kubeConfigObject(kubeconfigOptions);
    },
    flush,
    async stop() {
      if (stopped) return;
      stopped = true;
      controllers.stop();
      for (const res of watches.keys()) res.end();
      watches.clear();
      await flush();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

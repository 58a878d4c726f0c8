/**
 * Kubernetes API emulator.
 *
 * No real kube-apiserver can run on the development machine, so the `sim` cloud
 * provider and the tests talk to this emulator instead. It serves any number of isolated
 * emulated clusters, each an HTTPS API server of its own on `https://127.0.0.1:<port>`
 * with its own bearer token, object store and resourceVersion sequence, which the real
 * `@kubernetes/client-node` and kubectl use through ordinary kubeconfigs. See README.md
 * for what is emulated and where the emulator knowingly differs from a real API server.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { dumpYaml, KubeConfig } from '@kubernetes/client-node';
import { TokenAuthority } from './auth.ts';
import { reconcileBootstrapPolicy } from './bootstrap-policy.ts';
import { ClusterState } from './cluster.ts';
import type { ClusterSnapshot, VirtualClusterOrigin } from './cluster.ts';
import { FluxController, registerCustomTypes, startControllers } from './controllers/index.ts';
import type { ControllerContext, ControllerManager } from './controllers/index.ts';
import { installFlux } from './flux-crds.ts';
import type { KubeObject } from './json.ts';
import { kubeTimestamp } from './json.ts';
import { ApiServerHost, PortPool } from './listeners.ts';
import type { Certificate } from './listeners.ts';
import { builtinDefinitions } from './openapi.ts';
import { generateCertificateAuthority, issueServingCertificate } from './pki.ts';
import type { CertificateAuthority } from './pki.ts';
import { builtinOfKind } from './resources.ts';
import { Schemas } from './schema.ts';
import { createRouter, createUpgradeHandler } from './server.ts';
import { VirtualClusters } from './vcluster.ts';

export interface KubeEmulatorOptions {
  /** Directory for the CA (`ca.crt`, `ca.key`) and one `<cluster>.json` per cluster. Memory-only when omitted. */
  dataDir?: string;
  /** Interface the API servers listen on (default 127.0.0.1). */
  host?: string;
  /** How long simulated pods/PVCs take to become ready, in ms (default 300). */
  readyDelayMs?: number;
  /** Debounce for persisting cluster state to dataDir, in ms (default 100). */
  persistDebounceMs?: number;
  /**
   * Flux in every cluster, as the platform's agent installs it (default true): the
   * HelmRepository, OCIRepository and HelmRelease CRDs and their source- and
   * helm-controller (controllers/flux.ts).
   */
  flux?: boolean;
}

export interface CreateClusterOptions {
  /** Reported by `/version`; a version without a patch number (`v1.31`) gets `.0`. Default v1.33.1. */
  kubernetesVersion?: string;
  /** Number of simulated Ready nodes (default 1), when `nodePools` does not say. */
  nodes?: number;
  /** The nodes pool by pool, with their size, GPUs, labels and taints (a sim cluster's node pools). */
  nodePools?: SeedNodePool[];
}

export interface SeedNodePool {
  name: string;
  count: number;
  instanceType: string;
  cpu: number;
  memoryMiB: number;
  storageGiB: number;
  /** `nvidia.com/gpu` capacity per node. */
  gpu: number;
  labels?: Record<string, string>;
  taints?: Array<{ key: string; value?: string; effect: string }>;
}

/** The nodes of a cluster created without pools: `nodes` of one standard size. */
const standardPool = (count: number): SeedNodePool => ({ name: '', count, instanceType: 'sim.standard', cpu: 4, memoryMiB: 16 * 1024, storageGiB: 100, gpu: 0 });

export interface KubeconfigOptions {
  /** Default namespace of the kubeconfig context (default "default"). */
  namespace?: string;
}

export interface EmulatedCluster {
  readonly name: string;
  /** `https://127.0.0.1:<port>`: the cluster's own API server. */
  readonly server: string;
  readonly token: string;
  readonly kubernetesVersion: string;
  /** For a virtual cluster: the StatefulSet on a host cluster that runs its control plane. */
  readonly virtual: VirtualClusterOrigin | undefined;
  kubeconfig(options?: KubeconfigOptions): string;
  kubeConfigObject(options?: KubeconfigOptions): KubeConfig;
}

export interface KubeEmulator {
  /** PEM of the CA that signed every API server's certificate. */
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
  /** Takes a cluster's API server off the network (an outage: connections are refused) or back; its state is kept. */
  setServing(name: string, serving: boolean): Promise<void>;
  /** Waits until pending state has been written to dataDir. */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

const CLUSTER_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,251}[A-Za-z0-9])?$/;
const DEFAULT_KUBERNETES_VERSION = 'v1.33.1';
const LOCAL_NAMES = ['127.0.0.1', 'localhost', '::1'];

/** `1.31` and `v1.31` become `v1.31.0`: kubectl wants full semver in `gitVersion`. */
export function fullVersion(version: string): string {
  const bare = version.replace(/^v/, '');
  const parts = bare.split(/[-+]/)[0]?.split('.') ?? [];
  while (parts.length < 3) parts.push('0');
  return `v${parts.join('.')}${bare.slice((bare.split(/[-+]/)[0] ?? '').length)}`;
}

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

/**
 * The Node a pool's n-th machine shows (the i-th of `total` in its cluster): what a kubelet
 * registers, Ready, with the pool's size, GPUs, labels and taints. Exported for the
 * simulated edge hosts, which register their own Node when they join a running cluster.
 */
export function emulatedNode(cluster: { name: string; kubernetesVersion: string }, pool: SeedNodePool, at: { n: number; i: number; total: number }): KubeObject {
  const { n, i, total } = at;
  const base = pool.name ? `${cluster.name}-${pool.name}-${n}` : total === 1 ? `${cluster.name}-node` : `${cluster.name}-node-${i}`;
  const name = base.toLowerCase().slice(0, 63);
  const capacity = {
    cpu: String(pool.cpu),
    memory: `${pool.memoryMiB}Mi`,
    pods: '110',
    'ephemeral-storage': `${pool.storageGiB}Gi`,
    ...(pool.gpu > 0 ? { 'nvidia.com/gpu': String(pool.gpu) } : {}),
  };
  const node: KubeObject = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node.kubernetes.io/instance-type': pool.instanceType,
        ...pool.labels,
      },
    },
    spec: { podCIDR: `10.244.${i}.0/24`, podCIDRs: [`10.244.${i}.0/24`], ...(pool.taints?.length ? { taints: pool.taints } : {}) },
    status: {
      capacity,
      allocatable: capacity,
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
  return node;
}

function seedCluster(cluster: ClusterState, pools: SeedNodePool[]): void {
  const system = 'kube-apiserver';
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    cluster.controllerWrite(
      builtinOfKind('Namespace'),
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } },
      system,
    );
  }
  const total = pools.reduce((n, p) => n + p.count, 0);
  let i = 0;
  for (const pool of pools) for (let n = 1; n <= pool.count; n++) {
    i += 1;
    cluster.controllerWrite(builtinOfKind('Node'), emulatedNode(cluster, pool, { n, i, total }), system);
  }
  cluster.controllerWrite(
    builtinOfKind('Service'),
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
      spec: { type: 'ClusterIP', clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }] },
      status: { loadBalancer: {} },
    },
    system,
  );
  reconcileBootstrapPolicy(cluster, system);
}

/** One emulated cluster together with the API server that serves it. */
export interface Hosted {
  state: ClusterState;
  host: ApiServerHost;
  /** While false the API server does not answer (a paused virtual cluster). */
  running: boolean;
}

/** What the parts of the emulator (the virtual-cluster controller) can ask of it. */
export interface EmulatorInternals {
  readonly caPem: string;
  hosted(name: string): Hosted | undefined;
  createHosted(name: string, options: CreateClusterOptions & { virtual?: VirtualClusterOrigin }): Hosted;
  deleteCluster(name: string): Promise<boolean>;
  /** Stops or restarts answering on a cluster's own port, keeping its state. */
  setRunning(name: string, running: boolean): Promise<void>;
  /** A serving certificate for the cluster's own names plus `extraNames`. */
  certificateFor(extraNames: string[]): Certificate;
  schedulePersist(cluster: ClusterState): void;
  kubeconfig(name: string, options?: KubeconfigOptions): string;
}

export async function startKubeEmulator(options: KubeEmulatorOptions = {}): Promise<KubeEmulator> {
  const dataDir = options.dataDir;
  const host = options.host ?? '127.0.0.1';
  const readyDelayMs = options.readyDelayMs ?? 300;
  const persistDebounceMs = options.persistDebounceMs ?? 100;
  const flux = options.flux ?? true;
  if (dataDir) mkdirSync(dataDir, { recursive: true });

  const ca = loadOrCreateCa(dataDir);
  const authority = new TokenAuthority(ca.keyPem);
  const wildcard = host === '0.0.0.0' || host === '::';
  const advertisedHost = wildcard ? '127.0.0.1' : host;
  const localNames = [advertisedHost, ...LOCAL_NAMES, ...(wildcard ? [hostname()] : [])];
  const certificateFor = (extraNames: string[]): Certificate => issueServingCertificate(ca, [...localNames, ...extraNames]);
  const serving = certificateFor([]);
  const definitions = await builtinDefinitions();
  const schemas = new Schemas(definitions);
  const ports = new PortPool(host);
  await ports.fill();

  const clusters = new Map<string, Hosted>();
  const watches = new Map<ServerResponse, ClusterState>();
  const persistTimers = new Map<string, NodeJS.Timeout>();
  const writeChains = new Map<string, Promise<void>>();
  let stopped = false;

  const fileOf = (name: string): string => join(dataDir ?? '', `${name}.json`);
  const writeSnapshot = (cluster: ClusterState): void => {
    if (!dataDir || cluster.deleted) return;
    const file = fileOf(cluster.name);
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

  let virtualClusters: VirtualClusters | undefined;
  const controllers: ControllerManager = startControllers({ readyDelayMs, caPem: ca.certPem }, schedulePersist, [
    (context) => {
      virtualClusters = new VirtualClusters(context, () => internals);
      return virtualClusters;
    },
    ...(flux ? [(context: ControllerContext) => new FluxController(context)] : []),
  ]);
  const environment = { hooks: controllers, schemas };

  const serverUrl = (cluster: ClusterState): string => `https://${advertisedHost.includes(':') ? `[${advertisedHost}]` : advertisedHost}:${cluster.port ?? 0}`;

  const hostFor = (state: ClusterState, certificate: Certificate): ApiServerHost => {
    const router = {
      cluster: () => {
        const hosted = clusters.get(state.name);
        return hosted && hosted.state === state && hosted.running && !state.deleted ? state : undefined;
      },
      serverAddress: () => `${advertisedHost.includes(':') ? `[${advertisedHost}]` : advertisedHost}:${state.port ?? 0}`,
      watches,
      authority,
      definitions,
    };
    return new ApiServerHost(certificate, createRouter(router), createUpgradeHandler(router));
  };

  /** Puts a cluster's API server on its own port: the one it had, else a new one. */
  const bindOwnPort = async (hosted: Hosted): Promise<void> => {
    const wanted = hosted.state.port;
    if (wanted !== undefined) {
      try {
        await hosted.host.listen('own', host, wanted);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
        console.error(`kube-emulator: port ${wanted} of cluster ${hosted.state.name} is taken; it gets a new one`);
      }
    }
    hosted.state.port = await hosted.host.listen('own', host, 0);
    schedulePersist(hosted.state);
  };

  /** Synchronously: a listener from the pool when there is one, else a port bound in the background. */
  const attachNewPort = (hosted: Hosted): void => {
    const taken = ports.take();
    if (taken) {
      hosted.host.adopt('own', taken.server);
      hosted.state.port = taken.port;
      return;
    }
    const used = new Set([...clusters.values()].map((c) => c.state.port));
    let candidate = 20000 + Math.floor(Math.random() * 12000);
    while (used.has(candidate)) candidate++;
    hosted.state.port = candidate;
    void bindOwnPort(hosted).catch((error: unknown) => console.error(`kube-emulator: cluster ${hosted.state.name} could not listen:`, error));
  };

  const kubeconfigFor = (cluster: ClusterState, kubeconfigOptions: KubeconfigOptions = {}): string => {
    const user = `${cluster.name}-admin`;
    return dumpYaml({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: cluster.name, cluster: { server: serverUrl(cluster), 'certificate-authority-data': Buffer.from(ca.certPem).toString('base64') } }],
      users: [{ name: user, user: { token: cluster.token } }],
      contexts: [{ name: cluster.name, context: { cluster: cluster.name, user, namespace: kubeconfigOptions.namespace ?? 'default' } }],
      'current-context': cluster.name,
      preferences: {},
    });
  };

  const handle = (cluster: ClusterState): EmulatedCluster => ({
    name: cluster.name,
    get server() {
      return serverUrl(cluster);
    },
    token: cluster.token,
    kubernetesVersion: cluster.kubernetesVersion,
    virtual: cluster.virtual,
    kubeconfig: (kubeconfigOptions) => kubeconfigFor(cluster, kubeconfigOptions),
    kubeConfigObject: (kubeconfigOptions) => {
      const kc = new KubeConfig();
      kc.loadFromString(kubeconfigFor(cluster, kubeconfigOptions));
      return kc;
    },
  });

  const requireCluster = (name: string): ClusterState => {
    const hosted = clusters.get(name);
    if (!hosted) throw new Error(`kube-emulator: no cluster named "${name}"`);
    return hosted.state;
  };

  const createHosted = (name: string, clusterOptions: CreateClusterOptions & { virtual?: VirtualClusterOrigin } = {}): Hosted => {
    if (stopped) throw new Error('kube-emulator: stopped');
    if (!CLUSTER_NAME.test(name)) {
      throw new Error(`kube-emulator: invalid cluster name "${name}" (letters, digits, '-', '_' and '.', at most 253 characters)`);
    }
    const existing = clusters.get(name);
    if (existing) return existing;
    const state = new ClusterState(
      {
        format: 1,
        name,
        token: randomBytes(32).toString('base64url'),
        kubernetesVersion: fullVersion(clusterOptions.kubernetesVersion ?? DEFAULT_KUBERNETES_VERSION),
        createdAt: kubeTimestamp(),
        resourceVersion: 0,
        ...(clusterOptions.virtual ? { virtual: clusterOptions.virtual } : {}),
        objects: [],
      },
      environment,
      registerCustomTypes,
    );
    const hosted: Hosted = { state, host: hostFor(state, serving), running: true };
    clusters.set(name, hosted);
    attachNewPort(hosted);
    seedCluster(state, clusterOptions.nodePools?.length ? clusterOptions.nodePools : [standardPool(clusterOptions.nodes ?? 1)]);
    if (flux) installFlux(state);
    controllers.drain(state);
    schedulePersist(state);
    return hosted;
  };

  const deleteCluster = async (name: string): Promise<boolean> => {
    const hosted = clusters.get(name);
    if (!hosted) return false;
    const cluster = hosted.state;
    cluster.deleted = true;
    clusters.delete(name);
    controllers.forget(cluster);
    for (const [res, owner] of watches) {
      if (owner !== cluster) continue;
      watches.delete(res);
      res.end();
    }
    const timer = persistTimers.get(name);
    if (timer) clearTimeout(timer);
    persistTimers.delete(name);
    await hosted.host.close();
    await writeChains.get(name);
    writeChains.delete(name);
    if (dataDir) await rm(fileOf(name), { force: true });
    await virtualClusters?.forgetCluster(name);
    return true;
  };

  const internals: EmulatorInternals = {
    caPem: ca.certPem,
    hosted: (name) => clusters.get(name),
    createHosted,
    deleteCluster,
    async setRunning(name, running) {
      const hosted = clusters.get(name);
      if (!hosted || hosted.running === running) return;
      hosted.running = running;
      if (!running) {
        for (const [res, owner] of watches) {
          if (owner !== hosted.state) continue;
          watches.delete(res);
          res.destroy();
        }
        await hosted.host.close();
        return;
      }
      hosted.host.reopen();
      await bindOwnPort(hosted);
    },
    certificateFor,
    schedulePersist,
    kubeconfig: (name, kubeconfigOptions) => kubeconfigFor(requireCluster(name), kubeconfigOptions),
  };

  // Load persisted clusters, then give each its API server back.
  if (dataDir) {
    for (const file of readdirSync(dataDir)) {
      if (!file.endsWith('.json')) continue;
      try {
        const snapshot = JSON.parse(readFileSync(join(dataDir, file), 'utf8')) as ClusterSnapshot;
        if (snapshot.format !== 1 || !CLUSTER_NAME.test(snapshot.name)) continue;
        snapshot.kubernetesVersion = fullVersion(snapshot.kubernetesVersion);
        const state = new ClusterState(snapshot, environment, registerCustomTypes);
        clusters.set(snapshot.name, { state, host: hostFor(state, serving), running: snapshot.virtual === undefined });
      } catch (error) {
        console.error(`kube-emulator: ignoring unreadable cluster state ${file}:`, error);
      }
    }
    await Promise.all([...clusters.values()].filter((c) => c.running).map(bindOwnPort));
  }
  for (const hosted of clusters.values()) {
    // As kube-apiserver does on start: the RBAC bootstrap policy is reconciled.
    reconcileBootstrapPolicy(hosted.state, 'kube-apiserver');
    // Clusters saved before Flux was installed (or with an older one) get it now.
    if (flux) installFlux(hosted.state);
    controllers.resync(hosted.state);
  }

  const flush = async (): Promise<void> => {
    for (const [name, timer] of persistTimers) {
      clearTimeout(timer);
      persistTimers.delete(name);
      const hosted = clusters.get(name);
      if (hosted) writeSnapshot(hosted.state);
    }
    await Promise.all(writeChains.values());
  };

  return {
    caPem: ca.certPem,
    dataDir,
    createCluster(name, clusterOptions = {}) {
      return handle(createHosted(name, clusterOptions).state);
    },
    getCluster(name) {
      const hosted = clusters.get(name);
      return hosted ? handle(hosted.state) : undefined;
    },
    listClusters() {
      return [...clusters.values()].map((c) => handle(c.state));
    },
    deleteCluster,
    kubeconfig(name, kubeconfigOptions) {
      return kubeconfigFor(requireCluster(name), kubeconfigOptions);
    },
    kubeConfigObject(name, kubeconfigOptions) {
      return handle(requireCluster(name)).kubeConfigObject(kubeconfigOptions);
    },
    async setServing(name, serving) {
      requireCluster(name);
      await internals.setRunning(name, serving);
    },
    flush,
    async stop() {
      if (stopped) return;
      stopped = true;
      controllers.stop();
      for (const res of watches.keys()) res.end();
      watches.clear();
      await flush();
      await Promise.all([...clusters.values()].map((c) => c.host.close()));
      await virtualClusters?.stop();
      await ports.stop();
    },
  };
}


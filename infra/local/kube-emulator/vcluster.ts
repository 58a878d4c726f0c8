/**
 * vcluster, emulated. A StatefulSet on a host cluster labelled `app: vcluster` and
 * `release: <name>` is the control plane of virtual cluster `<name>`; the emulator makes
 * that virtual cluster one more emulated cluster (`<host>.<namespace>.<name>`, its own
 * port and token) and behaves as vcluster does around it:
 *
 * - While the StatefulSet has a ready replica the virtual API server answers, and Secret
 *   `vc-<name>` holds its kubeconfig (`server: https://localhost:8443`, as vcluster
 *   writes it), token and CA. At zero replicas it stops answering and keeps its state.
 * - A LoadBalancer Service selecting the control-plane pods gets a loopback address of
 *   its own (`127.x.y.z`) on which the virtual API server is served; an Ingress with SSL
 *   passthrough routing a host to such a Service gets the host cluster's ingress
 *   address, where TLS is routed by server name to the virtual API server. When the
 *   service port is privileged and cannot be bound, an unprivileged port is used and
 *   published as `status.loadBalancer.ingress[0].ports[0].port`.
 * - The syncer: pods of the virtual cluster appear in the host namespace as
 *   `<pod>-x-<namespace>-x-<name>` with vcluster's labels and their resources, created
 *   through the host's admission, so the host's LimitRanges default them and its quotas
 *   count and refuse them. A refusal is a `SyncError` Warning event on the virtual pod,
 *   as vcluster's pod-syncer records it, and the pod is synced again later. Nothing is
 *   synced while the control plane is paused.
 * - Deleting the StatefulSet (or its namespace) deletes the virtual cluster.
 */
import { createHash } from 'node:crypto';
import { createServer as createTcpServer } from 'node:net';
import type { Server as TcpServer } from 'node:net';
import { dumpYaml } from '@kubernetes/client-node';
import type { ClusterState, StoreEvent } from './cluster.ts';
import { RetryBackoff, specOf, statusOf } from './controllers/base.ts';
import type { Controller, ControllerContext } from './controllers/base.ts';
import { ApiError } from './errors.ts';
import type { EmulatorInternals } from './index.ts';
import { clone, deepEqual, isObject } from './json.ts';
import type { JsonObject, KubeObject } from './json.ts';
import { listen, sniRouter } from './listeners.ts';
import { builtinOfKind } from './resources.ts';

const POD = builtinOfKind('Pod');
const SECRET = builtinOfKind('Secret');
const SERVICE = builtinOfKind('Service');
const INGRESS = builtinOfKind('Ingress');
const STATEFUL_SET = builtinOfKind('StatefulSet');
const MANAGER = 'vcluster';
const SYNCER = 'vcluster-syncer';
const PASSTHROUGH = 'nginx.ingress.kubernetes.io/ssl-passthrough';
const MANAGED_BY = 'vcluster.loft.sh/managed-by';

/** vcluster's `translate.SafeConcatName`: names longer than 63 characters end in a hash. */
export function safeConcatName(...parts: string[]): string {
  const full = parts.join('-');
  if (full.length <= 63) return full;
  const digest = createHash('sha256').update(full).digest('hex');
  return `${full.slice(0, 52)}-${digest.slice(0, 10)}`.replaceAll('.-', '-');
}

export const virtualClusterName = (host: string, namespace: string, name: string): string => `${host}.${namespace}.${name}`;

const labelsOf = (object: KubeObject | undefined): Record<string, string> => object?.metadata.labels ?? {};
const isControlPlane = (object: KubeObject): boolean => object.kind === 'StatefulSet' && labelsOf(object).app === 'vcluster' && !!labelsOf(object).release;

function podLabelsOf(statefulSet: KubeObject): Record<string, string> {
  const template = isObject(specOf(statefulSet).template) ? (specOf(statefulSet).template as JsonObject) : {};
  const metadata = isObject(template.metadata) ? template.metadata : {};
  return isObject(metadata.labels) ? (metadata.labels as Record<string, string>) : {};
}

const selects = (selector: unknown, labels: Record<string, string>): boolean =>
  isObject(selector) && Object.keys(selector).length > 0 && Object.entries(selector).every(([key, value]) => labels[key] === value);

/** One address a virtual API server is served on, beyond its own port. */
interface Exposure {
  ip: string;
  /** The port the Service or Ingress asks for. */
  wanted: number;
  /** The port actually listened on. */
  bound?: number;
}

interface VirtualCluster {
  name: string;
  host: string;
  namespace: string;
  release: string;
  /** Load balancer addresses, by `<namespace>/<service>`. */
  loadBalancers: Map<string, Exposure>;
  /** Host names routed here through the host cluster's ingress address. */
  ingressHosts: Set<string>;
  certificateNames: string;
}

/** The ingress address of a host cluster and its SNI listener. */
interface IngressPoint {
  ip: string;
  wanted: number;
  bound?: number;
  server?: TcpServer;
}

export class VirtualClusters implements Controller {
  private readonly clusters = new Map<string, VirtualCluster>();
  private readonly ingressPoints = new Map<string, IngressPoint>();
  private readonly usedAddresses = new Set<string>(['127.0.0.1']);
  private readonly syncRetries = new RetryBackoff();
  private stopped = false;

  constructor(
    private readonly context: ControllerContext,
    private readonly emulator: () => EmulatorInternals,
  ) {}

  observe(cluster: ClusterState, object: KubeObject, event: StoreEvent | undefined): void {
    if (this.stopped) return;
    const namespace = object.metadata.namespace ?? '';
    if (cluster.virtual) {
      if (object.kind === 'Pod') this.context.enqueue(cluster, `vcluster-sync/${namespace}/${object.metadata.name ?? ''}`, () => this.syncPod(cluster, namespace, object.metadata.name ?? ''));
      return;
    }
    if (isControlPlane(object) || (event?.type === 'DELETED' && object.kind === 'StatefulSet' && isControlPlane(event.previous ?? object))) {
      const release = labelsOf(object).release ?? '';
      this.context.enqueue(cluster, `vcluster/${namespace}/${object.metadata.name ?? ''}`, () => this.reconcile(cluster, namespace, object.metadata.name ?? '', release));
    } else if (object.kind === 'Service' || object.kind === 'Ingress') {
      for (const statefulSet of cluster.scan(STATEFUL_SET, namespace).filter(isControlPlane)) {
        const name = statefulSet.metadata.name ?? '';
        this.context.enqueue(cluster, `vcluster/${namespace}/${name}`, () => this.reconcile(cluster, namespace, name, labelsOf(statefulSet).release ?? ''));
      }
      if (object.kind === 'Ingress' && event?.type === 'DELETED') this.context.enqueue(cluster, `vcluster-ingress/${cluster.name}`, () => this.reconcileIngressPoint(cluster));
    }
  }

  private reconcile(host: ClusterState, namespace: string, statefulSetName: string, release: string): void {
    const name = virtualClusterName(host.name, namespace, release || statefulSetName);
    const statefulSet = host.peek(STATEFUL_SET, namespace, statefulSetName);
    const internals = this.emulator();
    if (!statefulSet || statefulSet.metadata.deletionTimestamp || !isControlPlane(statefulSet)) {
      if (internals.hosted(name)) void this.remove(host, name);
      return;
    }
    const ready = (typeof statusOf(statefulSet).readyReplicas === 'number' ? (statusOf(statefulSet).readyReplicas as number) : 0) > 0;
    const existing = internals.hosted(name);
    if (!existing && !ready) return;
    let state = this.clusters.get(name);
    if (!state) {
      state = { name, host: host.name, namespace, release, loadBalancers: new Map(), ingressHosts: new Set(), certificateNames: '' };
      this.clusters.set(name, state);
    }
    const hosted = existing ?? internals.createHosted(name, { kubernetesVersion: host.kubernetesVersion, virtual: { host: host.name, namespace, name: release } });
    if (ready && !hosted.running) void this.resume(host, hosted.state, state);
    if (!ready && hosted.running) {
      // Pausing closes every listener of the virtual API server; resuming binds them anew.
      for (const exposure of state.loadBalancers.values()) exposure.bound = undefined;
      void internals.setRunning(name, false);
      return;
    }
    if (!ready) return;
    this.writeSecret(host, namespace, release, hosted.state);
    this.expose(host, statefulSet, state);
  }

  private async resume(host: ClusterState, virtual: ClusterState, state: VirtualCluster): Promise<void> {
    await this.emulator().setRunning(virtual.name, true);
    this.context.later(host, 0, `vcluster/${state.namespace}/${state.release}`, () => {
      for (const statefulSet of host.scan(STATEFUL_SET, state.namespace).filter(isControlPlane)) {
        if (labelsOf(statefulSet).release === state.release) this.reconcile(host, state.namespace, statefulSet.metadata.name ?? '', state.release);
      }
    });
    // Pods created before the pause come back on the host.
    this.context.later(virtual, 0, 'vcluster-resync', () => {
      for (const pod of virtual.scan(POD)) this.syncPod(virtual, pod.metadata.namespace ?? '', pod.metadata.name ?? '');
    });
  }

  private writeSecret(host: ClusterState, namespace: string, release: string, virtual: ClusterState): void {
    const internals = this.emulator();
    const user = `vcluster-${release}`;
    const config = dumpYaml({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: `vcluster_${release}_${namespace}`, cluster: { server: 'https://localhost:8443', 'certificate-authority-data': Buffer.from(internals.caPem).toString('base64') } }],
      users: [{ name: user, user: { token: virtual.token } }],
      contexts: [{ name: `vcluster_${release}_${namespace}`, context: { cluster: `vcluster_${release}_${namespace}`, user } }],
      'current-context': `vcluster_${release}_${namespace}`,
      preferences: {},
    });
    const data = {
      config: Buffer.from(config).toString('base64'),
      token: Buffer.from(virtual.token).toString('base64'),
      'certificate-authority': Buffer.from(internals.caPem).toString('base64'),
    };
    const name = `vc-${release}`;
    const existing = host.peek(SECRET, namespace, name);
    if (existing && deepEqual(existing.data, data)) return;
    host.controllerWrite(
      SECRET,
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { ...(existing ? clone(existing.metadata) : {}), name, namespace, labels: { app: 'vcluster', release, 'vcluster.loft.sh/kubeconfig': 'true' } },
        type: 'Opaque',
        data,
      },
      MANAGER,
    );
  }

  /** A loopback address no one uses yet, stable for `seed` when free. */
  private allocateAddress(seed: string): string {
    const digest = createHash('sha256').update(seed).digest();
    for (let attempt = 0; attempt < 5000; attempt++) {
      const a = ((digest[0] ?? 0) + attempt) % 254 + 1;
      const b = ((digest[1] ?? 0) + attempt * 7) % 256;
      const c = ((digest[2] ?? 0) + attempt * 13) % 254 + 1;
      const ip = `127.${a}.${b}.${c}`;
      if (!this.usedAddresses.has(ip)) {
        this.usedAddresses.add(ip);
        return ip;
      }
    }
    throw new Error('kube-emulator: no loopback address left');
  }

  /** Binds `ip:port`; a privileged port that may not be bound falls back to an unprivileged one. */
  private async bindOn(bindPort: (port: number) => Promise<number>, wanted: number): Promise<number> {
    try {
      return await bindPort(wanted);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EACCES' || (error as NodeJS.ErrnoException).code === 'EADDRINUSE') return bindPort(0);
      throw error;
    }
  }

  private expose(host: ClusterState, statefulSet: KubeObject, state: VirtualCluster): void {
    const internals = this.emulator();
    const hosted = internals.hosted(state.name);
    if (!hosted?.running) return;
    const podLabels = podLabelsOf(statefulSet);
    const services = host.scan(SERVICE, state.namespace).filter((s) => selects(specOf(s).selector, podLabels));
    const seen = new Set<string>();
    for (const service of services) {
      if (specOf(service).type !== 'LoadBalancer') continue;
      const key = `${state.namespace}/${service.metadata.name ?? ''}`;
      seen.add(key);
      const ports = Array.isArray(specOf(service).ports) ? (specOf(service).ports as JsonObject[]) : [];
      const wanted = typeof ports[0]?.port === 'number' ? (ports[0].port as number) : 443;
      const ingress = Array.isArray((statusOf(service).loadBalancer as JsonObject | undefined)?.ingress) ? ((statusOf(service).loadBalancer as JsonObject).ingress as JsonObject[]) : [];
      let exposure = state.loadBalancers.get(key);
      if (!exposure || exposure.wanted !== wanted) {
        const known = typeof ingress[0]?.ip === 'string' ? (ingress[0].ip as string) : undefined;
        const ip = known ?? exposure?.ip ?? this.allocateAddress(`${host.name}/${key}`);
        this.usedAddresses.add(ip);
        exposure = { ip, wanted };
        state.loadBalancers.set(key, exposure);
      }
      if (exposure.bound === undefined) {
        const current = exposure;
        const listenerKey = `lb:${key}`;
        current.bound = -1;
        void this.bindOn((port) => hosted.host.listen(listenerKey, current.ip, port), wanted)
          .then((port) => {
            current.bound = port;
            this.context.later(host, 0, `vcluster-lb/${key}`, () => this.publishServiceStatus(host, state.namespace, service.metadata.name ?? '', current));
          })
          .catch((error: unknown) => {
            current.bound = undefined;
            console.error(`kube-emulator: cannot serve virtual cluster ${state.name} on ${current.ip}:${wanted}:`, error);
          });
      }
      this.publishServiceStatus(host, state.namespace, service.metadata.name ?? '', exposure);
    }
    for (const [key, exposure] of state.loadBalancers) {
      if (seen.has(key)) continue;
      state.loadBalancers.delete(key);
      this.usedAddresses.delete(exposure.ip);
      void hosted.host.closeListener(`lb:${key}`);
    }
    const serviceNames = new Set(services.map((s) => s.metadata.name ?? ''));
    state.ingressHosts = new Set(
      host
        .scan(INGRESS, state.namespace)
        .filter((ingress) => ingress.metadata.annotations?.[PASSTHROUGH] === 'true')
        .flatMap((ingress) =>
          (Array.isArray(specOf(ingress).rules) ? (specOf(ingress).rules as JsonObject[]) : [])
            .filter((rule) => typeof rule.host === 'string' && ingressBackends(rule).some((backend) => serviceNames.has(backend)))
            .map((rule) => String(rule.host)),
        ),
    );
    this.updateCertificate(state);
    this.reconcileIngressPoint(host);
  }

  private publishServiceStatus(host: ClusterState, namespace: string, name: string, exposure: Exposure): void {
    const service = host.peek(SERVICE, namespace, name);
    if (!service) return;
    const entry: JsonObject = { ip: exposure.ip, ipMode: 'VIP' };
    if (exposure.bound !== undefined && exposure.bound > 0 && exposure.bound !== exposure.wanted) entry.ports = [{ port: exposure.bound, protocol: 'TCP' }];
    const status = { ...statusOf(service), loadBalancer: { ingress: [entry] } };
    if (deepEqual(service.status, status)) return;
    host.controllerWrite(SERVICE, { ...clone(service), status }, 'service-controller', 'status');
  }

  private updateCertificate(state: VirtualCluster): void {
    const names = [...[...state.loadBalancers.values()].map((e) => e.ip), ...state.ingressHosts].sort();
    const key = names.join(',');
    if (key === state.certificateNames) return;
    state.certificateNames = key;
    this.emulator().hosted(state.name)?.host.setCertificate(this.emulator().certificateFor(names));
  }

  /** The host cluster's ingress address: allocated, listened on and published while a passthrough Ingress needs it. */
  private reconcileIngressPoint(host: ClusterState): void {
    const routes = [...this.clusters.values()].filter((vc) => vc.host === host.name && vc.ingressHosts.size > 0);
    const ingresses = host.scan(INGRESS).filter((ingress) => ingress.metadata.annotations?.[PASSTHROUGH] === 'true');
    const routed = ingresses.filter((ingress) => routes.some((vc) => vc.namespace === ingress.metadata.namespace && ingressHostsOf(ingress).some((h) => vc.ingressHosts.has(h))));
    let point = this.ingressPoints.get(host.name);
    if (routed.length === 0) {
      if (point) {
        point.server?.close();
        this.usedAddresses.delete(point.ip);
        this.ingressPoints.delete(host.name);
      }
      return;
    }
    if (!point) {
      const published = routed
        .map((ingress) => ((statusOf(ingress).loadBalancer as JsonObject | undefined)?.ingress as JsonObject[] | undefined)?.[0]?.ip)
        .find((ip): ip is string => typeof ip === 'string');
      const ip = published ?? this.allocateAddress(`${host.name}/ingress`);
      this.usedAddresses.add(ip);
      point = { ip, wanted: 443 };
      this.ingressPoints.set(host.name, point);
      const current = point;
      const server = createTcpServer(
        sniRouter((serverName) => {
          const target = [...this.clusters.values()].find((vc) => vc.host === host.name && serverName !== undefined && vc.ingressHosts.has(serverName));
          const hosted = target ? this.emulator().hosted(target.name) : undefined;
          return hosted?.running ? hosted.state.port : undefined;
        }),
      );
      current.server = server;
      void this.bindOn((port) => listen(server, port, current.ip), current.wanted)
        .then((port) => {
          current.bound = port;
          this.context.later(host, 0, `vcluster-ingress/${host.name}`, () => this.reconcileIngressPoint(host));
        })
        .catch((error: unknown) => console.error(`kube-emulator: cannot listen on the ingress address ${current.ip}:`, error));
    }
    for (const ingress of routed) {
      const entry: JsonObject = { ip: point.ip };
      if (point.bound !== undefined && point.bound !== point.wanted) entry.ports = [{ port: point.bound, protocol: 'TCP' }];
      const status = { ...statusOf(ingress), loadBalancer: { ingress: [entry] } };
      if (deepEqual(ingress.status, status)) continue;
      host.controllerWrite(INGRESS, { ...clone(ingress), status }, 'ingress-nginx', 'status');
    }
  }

  /** Mirrors a virtual cluster's pod into its host namespace, or removes the mirror. */
  private syncPod(virtual: ClusterState, namespace: string, name: string): void {
    const origin = virtual.virtual;
    const internals = this.emulator();
    const hosted = internals.hosted(virtual.name);
    if (!origin || !hosted?.running) return;
    const host = internals.hosted(origin.host)?.state;
    if (!host || !host.peek(builtinOfKind('Namespace'), undefined, origin.namespace)) return;
    const hostName = safeConcatName(name, 'x', namespace, 'x', origin.name);
    const pod = virtual.peek(POD, namespace, name);
    const mirrored = host.peek(POD, origin.namespace, hostName);
    if (!pod || pod.metadata.deletionTimestamp) {
      if (mirrored && mirrored.metadata.labels?.[MANAGED_BY] === origin.name) host.deleteObject(POD, mirrored);
      return;
    }
    const retryKey = `vcluster-sync/${namespace}/${name}`;
    if (mirrored) {
      this.syncRetries.succeeded(virtual, retryKey);
      return;
    }
    const containers = (Array.isArray(specOf(pod).containers) ? (specOf(pod).containers as JsonObject[]) : []).map((c) => ({
      name: c.name,
      image: c.image,
      ...(c.resources ? { resources: clone(c.resources) } : {}),
      ...(c.ports ? { ports: clone(c.ports) } : {}),
    }));
    try {
      host.controllerCreate(
        POD,
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: hostName,
            namespace: origin.namespace,
            labels: { ...labelsOf(pod), [MANAGED_BY]: origin.name, 'vcluster.loft.sh/namespace': namespace, 'vcluster.loft.sh/object-name': name },
            annotations: { 'vcluster.loft.sh/object-name': name, 'vcluster.loft.sh/object-namespace': namespace, 'vcluster.loft.sh/object-uid': pod.metadata.uid ?? '' },
          },
          spec: { containers, restartPolicy: specOf(pod).restartPolicy ?? 'Always' },
          status: { phase: 'Pending' },
        },
        SYNCER,
      );
      this.syncRetries.succeeded(virtual, retryKey);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      this.context.events.record(virtual, pod, { type: 'Warning', reason: 'SyncError', message: `Error syncing to host cluster: create object: ${error.message}`, component: 'pod-syncer' });
      this.syncRetries.retry(this.context, virtual, retryKey, () => this.syncPod(virtual, namespace, name));
    }
  }

  /** Deletes a virtual cluster, its persisted state and the pods synced from it. */
  private async remove(host: ClusterState, name: string): Promise<void> {
    const state = this.clusters.get(name);
    const origin = this.emulator().hosted(name)?.state.virtual;
    await this.emulator().deleteCluster(name);
    if (origin) {
      this.context.later(host, 0, `vcluster-cleanup/${name}`, () => {
        for (const pod of host.scan(POD, origin.namespace)) if (pod.metadata.labels?.[MANAGED_BY] === origin.name) host.deleteObject(POD, pod);
        if (state) this.reconcileIngressPoint(host);
      });
    }
  }

  forget(cluster: ClusterState): void {
    this.syncRetries.forget(cluster);
  }

  /** Called when any emulated cluster is deleted: a deleted host takes its virtual clusters along. */
  async forgetCluster(name: string): Promise<void> {
    const state = this.clusters.get(name);
    if (state) {
      this.clusters.delete(name);
      for (const exposure of state.loadBalancers.values()) this.usedAddresses.delete(exposure.ip);
    }
    const point = this.ingressPoints.get(name);
    if (point) {
      point.server?.close();
      this.usedAddresses.delete(point.ip);
      this.ingressPoints.delete(name);
    }
    for (const vc of [...this.clusters.values()]) if (vc.host === name) await this.emulator().deleteCluster(vc.name);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.ingressPoints.values()].map((point) => new Promise<void>((resolve) => (point.server ? point.server.close(() => resolve()) : resolve()))));
    this.ingressPoints.clear();
  }
}

function ingressBackends(rule: JsonObject): string[] {
  const http = isObject(rule.http) ? rule.http : {};
  const paths = Array.isArray(http.paths) ? (http.paths as JsonObject[]) : [];
  return paths.map((p) => String((((p.backend as JsonObject | undefined)?.service as JsonObject | undefined)?.name as string | undefined) ?? ''));
}

function ingressHostsOf(ingress: KubeObject): string[] {
  return (Array.isArray(specOf(ingress).rules) ? (specOf(ingress).rules as JsonObject[]) : []).map((r) => String(r.host ?? '')).filter(Boolean);
}

/**
 * Simulated controllers for the Kubernetes API emulator. They stand in for
 * kube-controller-manager, the scheduler and kubelets so that objects evolve the way
 * client code expects:
 *
 * - Namespace: creates the `default` ServiceAccount and `kube-root-ca.crt` ConfigMap;
 *   finalizes Terminating namespaces once their content is gone.
 * - Deployment / StatefulSet: create/delete simulated Pods to match `spec.replicas`,
 *   and publish status (replicas, readyReplicas, availableReplicas, updatedReplicas,
 *   observedGeneration, conditions). StatefulSets also create PVCs from
 *   `volumeClaimTemplates`.
 * - Pod: Pending → Running/Ready after `readyDelayMs`.
 * - PersistentVolumeClaim: Pending → Bound after `readyDelayMs`.
 * - ResourceQuota: `status.hard` mirrors `spec.hard`; `status.used` is computed for
 *   object counts and pod/PVC requests and limits (no admission enforcement).
 * - Garbage collector: deleting an owner deletes objects whose ownerReferences point
 *   at its uid (background propagation).
 */
import { createHash } from 'node:crypto';
import type { ClusterHooks, ClusterState, StoreEvent } from './cluster.ts';
import { randomSuffix } from './cluster.ts';
import { clone, deepEqual, isObject, kubeTimestamp } from './json.ts';
import type { JsonObject, KubeObject } from './json.ts';
import { formatBytes, formatCpu, parseQuantity } from './quantity.ts';
import { RESOURCE_TYPES, resourceOfKind } from './resources.ts';

const MANAGER = 'kube-controller-manager';
const KUBELET = 'kubelet';

const NAMESPACE = resourceOfKind('Namespace');
const POD = resourceOfKind('Pod');
const DEPLOYMENT = resourceOfKind('Deployment');
const STATEFUL_SET = resourceOfKind('StatefulSet');
const PVC = resourceOfKind('PersistentVolumeClaim');
const QUOTA = resourceOfKind('ResourceQuota');
const CONFIG_MAP = resourceOfKind('ConfigMap');
const SERVICE_ACCOUNT = resourceOfKind('ServiceAccount');

interface Task {
  key: string;
  run: () => void;
}

export interface ControllerOptions {
  readyDelayMs: number;
  caPem: string;
}

function templateHash(template: unknown): string {
  const digest = createHash('sha256').update(JSON.stringify(template ?? {})).digest();
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return [...digest.subarray(0, 10)].map((b) => alphabet[b % alphabet.length]).join('');
}

const asNumber = (value: unknown, fallback: number): number => (typeof value === 'number' ? value : fallback);

/** Drops zero/empty fields the way Go's `omitempty` would for the listed keys. */
function omitZero(status: JsonObject, keys: string[]): JsonObject {
  const out = { ...status };
  for (const key of keys) if (out[key] === 0 || out[key] === undefined) delete out[key];
  return out;
}

function isPodReady(pod: KubeObject): boolean {
  const status = isObject(pod.status) ? pod.status : {};
  return status.phase === 'Running' && Array.isArray(status.conditions) && status.conditions.some((c) => isObject(c) && c.type === 'Ready' && c.status === 'True');
}

function ownedBy(object: KubeObject, uid: string | undefined): boolean {
  return uid !== undefined && (object.metadata.ownerReferences ?? []).some((ref) => ref.uid === uid);
}

function sameConditionTimes(previous: unknown, next: JsonObject[]): JsonObject[] {
  // Keep lastTransitionTime stable when a condition's status did not change.
  const old = Array.isArray(previous) ? previous.filter(isObject) : [];
  return next.map((condition) => {
    const match = old.find((o) => o.type === condition.type);
    if (match && match.status === condition.status) {
      return { ...condition, lastTransitionTime: match.lastTransitionTime, ...(match.lastUpdateTime ? { lastUpdateTime: match.lastUpdateTime } : {}) };
    }
    return condition;
  });
}

export class Controllers implements ClusterHooks {
  private readonly queues = new Map<ClusterState, Map<string, Task>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** When each simulated pod/PVC becomes ready, by uid. */
  private readonly readyAt = new Map<string, number>();
  private draining = false;
  private stopped = false;

  constructor(
    private readonly options: ControllerOptions,
    private readonly onClusterChange: (cluster: ClusterState) => void,
  ) {}

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.queues.clear();
  }

  onChange(cluster: ClusterState): void {
    this.onClusterChange(cluster);
  }

  private enqueue(cluster: ClusterState, key: string, run: () => void): void {
    if (this.stopped || cluster.deleted) return;
    let queue = this.queues.get(cluster);
    if (!queue) {
      queue = new Map();
      this.queues.set(cluster, queue);
    }
    if (!queue.has(key)) queue.set(key, { key, run });
  }

  private later(cluster: ClusterState, delayMs: number, key: string, run: () => void): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.stopped || cluster.deleted) return;
      this.enqueue(cluster, key, run);
      this.drain(cluster);
    }, Math.max(0, delayMs));
    timer.unref?.();
    this.timers.add(timer);
  }

  drain(cluster: ClusterState): void {
    if (this.draining) return;
    this.draining = true;
    try {
      let guard = 0;
      for (;;) {
        const queue = this.queues.get(cluster);
        const next = queue?.values().next();
        if (!queue || !next || next.done) break;
        queue.delete(next.value.key);
        if (++guard > 10000) break; // defensive: a controller bug must not hang the emulator
        try {
          next.value.run();
        } catch (error) {
          console.error(`kube-emulator: controller task ${next.value.key} failed in cluster ${cluster.name}:`, error);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  /** Queue reconciliation of everything (used after loading a persisted cluster). */
  resync(cluster: ClusterState): void {
    for (const object of cluster.allObjects()) this.route(cluster, object);
    this.drain(cluster);
  }

  onEvent(cluster: ClusterState, event: StoreEvent): void {
    const object = event.object;
    if (event.type === 'DELETED') {
      const uid = object.metadata.uid;
      if (uid) {
        this.readyAt.delete(uid);
        this.enqueue(cluster, `gc/${uid}`, () => this.collectGarbage(cluster, object));
      }
    }
    this.route(cluster, object);
  }

  private route(cluster: ClusterState, object: KubeObject): void {
    const ns = object.metadata.namespace;
    const name = object.metadata.name ?? '';
    switch (object.kind) {
      case 'Namespace':
        this.enqueue(cluster, `ns/${name}`, () => this.reconcileNamespace(cluster, name));
        break;
      case 'Deployment':
        this.enqueue(cluster, `deploy/${ns}/${name}`, () => this.reconcileDeployment(cluster, ns ?? '', name));
        break;
      case 'StatefulSet':
        this.enqueue(cluster, `sts/${ns}/${name}`, () => this.reconcileStatefulSet(cluster, ns ?? '', name));
        break;
      case 'Pod':
        this.enqueue(cluster, `pod/${ns}/${name}`, () => this.reconcilePod(cluster, ns ?? '', name));
        for (const ref of object.metadata.ownerReferences ?? []) {
          if (ref.kind === 'Deployment') this.enqueue(cluster, `deploy/${ns}/${ref.name}`, () => this.reconcileDeployment(cluster, ns ?? '', ref.name));
          if (ref.kind === 'StatefulSet') this.enqueue(cluster, `sts/${ns}/${ref.name}`, () => this.reconcileStatefulSet(cluster, ns ?? '', ref.name));
        }
        break;
      case 'PersistentVolumeClaim':
        this.enqueue(cluster, `pvc/${ns}/${name}`, () => this.reconcilePvc(cluster, ns ?? '', name));
        break;
      default:
        break;
    }
    if (ns !== undefined) {
      const namespace = cluster.peek(NAMESPACE, undefined, ns);
      if (namespace?.metadata.deletionTimestamp) this.enqueue(cluster, `ns/${ns}`, () => this.reconcileNamespace(cluster, ns));
      else if (object.kind === 'ConfigMap' || object.kind === 'ServiceAccount') {
        this.enqueue(cluster, `ns/${ns}`, () => this.reconcileNamespace(cluster, ns));
      }
      for (const quota of cluster.peekAll(QUOTA, ns)) {
        const quotaName = quota.metadata.name ?? '';
        this.enqueue(cluster, `quota/${ns}/${quotaName}`, () => this.reconcileQuota(cluster, ns, quotaName));
      }
    }
  }

  // -------------------------------------------------------------------------

  private collectGarbage(cluster: ClusterState, owner: KubeObject): void {
    const uid = owner.metadata.uid;
    for (const type of RESOURCE_TYPES) {
      const candidates = type.namespaced && owner.metadata.namespace !== undefined ? cluster.peekAll(type, owner.metadata.namespace) : type.namespaced ? [] : cluster.peekAll(type);
      for (const dependent of candidates) if (ownedBy(dependent, uid)) cluster.deleteObject(type, dependent);
    }
  }

  private reconcileNamespace(cluster: ClusterState, name: string): void {
    const namespace = cluster.peek(NAMESPACE, undefined, name);
    if (!namespace) return;
    if (namespace.metadata.deletionTimestamp) {
      const remaining = RESOURCE_TYPES.some((type) => type.namespaced && cluster.peekAll(type, name).length > 0);
      if (remaining) return;
      const spec = isObject(namespace.spec) ? namespace.spec : {};
      const finalizers = Array.isArray(spec.finalizers) ? spec.finalizers.filter((f) => f !== 'kubernetes') : [];
      if (finalizers.length === 0 && (namespace.metadata.finalizers ?? []).length === 0) {
        cluster.commitDelete(NAMESPACE, namespace);
      }
      return;
    }
    if (!cluster.peek(SERVICE_ACCOUNT, name, 'default')) {
      cluster.controllerWrite(SERVICE_ACCOUNT, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: name } }, MANAGER);
    }
    const rootCa = cluster.peek(CONFIG_MAP, name, 'kube-root-ca.crt');
    const caData = { 'ca.crt': this.options.caPem };
    if (!rootCa || !deepEqual(rootCa.data, caData)) {
      cluster.controllerWrite(
        CONFIG_MAP,
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { ...(rootCa ? clone(rootCa.metadata) : {}), name: 'kube-root-ca.crt', namespace: name, annotations: { 'kubernetes.io/description': 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.' } },
          data: caData,
        },
        MANAGER,
      );
    }
  }

  private nodeName(cluster: ClusterState, index: number): string | undefined {
    const nodes = cluster.peekAll(resourceOfKind('Node'));
    if (nodes.length === 0) return undefined;
    return nodes[index % nodes.length]?.metadata.name;
  }

  private createPod(
    cluster: ClusterState,
    owner: KubeObject,
    name: string,
    extraLabels: Record<string, string>,
    template: JsonObject,
    index: number,
    extraSpec: JsonObject = {},
  ): void {
    const templateMeta = isObject(template.metadata) ? template.metadata : {};
    const labels = { ...(isObject(templateMeta.labels) ? (templateMeta.labels as Record<string, string>) : {}), ...extraLabels };
    const nodeName = this.nodeName(cluster, index);
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: owner.metadata.namespace,
        labels,
        ...(isObject(templateMeta.annotations) ? { annotations: clone(templateMeta.annotations) as Record<string, string> } : {}),
        ownerReferences: [
          { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name ?? '', uid: owner.metadata.uid ?? '', controller: true, blockOwnerDeletion: true },
        ],
      },
      spec: { ...(isObject(template.spec) ? clone(template.spec) : {}), ...(nodeName ? { nodeName } : {}), ...extraSpec },
      status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: kubeTimestamp() }], qosClass: 'BestEffort' },
    };
    const created = cluster.controllerWrite(POD, pod, MANAGER);
    if (created?.metadata.uid) this.readyAt.set(created.metadata.uid, Date.now() + this.options.readyDelayMs);
  }

  /**
   * An object becomes ready `readyDelayMs` after it was first seen; until then this
   * schedules `retry` for that moment and answers true.
   */
  private notReadyYet(cluster: ClusterState, uid: string, key: string, retry: () => void): boolean {
    let readyAt = this.readyAt.get(uid);
    if (readyAt === undefined) {
      readyAt = Date.now() + this.options.readyDelayMs;
      this.readyAt.set(uid, readyAt);
    }
    const wait = readyAt - Date.now();
    if (wait <= 0) return false;
    this.later(cluster, wait, key, retry);
    return true;
  }

  private reconcilePod(cluster: ClusterState, namespace: string, name: string): void {
    const pod = cluster.peek(POD, namespace, name);
    const uid = pod?.metadata.uid;
    if (!pod || !uid || pod.metadata.deletionTimestamp) return;
    const status = isObject(pod.status) ? pod.status : {};
    if (status.phase === 'Running' || status.phase === 'Succeeded' || status.phase === 'Failed') return;
    if (this.notReadyYet(cluster, uid, `pod/${namespace}/${name}`, () => this.reconcilePod(cluster, namespace, name))) return;
    const now = kubeTimestamp();
    const spec = isObject(pod.spec) ? pod.spec : {};
    const containers = Array.isArray(spec.containers) ? spec.containers.filter(isObject) : [];
    const index = Math.abs(createHash('sha1').update(uid).digest().readUInt16BE(0));
    const next = clone(pod);
    next.status = {
      phase: 'Running',
      conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({
        type,
        status: 'True',
        lastProbeTime: null,
        lastTransitionTime: now,
      })),
      hostIP: '172.18.0.2',
      hostIPs: [{ ip: '172.18.0.2' }],
      podIP: `10.244.${(index >> 8) % 250}.${(index % 250) + 2}`,
      podIPs: [{ ip: `10.244.${(index >> 8) % 250}.${(index % 250) + 2}` }],
      startTime: now,
      qosClass: status.qosClass ?? 'BestEffort',
      containerStatuses: containers.map((container) => ({
        name: container.name,
        image: container.image,
        imageID: `${String(container.image)}@sha256:${createHash('sha256').update(String(container.image)).digest('hex')}`,
        containerID: `containerd://${createHash('sha256').update(`${uid}/${String(container.name)}`).digest('hex')}`,
        ready: true,
        started: true,
        restartCount: 0,
        state: { running: { startedAt: now } },
      })),
    };
    cluster.controllerWrite(POD, next, KUBELET, 'status');
  }

  private reconcilePvc(cluster: ClusterState, namespace: string, name: string): void {
    const pvc = cluster.peek(PVC, namespace, name);
    const uid = pvc?.metadata.uid;
    if (!pvc || !uid || pvc.metadata.deletionTimestamp) return;
    const status = isObject(pvc.status) ? pvc.status : {};
    if (status.phase === 'Bound') return;
    if (this.notReadyYet(cluster, uid, `pvc/${namespace}/${name}`, () => this.reconcilePvc(cluster, namespace, name))) return;
    const spec = isObject(pvc.spec) ? pvc.spec : {};
    const requests = isObject(spec.resources) && isObject(spec.resources.requests) ? spec.resources.requests : {};
    const bound = clone(pvc);
    bound.metadata.annotations = {
      ...bound.metadata.annotations,
      'pv.kubernetes.io/bind-completed': 'yes',
      'pv.kubernetes.io/bound-by-controller': 'yes',
    };
    bound.spec = { ...spec, volumeName: `pvc-${uid}` };
    const written = cluster.controllerWrite(PVC, bound, MANAGER) ?? bound;
    const withStatus = clone(written);
    withStatus.status = { phase: 'Bound', accessModes: spec.accessModes ?? ['ReadWriteOnce'], capacity: { storage: requests.storage ?? '1Gi' } };
    cluster.controllerWrite(PVC, withStatus, MANAGER, 'status');
  }

  private reconcileDeployment(cluster: ClusterState, namespace: string, name: string): void {
    const deployment = cluster.peek(DEPLOYMENT, namespace, name);
    if (!deployment || deployment.metadata.deletionTimestamp) return;
    const spec = isObject(deployment.spec) ? deployment.spec : {};
    const desired = asNumber(spec.replicas, 1);
    const template = isObject(spec.template) ? spec.template : {};
    const hash = templateHash(template);
    const uid = deployment.metadata.uid;
    const owned = () => cluster.peekAll(POD, namespace).filter((pod) => ownedBy(pod, uid) && !pod.metadata.deletionTimestamp);

    let current = owned().filter((pod) => pod.metadata.labels?.['pod-template-hash'] === hash);
    const missing = desired - current.length;
    for (let i = 0; i < missing; i++) {
      this.createPod(cluster, deployment, `${name}-${hash}-${randomSuffix()}`, { 'pod-template-hash': hash }, template, current.length + i);
    }
    if (missing < 0) {
      // Scale down: remove not-ready pods first, then the newest.
      const ordered = [...current].sort((a, b) => {
        const readiness = Number(isPodReady(a)) - Number(isPodReady(b));
        if (readiness !== 0) return readiness;
        return String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)) || String(b.metadata.name).localeCompare(String(a.metadata.name));
      });
      for (const pod of ordered.slice(0, -missing)) cluster.deleteObject(POD, pod);
    }
    current = owned().filter((pod) => pod.metadata.labels?.['pod-template-hash'] === hash);
    const readyNew = current.filter(isPodReady).length;
    // Rolling update: old pods go away once the new ones are ready (or when scaled to zero).
    const old = owned().filter((pod) => pod.metadata.labels?.['pod-template-hash'] !== hash);
    if (old.length > 0 && (readyNew >= desired || desired === 0)) for (const pod of old) cluster.deleteObject(POD, pod);

    const pods = owned();
    const ready = pods.filter(isPodReady).length;
    const updated = pods.filter((pod) => pod.metadata.labels?.['pod-template-hash'] === hash).length;
    const complete = updated === desired && pods.length === desired && ready === desired;
    const now = kubeTimestamp();
    const previousStatus = isObject(deployment.status) ? deployment.status : {};
    const conditions = sameConditionTimes(previousStatus.conditions, [
      {
        type: 'Available',
        status: ready >= desired ? 'True' : 'False',
        lastUpdateTime: now,
        lastTransitionTime: now,
        reason: ready >= desired ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
        message: ready >= desired ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.',
      },
      {
        type: 'Progressing',
        status: 'True',
        lastUpdateTime: now,
        lastTransitionTime: now,
        reason: complete ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated',
        message: complete ? `ReplicaSet "${name}-${hash}" has successfully progressed.` : `ReplicaSet "${name}-${hash}" is progressing.`,
      },
    ]);
    const status = omitZero(
      {
        observedGeneration: deployment.metadata.generation ?? 1,
        replicas: pods.length,
        updatedReplicas: updated,
        readyReplicas: ready,
        availableReplicas: ready,
        unavailableReplicas: Math.max(0, desired - ready),
        conditions,
      },
      ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas'],
    );
    const latest = cluster.peek(DEPLOYMENT, namespace, name);
    if (!latest || deepEqual(latest.status, status)) return;
    cluster.controllerWrite(DEPLOYMENT, { ...clone(latest), status }, MANAGER, 'status');
  }

  private reconcileStatefulSet(cluster: ClusterState, namespace: string, name: string): void {
    const statefulSet = cluster.peek(STATEFUL_SET, namespace, name);
    if (!statefulSet || statefulSet.metadata.deletionTimestamp) return;
    const spec = isObject(statefulSet.spec) ? statefulSet.spec : {};
    const desired = asNumber(spec.replicas, 1);
    const template = isObject(spec.template) ? spec.template : {};
    const revision = `${name}-${templateHash(template)}`;
    const uid = statefulSet.metadata.uid;
    const serviceName = typeof spec.serviceName === 'string' ? spec.serviceName : undefined;
    const claimTemplates = Array.isArray(spec.volumeClaimTemplates) ? spec.volumeClaimTemplates.filter(isObject) : [];
    const selectorLabels = isObject(spec.selector) && isObject(spec.selector.matchLabels) ? (spec.selector.matchLabels as Record<string, string>) : {};

    for (const pod of cluster.peekAll(POD, namespace)) {
      if (!ownedBy(pod, uid)) continue;
      const ordinal = Number(pod.metadata.labels?.['apps.kubernetes.io/pod-index'] ?? -1);
      const stale = pod.metadata.labels?.['controller-revision-hash'] !== revision;
      if (ordinal >= desired || ordinal < 0 || stale) cluster.deleteObject(POD, pod);
    }
    for (let ordinal = 0; ordinal < desired; ordinal++) {
      const podName = `${name}-${ordinal}`;
      for (const claim of claimTemplates) {
        const claimMeta = isObject(claim.metadata) ? claim.metadata : {};
        const claimName = `${String(claimMeta.name ?? 'data')}-${name}-${ordinal}`;
        if (cluster.peek(PVC, namespace, claimName)) continue;
        cluster.controllerWrite(
          PVC,
          {
            apiVersion: 'v1',
            kind: 'PersistentVolumeClaim',
            metadata: { name: claimName, namespace, labels: { ...selectorLabels, ...(isObject(claimMeta.labels) ? (claimMeta.labels as Record<string, string>) : {}) } },
            spec: clone(isObject(claim.spec) ? claim.spec : {}),
            status: { phase: 'Pending' },
          },
          MANAGER,
        );
      }
      if (cluster.peek(POD, namespace, podName)) continue;
      const volumes = claimTemplates.map((claim) => {
        const claimName = String(isObject(claim.metadata) ? claim.metadata.name ?? 'data' : 'data');
        return { name: claimName, persistentVolumeClaim: { claimName: `${claimName}-${name}-${ordinal}` } };
      });
      const templateSpec = isObject(template.spec) ? template.spec : {};
      const existingVolumes = Array.isArray(templateSpec.volumes) ? templateSpec.volumes : [];
      this.createPod(
        cluster,
        statefulSet,
        podName,
        {
          'controller-revision-hash': revision,
          'statefulset.kubernetes.io/pod-name': podName,
          'apps.kubernetes.io/pod-index': String(ordinal),
        },
        template,
        ordinal,
        {
          hostname: podName,
          ...(serviceName ? { subdomain: serviceName } : {}),
          ...(volumes.length > 0 ? { volumes: [...existingVolumes, ...volumes] } : {}),
        },
      );
    }
    const pods = cluster.peekAll(POD, namespace).filter((pod) => ownedBy(pod, uid));
    const ready = pods.filter(isPodReady).length;
    const updated = pods.filter((pod) => pod.metadata.labels?.['controller-revision-hash'] === revision).length;
    const status = omitZero(
      {
        observedGeneration: statefulSet.metadata.generation ?? 1,
        replicas: pods.length,
        readyReplicas: ready,
        currentReplicas: updated,
        updatedReplicas: updated,
        currentRevision: revision,
        updateRevision: revision,
        collisionCount: 0,
        availableReplicas: ready,
      },
      ['readyReplicas', 'currentReplicas', 'updatedReplicas'],
    );
    const latest = cluster.peek(STATEFUL_SET, namespace, name);
    if (!latest || deepEqual(latest.status, status)) return;
    cluster.controllerWrite(STATEFUL_SET, { ...clone(latest), status }, MANAGER, 'status');
  }

  private reconcileQuota(cluster: ClusterState, namespace: string, name: string): void {
    const quota = cluster.peek(QUOTA, namespace, name);
    if (!quota) return;
    const spec = isObject(quota.spec) ? quota.spec : {};
    const hard = isObject(spec.hard) ? (spec.hard as Record<string, string>) : {};
    const pods = cluster.peekAll(POD, namespace).filter((pod) => {
      const phase = isObject(pod.status) ? pod.status.phase : undefined;
      return phase !== 'Succeeded' && phase !== 'Failed';
    });
    const sumContainers = (kind: 'requests' | 'limits', resource: string): number =>
      pods.reduce((total, pod) => {
        const podSpec = isObject(pod.spec) ? pod.spec : {};
        const containers = Array.isArray(podSpec.containers) ? podSpec.containers.filter(isObject) : [];
        return (
          total +
          containers.reduce((sum, container) => {
            const resources = isObject(container.resources) ? container.resources : {};
            const values = isObject(resources[kind]) ? (resources[kind] as JsonObject) : {};
            return sum + parseQuantity(values[resource]);
          }, 0)
        );
      }, 0);
    const countOf = (plural: string, group: string): number => {
      const type = RESOURCE_TYPES.find((r) => r.plural === plural && r.group === group);
      if (!type) return 0;
      return type.kind === 'Pod' ? pods.length : cluster.peekAll(type, namespace).length;
    };
    const used: Record<string, string> = {};
    for (const key of Object.keys(hard)) {
      if (key === 'requests.cpu' || key === 'cpu') used[key] = formatCpu(sumContainers('requests', 'cpu'));
      else if (key === 'limits.cpu') used[key] = formatCpu(sumContainers('limits', 'cpu'));
      else if (key === 'requests.memory' || key === 'memory') used[key] = formatBytes(sumContainers('requests', 'memory'));
      else if (key === 'limits.memory') used[key] = formatBytes(sumContainers('limits', 'memory'));
      else if (key === 'requests.storage') {
        used[key] = formatBytes(
          cluster.peekAll(PVC, namespace).reduce((sum, pvc) => {
            const pvcSpec = isObject(pvc.spec) ? pvc.spec : {};
            const requests = isObject(pvcSpec.resources) && isObject(pvcSpec.resources.requests) ? pvcSpec.resources.requests : {};
            return sum + parseQuantity(requests.storage);
          }, 0),
        );
      } else if (key.startsWith('count/')) {
        const [plural = '', ...group] = key.slice('count/'.length).split('.');
        used[key] = String(countOf(plural, group.join('.')));
      } else if (['pods', 'services', 'secrets', 'configmaps', 'persistentvolumeclaims', 'resourcequotas', 'serviceaccounts'].includes(key)) {
        used[key] = String(countOf(key, ''));
      } else used[key] = '0';
    }
    const status = { hard: clone(hard), used };
    if (deepEqual(quota.status, status)) return;
    cluster.controllerWrite(QUOTA, { ...clone(quota), status }, MANAGER, 'status');
  }
}

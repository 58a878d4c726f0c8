/**
 * What the simulated controllers of the Kubernetes API emulator share: a per-cluster work
 * queue drained at the end of every API operation, delayed work, readiness timing and
 * the helpers for owner references, pods and status.
 */
import { createHash } from 'node:crypto';
import type { ClusterHooks, ClusterState, StoreEvent } from '../cluster.ts';
import { isObject } from '../json.ts';
import type { JsonObject, KubeObject } from '../json.ts';
import type { EventRecorder } from './events.ts';

export const CONTROLLER_MANAGER = 'kube-controller-manager';

export interface ControllerOptions {
  readyDelayMs: number;
  caPem: string;
}

/** What a controller can do besides reading and writing its cluster. */
export interface ControllerContext {
  readonly options: ControllerOptions;
  readonly events: EventRecorder;
  readonly readiness: Readiness;
  /** Queues `run` under `key` (once per key until it runs). */
  enqueue(cluster: ClusterState, key: string, run: () => void): void;
  /** Queues `run` after `delayMs`. */
  later(cluster: ClusterState, delayMs: number, key: string, run: () => void): void;
}

/** One simulated controller: it looks at every change and queues the work it implies. */
export interface Controller {
  observe(cluster: ClusterState, object: KubeObject, event: StoreEvent | undefined): void;
  /** Called when a cluster goes away, to drop per-cluster state. */
  forget?(cluster: ClusterState): void;
  /** Called when the emulator stops, to cancel work in flight (requests to outside servers). */
  stop?(): void;
}

interface Task {
  key: string;
  run: () => void;
}

/** When simulated pods and claims become ready: `readyDelayMs` after they were first seen. */
export class Readiness {
  private readonly readyAt = new Map<string, number>();

  constructor(private readonly delayMs: number) {}

  start(uid: string): void {
    if (!this.readyAt.has(uid)) this.readyAt.set(uid, Date.now() + this.delayMs);
  }

  /** Milliseconds until `uid` is ready (0 when it is). */
  remaining(uid: string): number {
    this.start(uid);
    return Math.max(0, (this.readyAt.get(uid) ?? 0) - Date.now());
  }

  forget(uid: string): void {
    this.readyAt.delete(uid);
  }
}

export class ControllerManager implements ClusterHooks, ControllerContext {
  private readonly queues = new Map<ClusterState, Map<string, Task>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly controllers: Controller[] = [];
  private draining = false;
  private stopped = false;
  readonly readiness: Readiness;

  constructor(
    readonly options: ControllerOptions,
    readonly events: EventRecorder,
    private readonly onClusterChange: (cluster: ClusterState) => void,
  ) {
    this.readiness = new Readiness(options.readyDelayMs);
  }

  register(...controllers: Controller[]): void {
    this.controllers.push(...controllers);
  }

  stop(): void {
    this.stopped = true;
    for (const controller of this.controllers) controller.stop?.();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.queues.clear();
  }

  forget(cluster: ClusterState): void {
    this.queues.delete(cluster);
    for (const controller of this.controllers) controller.forget?.(cluster);
  }

  onChange(cluster: ClusterState): void {
    this.onClusterChange(cluster);
  }

  enqueue(cluster: ClusterState, key: string, run: () => void): void {
    if (this.stopped || cluster.deleted) return;
    let queue = this.queues.get(cluster);
    if (!queue) {
      queue = new Map();
      this.queues.set(cluster, queue);
    }
    if (!queue.has(key)) queue.set(key, { key, run });
  }

  later(cluster: ClusterState, delayMs: number, key: string, run: () => void): void {
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

  /** Runs queued work for `cluster`, then for any cluster its work wrote to (virtual clusters write to their host). */
  drain(cluster: ClusterState): void {
    if (this.draining) return;
    this.draining = true;
    try {
      let guard = 0;
      for (;;) {
        let queue = this.queues.get(cluster);
        if (!queue || queue.size === 0) queue = [...this.queues.values()].find((q) => q.size > 0);
        const next = queue?.values().next();
        if (!queue || !next || next.done) break;
        queue.delete(next.value.key);
        if (++guard > 20000) break; // a controller bug must not hang the emulator
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

  /** Queues reconciliation of everything (after loading a persisted cluster). */
  resync(cluster: ClusterState): void {
    for (const object of cluster.allObjects()) for (const controller of this.controllers) controller.observe(cluster, object, undefined);
    this.drain(cluster);
  }

  onEvent(cluster: ClusterState, event: StoreEvent): void {
    if (event.type === 'DELETED' && event.object.metadata.uid) this.readiness.forget(event.object.metadata.uid);
    for (const controller of this.controllers) controller.observe(cluster, event.object, event);
  }
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

export const asNumber = (value: unknown, fallback: number): number => (typeof value === 'number' ? value : fallback);

export const specOf = (object: KubeObject | undefined): JsonObject => (object && isObject(object.spec) ? object.spec : {});
export const statusOf = (object: KubeObject | undefined): JsonObject => (object && isObject(object.status) ? object.status : {});

/** Drops zero fields the way Go's `omitempty` does. */
export function omitZero(status: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(status)) if (value !== 0 && value !== undefined) out[key] = value;
  return out;
}

export function isPodReady(pod: KubeObject): boolean {
  const status = statusOf(pod);
  return status.phase === 'Running' && Array.isArray(status.conditions) && status.conditions.some((c) => isObject(c) && c.type === 'Ready' && c.status === 'True');
}

export function controllerOf(object: KubeObject): { kind: string; name: string; uid: string } | undefined {
  return (object.metadata.ownerReferences ?? []).find((ref) => ref.controller === true);
}

export function ownedBy(object: KubeObject, uid: string | undefined): boolean {
  return uid !== undefined && (object.metadata.ownerReferences ?? []).some((ref) => ref.uid === uid);
}

export function controllerReference(owner: KubeObject): NonNullable<KubeObject['metadata']['ownerReferences']>[number] {
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name ?? '', uid: owner.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
}

/** Keeps `lastTransitionTime` when a condition's status did not change. */
export function keepTransitionTimes(previous: unknown, next: JsonObject[]): JsonObject[] {
  const old = Array.isArray(previous) ? previous.filter(isObject) : [];
  return next.map((condition) => {
    const match = old.find((o) => o.type === condition.type);
    if (match && match.status === condition.status) {
      return {
        ...condition,
        lastTransitionTime: match.lastTransitionTime,
        ...(match.lastUpdateTime && match.reason === condition.reason ? { lastUpdateTime: match.lastUpdateTime } : {}),
      };
    }
    return condition;
  });
}

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * A pod-template-hash in kube-controller-manager's form: an FNV-1a hash of the template
 * and collision count, as a decimal string mapped onto a vowel-free alphabet.
 */
export function templateHash(template: unknown, collisionCount = 0): string {
  let hash = 0x811c9dc5;
  const bytes = Buffer.from(`${JSON.stringify(template ?? {})}${collisionCount}`);
  for (const byte of bytes) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return [...String(hash)].map((digit) => SAFE_ALPHABET[digit.charCodeAt(0) % SAFE_ALPHABET.length]).join('');
}

/** A stable fake identifier derived from `seed`. */
export function digest(seed: string, length = 64): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, length);
}

/** Pod counts of a set of pods, as workload statuses report them. */
export function podCounts(pods: KubeObject[]): { replicas: number; ready: number; available: number } {
  const ready = pods.filter(isPodReady).length;
  return { replicas: pods.length, ready, available: ready };
}

/**
 * Queues `reconcile` for a changed object of `kind`, and for the object of `kind` that
 * controls a changed `child` (a Deployment for its ReplicaSets, a ReplicaSet for its pods).
 */
export function queueSelfOrController(
  context: ControllerContext,
  cluster: ClusterState,
  object: KubeObject,
  kind: string,
  child: string,
  reconcile: (cluster: ClusterState, namespace: string, name: string) => void,
): void {
  const namespace = object.metadata.namespace ?? '';
  const owner = object.kind === child ? controllerOf(object) : undefined;
  const name = object.kind === kind ? object.metadata.name : owner?.kind === kind ? owner.name : undefined;
  if (name === undefined) return;
  context.enqueue(cluster, `${kind}/${namespace}/${name}`, () => reconcile(cluster, namespace, name));
}

/** A pod stamped out of `template` for `owner`, left for the scheduler to place. */
export function podFromTemplate(owner: KubeObject, name: string, template: JsonObject, extraLabels: Record<string, string>, extraSpec: JsonObject = {}): KubeObject {
  const templateMeta = isObject(template.metadata) ? template.metadata : {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: owner.metadata.namespace,
      labels: { ...(isObject(templateMeta.labels) ? (templateMeta.labels as Record<string, string>) : {}), ...extraLabels },
      ...(isObject(templateMeta.annotations) ? { annotations: structuredClone(templateMeta.annotations) as Record<string, string> } : {}),
      ownerReferences: [controllerReference(owner)],
    },
    spec: { ...(isObject(template.spec) ? structuredClone(template.spec) : {}), ...extraSpec },
    status: { phase: 'Pending', qosClass: 'BestEffort' },
  };
}

/** Pods a workload controls, not being deleted. */
export function controlledPods(cluster: ClusterState, owner: KubeObject, podType: Parameters<ClusterState['scan']>[0]): KubeObject[] {
  const uid = owner.metadata.uid;
  return cluster.scan(podType, owner.metadata.namespace).filter((pod) => controllerOf(pod)?.uid === uid && !pod.metadata.deletionTimestamp);
}

/**
 * Trying again what the API server refused (a pod over quota), per item, after a delay
 * doubling from 100 ms to at most 30 s. client-go's rate-limited work queue doubles from
 * 5 ms to 1000 s; the shorter ceiling keeps a raised quota from going unnoticed for minutes.
 */
export class RetryBackoff {
  private readonly failures = new Map<string, number>();
  private readonly pending = new Set<string>();

  constructor(
    private readonly baseMs = 100,
    private readonly maxMs = 30_000,
  ) {}

  /** Queues `run` under `key` after the next delay, unless a retry of `key` is already waiting. */
  retry(context: ControllerContext, cluster: ClusterState, key: string, run: () => void): void {
    const id = `${cluster.name}\u0000${key}`;
    if (this.pending.has(id)) return;
    const failures = this.failures.get(id) ?? 0;
    this.failures.set(id, failures + 1);
    this.pending.add(id);
    // A key of its own: a reconcile already queued under `key` must not swallow this one.
    context.later(cluster, Math.min(this.maxMs, this.baseMs * 2 ** failures), `retry/${key}`, () => {
      this.pending.delete(id);
      run();
    });
  }

  succeeded(cluster: ClusterState, key: string): void {
    this.failures.delete(`${cluster.name}\u0000${key}`);
  }

  forget(cluster: ClusterState): void {
    const prefix = `${cluster.name}\u0000`;
    for (const id of this.failures.keys()) if (id.startsWith(prefix)) this.failures.delete(id);
    for (const id of this.pending) if (id.startsWith(prefix)) this.pending.delete(id);
  }
}

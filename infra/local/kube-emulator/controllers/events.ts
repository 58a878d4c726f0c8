/**
 * Events recorded by the simulated controllers, scheduler and kubelets of the Kubernetes
 * API emulator. They are core/v1 Events (served as events.k8s.io/v1 too). Repeats of the
 * same event bump its count, as client-go's event correlator does; from the tenth
 * different message of one kind about one object within ten minutes (a controller's
 * refused creates, each naming a new pod), they are combined into one event, as its
 * aggregator does. Events expire after an hour, as kube-apiserver's `--event-ttl`
 * default makes them.
 */
import type { ClusterState } from '../cluster.ts';
import { clone } from '../json.ts';
import type { KubeObject } from '../json.ts';
import { builtinOfKind } from '../resources.ts';

const EVENT = builtinOfKind('Event');
const TTL_MS = 60 * 60 * 1000;
const SWEEP_EVERY_MS = 60 * 1000;
const SIMILAR_LIMIT = 10;
const SIMILAR_WINDOW_MS = 10 * 60 * 1000;

export interface EventSpec {
  type?: 'Normal' | 'Warning';
  reason: string;
  message: string;
  /** `source.component`, also the reporting controller. */
  component: string;
  host?: string;
  /** Part of the object the event is about, like `spec.containers{app}`. */
  fieldPath?: string;
  action?: string;
}

const microTime = (date = new Date()): string => `${date.toISOString().slice(0, 19)}.${String(date.getUTCMilliseconds() * 1000).padStart(6, '0')}Z`;
const timestamp = (date = new Date()): string => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

export class EventRecorder {
  private readonly lastSweep = new WeakMap<ClusterState, number>();
  /** The event each (object, reason, message, component) was last recorded as, per cluster. */
  private readonly recorded = new WeakMap<ClusterState, Map<string, string>>();
  /** The different messages recently seen per (object, type, reason, component). */
  private readonly similar = new WeakMap<ClusterState, Map<string, { messages: Set<string>; last: number }>>();
  private sequence = 0n;

  /** `<object>.<hex nanoseconds>`, as client-go names events: listing them sorts them by time. */
  private nameFor(objectName: string, now: Date): string {
    this.sequence = (this.sequence + 1n) % 1000000n;
    return `${objectName}.${(BigInt(now.getTime()) * 1000000n + this.sequence).toString(16)}`;
  }

  record(cluster: ClusterState, about: KubeObject, spec: EventSpec): void {
    const namespace = about.metadata.namespace ?? 'default';
    const now = new Date();
    let recorded = this.recorded.get(cluster);
    if (!recorded) {
      recorded = new Map();
      this.recorded.set(cluster, recorded);
    }
    let key = JSON.stringify([about.metadata.uid, spec.reason, spec.message, spec.component]);
    let message = spec.message;
    let similar = this.similar.get(cluster);
    if (!similar) {
      similar = new Map();
      this.similar.set(cluster, similar);
    }
    const aggregateKey = JSON.stringify([about.metadata.uid, spec.type ?? 'Normal', spec.reason, spec.component, spec.host ?? '']);
    let group = similar.get(aggregateKey);
    if (!group || now.getTime() - group.last > SIMILAR_WINDOW_MS) group = { messages: new Set(), last: 0 };
    group.messages.add(spec.message);
    group.last = now.getTime();
    similar.set(aggregateKey, group);
    if (group.messages.size >= SIMILAR_LIMIT) {
      group.messages.delete(group.messages.values().next().value ?? '');
      key = aggregateKey;
      message = `(combined from similar events): ${spec.message}`;
    }
    const knownName = recorded.get(key);
    const sameEvent = knownName ? cluster.peek(EVENT, namespace, knownName) : undefined;
    if (sameEvent) {
      const next = clone(sameEvent);
      next.count = (typeof sameEvent.count === 'number' ? sameEvent.count : 1) + 1;
      next.lastTimestamp = timestamp(now);
      next.message = message;
      cluster.controllerWrite(EVENT, next, spec.component);
    } else {
      const name = about.metadata.name ?? 'unknown';
      const eventName = this.nameFor(name, now);
      recorded.set(key, eventName);
      cluster.controllerWrite(
        EVENT,
        {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { name: eventName, namespace },
          involvedObject: {
            kind: about.kind,
            namespace: about.metadata.namespace,
            name,
            uid: about.metadata.uid,
            apiVersion: about.apiVersion,
            resourceVersion: about.metadata.resourceVersion,
            ...(spec.fieldPath ? { fieldPath: spec.fieldPath } : {}),
          },
          reason: spec.reason,
          message,
          source: { component: spec.component, ...(spec.host ? { host: spec.host } : {}) },
          firstTimestamp: timestamp(now),
          lastTimestamp: timestamp(now),
          count: 1,
          type: spec.type ?? 'Normal',
          eventTime: microTime(now),
          action: spec.action ?? spec.reason,
          reportingComponent: spec.component,
          reportingInstance: spec.host ?? spec.component,
        },
        spec.component,
      );
    }
    this.sweep(cluster, now.getTime(), recorded);
  }

  private sweep(cluster: ClusterState, now: number, recorded: Map<string, string>): void {
    if (now - (this.lastSweep.get(cluster) ?? 0) < SWEEP_EVERY_MS) return;
    this.lastSweep.set(cluster, now);
    for (const event of cluster.scan(EVENT)) {
      const last = Date.parse(String(event.lastTimestamp ?? event.metadata.creationTimestamp ?? ''));
      if (Number.isFinite(last) && now - last > TTL_MS) cluster.commitDelete(EVENT, event);
    }
    const alive = new Set(cluster.scan(EVENT).map((event) => event.metadata.name));
    for (const [key, name] of recorded) if (!alive.has(name)) recorded.delete(key);
    for (const [key, group] of this.similar.get(cluster) ?? []) if (now - group.last > SIMILAR_WINDOW_MS) this.similar.get(cluster)?.delete(key);
  }
}

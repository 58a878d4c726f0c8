/**
 * Events recorded by the simulated controllers, scheduler and kubelets of the Kubernetes
 * API emulator. They are core/v1 Events (served as events.k8s.io/v1 too). Repeats of the
 * same event bump its count, as client-go's event correlator does, and events expire
 * after an hour, as kube-apiserver's `--event-ttl` default makes them.
 */
import type { ClusterState } from '../cluster.ts';
import { clone } from '../json.ts';
import type { KubeObject } from '../json.ts';
import { builtinOfKind } from '../resources.ts';

const EVENT = builtinOfKind('Event');
const TTL_MS = 60 * 60 * 1000;
const SWEEP_EVERY_MS = 60 * 1000;

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
    const key = JSON.stringify([about.metadata.uid, spec.reason, spec.message, spec.component]);
    const knownName = recorded.get(key);
    const sameEvent = knownName ? cluster.peek(EVENT, namespace, knownName) : undefined;
    if (sameEvent) {
      const next = clone(sameEvent);
      next.count = (typeof sameEvent.count === 'number' ? sameEvent.count : 1) + 1;
      next.lastTimestamp = timestamp(now);
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
          message: spec.message,
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
  }
}

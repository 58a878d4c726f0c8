/**
 * Scheduler and kubelets of the Kubernetes API emulator. A new pod is bound to a node;
 * `readyDelayMs` later it is Running and Ready with a fake IP. Nothing runs: the events
 * (Scheduled, Pulling, Pulled, Created, Started) tell the story a real node would.
 */
import { createHash } from 'node:crypto';
import type { ClusterState, StoreEvent } from '../cluster.ts';
import { clone, isObject, kubeTimestamp } from '../json.ts';
import type { JsonObject, KubeObject } from '../json.ts';
import { builtinOfKind } from '../resources.ts';
import { digest, specOf, statusOf } from './base.ts';
import type { Controller, ControllerContext } from './base.ts';

const POD = builtinOfKind('Pod');
const NODE = builtinOfKind('Node');
const SCHEDULER = 'default-scheduler';
const KUBELET = 'kubelet';

const containersOf = (pod: KubeObject): JsonObject[] => (Array.isArray(specOf(pod).containers) ? (specOf(pod).containers as unknown[]).filter(isObject) : []);

function nodeAddress(node: KubeObject | undefined): string {
  const addresses = Array.isArray(statusOf(node).addresses) ? (statusOf(node).addresses as JsonObject[]) : [];
  return String(addresses.find((a) => a.type === 'InternalIP')?.address ?? '172.18.0.2');
}

function qosClass(pod: KubeObject): string {
  const resources = containersOf(pod).map((c) => (isObject(c.resources) ? c.resources : {}));
  const has = (r: JsonObject, kind: string) => isObject(r[kind]) && Object.keys(r[kind] as JsonObject).length > 0;
  if (resources.length > 0 && resources.every((r) => has(r, 'limits') && ['cpu', 'memory'].every((k) => isObject(r.limits) && (r.limits as JsonObject)[k] !== undefined))) {
    const guaranteed = resources.every((r) => !has(r, 'requests') || JSON.stringify(r.requests) === JSON.stringify(r.limits));
    if (guaranteed) return 'Guaranteed';
  }
  return resources.some((r) => has(r, 'requests') || has(r, 'limits')) ? 'Burstable' : 'BestEffort';
}

export class KubeletController implements Controller {
  constructor(private readonly context: ControllerContext) {}

  observe(cluster: ClusterState, object: KubeObject, event: StoreEvent | undefined): void {
    if (object.kind === 'Node') {
      // A node that becomes schedulable takes the pods that had nowhere to go.
      for (const pod of cluster.scan(POD)) if (!specOf(pod).nodeName) this.observe(cluster, pod, undefined);
      return;
    }
    if (object.kind !== 'Pod' || event?.type === 'DELETED') return;
    const namespace = object.metadata.namespace ?? '';
    const name = object.metadata.name ?? '';
    this.context.enqueue(cluster, `pod/${namespace}/${name}`, () => this.reconcile(cluster, namespace, name));
  }

  private reconcile(cluster: ClusterState, namespace: string, name: string): void {
    const pod = cluster.peek(POD, namespace, name);
    const uid = pod?.metadata.uid;
    if (!pod || !uid || pod.metadata.deletionTimestamp) return;
    const phase = statusOf(pod).phase;
    if (phase === 'Running' || phase === 'Succeeded' || phase === 'Failed') return;
    if (!specOf(pod).nodeName) {
      this.schedule(cluster, pod);
      return;
    }
    const wait = this.context.readiness.remaining(uid);
    if (wait > 0) {
      this.context.later(cluster, wait, `pod/${namespace}/${name}`, () => this.reconcile(cluster, namespace, name));
      return;
    }
    this.start(cluster, pod);
  }

  private schedule(cluster: ClusterState, pod: KubeObject): void {
    const all = cluster.scan(NODE);
    const nodes = all.filter((node) => specOf(node).unschedulable !== true);
    if (nodes.length === 0) {
      this.context.events.record(cluster, pod, {
        type: 'Warning',
        reason: 'FailedScheduling',
        message: `0/${all.length} nodes are available: ${all.length} node(s) were unschedulable.`,
        component: SCHEDULER,
      });
      return;
    }
    const node = nodes[createHash('sha1').update(pod.metadata.uid ?? '').digest().readUInt16BE(0) % nodes.length];
    const nodeName = node?.metadata.name ?? '';
    const bound = clone(pod);
    bound.spec = { ...specOf(pod), nodeName };
    const written = cluster.controllerWrite(POD, bound, SCHEDULER) ?? bound;
    const withCondition = clone(written);
    withCondition.status = {
      ...statusOf(written),
      phase: 'Pending',
      conditions: [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: kubeTimestamp() }],
      qosClass: qosClass(written),
    };
    const scheduled = cluster.controllerWrite(POD, withCondition, SCHEDULER, 'status') ?? withCondition;
    this.context.events.record(cluster, scheduled, {
      reason: 'Scheduled',
      message: `Successfully assigned ${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''} to ${nodeName}`,
      component: SCHEDULER,
      action: 'Binding',
    });
    for (const container of containersOf(scheduled)) {
      this.context.events.record(cluster, scheduled, {
        reason: 'Pulling',
        message: `Pulling image "${String(container.image)}"`,
        component: KUBELET,
        host: nodeName,
        fieldPath: `spec.containers{${String(container.name)}}`,
      });
    }
    this.context.readiness.start(pod.metadata.uid ?? '');
    this.context.enqueue(cluster, `pod/${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`, () =>
      this.reconcile(cluster, pod.metadata.namespace ?? '', pod.metadata.name ?? ''),
    );
  }

  private start(cluster: ClusterState, pod: KubeObject): void {
    const uid = pod.metadata.uid ?? '';
    const nodeName = String(specOf(pod).nodeName);
    const hostIP = nodeAddress(cluster.peek(NODE, undefined, nodeName));
    const index = createHash('sha1').update(uid).digest().readUInt16BE(0);
    const podIP = `10.244.${(index >> 8) % 250}.${(index % 250) + 2}`;
    const now = kubeTimestamp();
    const containers = containersOf(pod);
    const next = clone(pod);
    const previousConditions = Array.isArray(statusOf(pod).conditions) ? (statusOf(pod).conditions as JsonObject[]) : [];
    const scheduledAt = previousConditions.find((c) => c.type === 'PodScheduled')?.lastTransitionTime ?? now;
    next.status = {
      phase: 'Running',
      conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({
        type,
        status: 'True',
        lastProbeTime: null,
        lastTransitionTime: type === 'PodScheduled' ? scheduledAt : now,
      })),
      hostIP,
      hostIPs: [{ ip: hostIP }],
      podIP,
      podIPs: [{ ip: podIP }],
      startTime: now,
      qosClass: statusOf(pod).qosClass ?? qosClass(pod),
      containerStatuses: containers.map((container) => ({
        name: container.name,
        image: container.image,
        imageID: `${String(container.image)}@sha256:${digest(String(container.image))}`,
        containerID: `containerd://${digest(`${uid}/${String(container.name)}`)}`,
        ready: true,
        started: true,
        restartCount: 0,
        state: { running: { startedAt: now } },
      })),
    };
    const running = cluster.controllerWrite(POD, next, KUBELET, 'status') ?? next;
    const delay = `${this.context.options.readyDelayMs}ms`;
    for (const container of containers) {
      const about = { component: KUBELET, host: nodeName, fieldPath: `spec.containers{${String(container.name)}}` };
      this.context.events.record(cluster, running, { ...about, reason: 'Pulled', message: `Successfully pulled image "${String(container.image)}" in ${delay} (${delay} including waiting). Image size: 0 bytes.` });
      this.context.events.record(cluster, running, { ...about, reason: 'Created', message: `Created container: ${String(container.name)}` });
      this.context.events.record(cluster, running, { ...about, reason: 'Started', message: `Started container ${String(container.name)}` });
    }
  }
}

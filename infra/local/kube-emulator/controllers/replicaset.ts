/**
 * ReplicaSet controller of the Kubernetes API emulator: keeps `spec.replicas` pods
 * (`<replicaset>-<suffix>`) and reports how many are ready and available.
 */
import type { ClusterState, StoreEvent } from '../cluster.ts';
import { randomSuffix } from '../cluster.ts';
import { clone, deepEqual } from '../json.ts';
import type { JsonObject, KubeObject } from '../json.ts';
import { builtinOfKind } from '../resources.ts';
import { asNumber, queueSelfOrController, CONTROLLER_MANAGER, controlledPods, isPodReady, omitZero, podCounts, podFromTemplate, specOf } from './base.ts';
import type { Controller, ControllerContext } from './base.ts';

const POD = builtinOfKind('Pod');
const REPLICA_SET = builtinOfKind('ReplicaSet');
const COMPONENT = 'replicaset-controller';

export class ReplicaSetController implements Controller {
  constructor(private readonly context: ControllerContext) {}

  observe(cluster: ClusterState, object: KubeObject, _event: StoreEvent | undefined): void {
    queueSelfOrController(this.context, cluster, object, 'ReplicaSet', 'Pod', (c, namespace, name) => this.reconcile(c, namespace, name));
  }

  private reconcile(cluster: ClusterState, namespace: string, name: string): void {
    const replicaSet = cluster.peek(REPLICA_SET, namespace, name);
    if (!replicaSet || replicaSet.metadata.deletionTimestamp) return;
    const spec = specOf(replicaSet);
    const desired = asNumber(spec.replicas, 1);
    const template = (spec.template ?? {}) as JsonObject;
    const pods = controlledPods(cluster, replicaSet, POD);
    for (let i = pods.length; i < desired; i++) {
      const pod = cluster.controllerWrite(POD, podFromTemplate(replicaSet, `${name}-${randomSuffix()}`, template, {}), CONTROLLER_MANAGER);
      if (pod) this.context.events.record(cluster, replicaSet, { reason: 'SuccessfulCreate', message: `Created pod: ${pod.metadata.name ?? ''}`, component: COMPONENT });
    }
    if (pods.length > desired) {
      // Not-ready pods go first, then the newest.
      const ordered = [...pods].sort(
        (a, b) =>
          Number(isPodReady(a)) - Number(isPodReady(b)) ||
          String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)) ||
          String(b.metadata.name).localeCompare(String(a.metadata.name)),
      );
      for (const pod of ordered.slice(0, pods.length - desired)) {
        cluster.deleteObject(POD, pod);
        this.context.events.record(cluster, replicaSet, { reason: 'SuccessfulDelete', message: `Deleted pod: ${pod.metadata.name ?? ''}`, component: COMPONENT });
      }
    }
    const counts = podCounts(controlledPods(cluster, replicaSet, POD));
    const status = omitZero({
      replicas: counts.replicas,
      fullyLabeledReplicas: counts.replicas,
      readyReplicas: counts.ready,
      availableReplicas: counts.available,
      observedGeneration: replicaSet.metadata.generation ?? 1,
    });
    status.replicas = counts.replicas;
    const latest = cluster.peek(REPLICA_SET, namespace, name);
    if (!latest || deepEqual(latest.status, status)) return;
    cluster.controllerWrite(REPLICA_SET, { ...clone(latest), status }, CONTROLLER_MANAGER, 'status');
  }
}

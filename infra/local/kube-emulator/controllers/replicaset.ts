/**
 * ReplicaSet controller of the Kubernetes API emulator: keeps `spec.replicas` pods
 * (`<replicaset>-<suffix>`) and reports how many are ready and available. Its pods pass
 * admission like any created through the API: one refused (over quota, outside a
 * LimitRange) is a `FailedCreate` Warning event and a `ReplicaFailure` condition, and
 * the ReplicaSet is tried again later with a growing delay.
 */
import type { ClusterState, StoreEvent } from '../cluster.ts';
import { randomSuffix } from '../cluster.ts';
import { ApiError } from '../errors.ts';
import { clone, deepEqual, isObject, kubeTimestamp } from '../json.ts';
import type { JsonObject, KubeObject } from '../json.ts';
import { builtinOfKind } from '../resources.ts';
import { asNumber, queueSelfOrController, CONTROLLER_MANAGER, controlledPods, isPodReady, omitZero, podCounts, podFromTemplate, RetryBackoff, specOf, statusOf } from './base.ts';
import type { Controller, ControllerContext } from './base.ts';

const POD = builtinOfKind('Pod');
const REPLICA_SET = builtinOfKind('ReplicaSet');
const COMPONENT = 'replicaset-controller';

export class ReplicaSetController implements Controller {
  private readonly backoff = new RetryBackoff();

  constructor(private readonly context: ControllerContext) {}

  forget(cluster: ClusterState): void {
    this.backoff.forget(cluster);
  }

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
    let refusal: string | undefined;
    for (let i = pods.length; i < desired; i++) {
      try {
        const pod = cluster.controllerCreate(POD, podFromTemplate(replicaSet, `${name}-${randomSuffix()}`, template, {}), CONTROLLER_MANAGER);
        if (pod) this.context.events.record(cluster, replicaSet, { reason: 'SuccessfulCreate', message: `Created pod: ${pod.metadata.name ?? ''}`, component: COMPONENT });
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        refusal = error.message;
        this.context.events.record(cluster, replicaSet, { type: 'Warning', reason: 'FailedCreate', message: `Error creating: ${error.message}`, component: COMPONENT });
        break;
      }
    }
    const retryKey = `ReplicaSet/${namespace}/${name}`;
    if (refusal) this.backoff.retry(this.context, cluster, retryKey, () => this.reconcile(cluster, namespace, name));
    else this.backoff.succeeded(cluster, retryKey);
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
    const failure = (Array.isArray(statusOf(latest).conditions) ? (statusOf(latest).conditions as unknown[]) : []).filter(isObject).find((c) => c.type === 'ReplicaFailure');
    // The condition keeps the first refusal's message until creating succeeds again.
    if (refusal) status.conditions = [failure ?? { type: 'ReplicaFailure', status: 'True', lastTransitionTime: kubeTimestamp(), reason: 'FailedCreate', message: refusal }];
    if (!latest || deepEqual(latest.status, status)) return;
    cluster.controllerWrite(REPLICA_SET, { ...clone(latest), status }, CONTROLLER_MANAGER, 'status');
  }
}

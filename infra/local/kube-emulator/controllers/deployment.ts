/**
 * Deployment controller of the Kubernetes API emulator. A Deployment owns one
 * ReplicaSet per pod template (`<deployment>-<pod-template-hash>`), numbered by the
 * `deployment.kubernetes.io/revision` annotation. On a template change a new ReplicaSet
 * is scaled up to `spec.replicas` at once and the old ones are scaled to zero when its
 * pods are available; going back to an earlier template (`kubectl rollout undo`)
 * reuses that template's ReplicaSet under a new revision. Old, empty ReplicaSets beyond
 * `revisionHistoryLimit` are deleted.
 */
import type { ClusterState, StoreEvent } from '../cluster.ts';
import { clone, deepEqual, isObject, kubeTimestamp } from '../json.ts';
import type { JsonObject, KubeObject } from '../json.ts';
import { builtinOfKind } from '../resources.ts';
import { asNumber, queueSelfOrController, CONTROLLER_MANAGER, controllerOf, controllerReference, keepTransitionTimes, omitZero, specOf, statusOf, templateHash } from './base.ts';
import type { Controller, ControllerContext } from './base.ts';

const DEPLOYMENT = builtinOfKind('Deployment');
const REPLICA_SET = builtinOfKind('ReplicaSet');
const COMPONENT = 'deployment-controller';
const HASH_LABEL = 'pod-template-hash';
const REVISION = 'deployment.kubernetes.io/revision';
const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
const NOT_COPIED = new Set(['kubectl.kubernetes.io/last-applied-configuration', REVISION, REVISION_HISTORY, 'deployment.kubernetes.io/desired-replicas', 'deployment.kubernetes.io/max-replicas']);

const revisionOf = (object: KubeObject): number => Number(object.metadata.annotations?.[REVISION] ?? 0) || 0;

function withoutHash(template: unknown): JsonObject {
  const copy = isObject(template) ? clone(template) : {};
  const metadata = isObject(copy.metadata) ? copy.metadata : {};
  if (isObject(metadata.labels)) {
    const { [HASH_LABEL]: _hash, ...labels } = metadata.labels;
    metadata.labels = labels;
  }
  return copy;
}

function copiedAnnotations(deployment: KubeObject): Record<string, string> {
  return Object.fromEntries(Object.entries(deployment.metadata.annotations ?? {}).filter(([key]) => !NOT_COPIED.has(key)));
}

export class DeploymentController implements Controller {
  constructor(private readonly context: ControllerContext) {}

  observe(cluster: ClusterState, object: KubeObject, _event: StoreEvent | undefined): void {
    queueSelfOrController(this.context, cluster, object, 'Deployment', 'ReplicaSet', (c, namespace, name) => this.reconcile(c, namespace, name));
  }

  private scale(cluster: ClusterState, deployment: KubeObject, replicaSet: KubeObject, replicas: number): KubeObject {
    const from = asNumber(specOf(replicaSet).replicas, 0);
    if (from === replicas) return replicaSet;
    const next = clone(replicaSet);
    next.spec = { ...specOf(replicaSet), replicas };
    next.metadata.annotations = { ...next.metadata.annotations, 'deployment.kubernetes.io/desired-replicas': String(asNumber(specOf(deployment).replicas, 1)) };
    const written = cluster.controllerWrite(REPLICA_SET, next, CONTROLLER_MANAGER) ?? next;
    this.context.events.record(cluster, deployment, {
      reason: 'ScalingReplicaSet',
      message: `Scaled ${replicas > from ? 'up' : 'down'} replica set ${replicaSet.metadata.name ?? ''} from ${from} to ${replicas}`,
      component: COMPONENT,
    });
    return written;
  }

  private reconcile(cluster: ClusterState, namespace: string, name: string): void {
    const deployment = cluster.peek(DEPLOYMENT, namespace, name);
    if (!deployment || deployment.metadata.deletionTimestamp) return;
    const spec = specOf(deployment);
    const desired = asNumber(spec.replicas, 1);
    const template = withoutHash(spec.template);
    const owned = cluster.scan(REPLICA_SET, namespace).filter((rs) => controllerOf(rs)?.uid === deployment.metadata.uid);
    const maxRevision = owned.reduce((max, rs) => Math.max(max, revisionOf(rs)), 0);
    let current = owned.find((rs) => deepEqual(withoutHash(specOf(rs).template), template));

    if (!current) {
      const hash = templateHash(template, asNumber(statusOf(deployment).collisionCount, 0));
      const labels = { ...((isObject(template.metadata) && (template.metadata.labels as Record<string, string>)) || {}), [HASH_LABEL]: hash };
      const selector = isObject(spec.selector) ? clone(spec.selector) : {};
      selector.matchLabels = { ...(isObject(selector.matchLabels) ? selector.matchLabels : {}), [HASH_LABEL]: hash };
      const replicaSet: KubeObject = {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: `${name}-${hash}`,
          namespace,
          labels,
          annotations: {
            ...copiedAnnotations(deployment),
            [REVISION]: String(maxRevision + 1),
            'deployment.kubernetes.io/desired-replicas': String(desired),
            'deployment.kubernetes.io/max-replicas': String(desired + Math.ceil(desired / 4)),
          },
          ownerReferences: [controllerReference(deployment)],
        },
        spec: {
          replicas: 0,
          minReadySeconds: spec.minReadySeconds ?? 0,
          selector,
          template: { ...template, metadata: { ...(isObject(template.metadata) ? template.metadata : {}), labels } },
        },
      };
      current = cluster.controllerWrite(REPLICA_SET, replicaSet, CONTROLLER_MANAGER) ?? replicaSet;
    } else if (revisionOf(current) < maxRevision) {
      // Back to an earlier template: its ReplicaSet becomes the newest revision.
      const next = clone(current);
      const history = [next.metadata.annotations?.[REVISION_HISTORY], String(revisionOf(current))].filter(Boolean).join(',');
      next.metadata.annotations = { ...next.metadata.annotations, ...copiedAnnotations(deployment), [REVISION]: String(maxRevision + 1), [REVISION_HISTORY]: history };
      current = cluster.controllerWrite(REPLICA_SET, next, CONTROLLER_MANAGER) ?? next;
    }

    // The newest ReplicaSet carries the Deployment's annotations (change-cause among them), as they change.
    const wanted = copiedAnnotations(deployment);
    if (Object.entries(wanted).some(([key, value]) => current?.metadata.annotations?.[key] !== value)) {
      const next = clone(current);
      next.metadata.annotations = { ...next.metadata.annotations, ...wanted };
      current = cluster.controllerWrite(REPLICA_SET, next, CONTROLLER_MANAGER) ?? next;
    }
    current = this.scale(cluster, deployment, current, desired);
    const old = cluster.scan(REPLICA_SET, namespace).filter((rs) => controllerOf(rs)?.uid === deployment.metadata.uid && rs.metadata.uid !== current?.metadata.uid);
    const newAvailable = asNumber(statusOf(current).availableReplicas, 0);
    if (newAvailable >= desired || desired === 0) {
      for (const rs of old) if (asNumber(specOf(rs).replicas, 0) > 0) this.scale(cluster, deployment, rs, 0);
    }
    const historyLimit = asNumber(spec.revisionHistoryLimit, 10);
    const retired = old
      .filter((rs) => asNumber(specOf(rs).replicas, 0) === 0 && asNumber(statusOf(rs).replicas, 0) === 0)
      .sort((a, b) => revisionOf(a) - revisionOf(b));
    for (const rs of retired.slice(0, Math.max(0, retired.length - historyLimit))) cluster.deleteObject(REPLICA_SET, rs);

    const revision = current.metadata.annotations?.[REVISION];
    let latest = cluster.peek(DEPLOYMENT, namespace, name);
    if (!latest) return;
    if (revision && latest.metadata.annotations?.[REVISION] !== revision) {
      const annotated = clone(latest);
      annotated.metadata.annotations = { ...annotated.metadata.annotations, [REVISION]: revision };
      latest = cluster.controllerWrite(DEPLOYMENT, annotated, CONTROLLER_MANAGER) ?? annotated;
    }
    this.publishStatus(cluster, latest, current);
  }

  private publishStatus(cluster: ClusterState, deployment: KubeObject, current: KubeObject): void {
    const namespace = deployment.metadata.namespace ?? '';
    const desired = asNumber(specOf(deployment).replicas, 1);
    const owned = cluster.scan(REPLICA_SET, namespace).filter((rs) => controllerOf(rs)?.uid === deployment.metadata.uid);
    const sum = (field: string): number => owned.reduce((total, rs) => total + asNumber(statusOf(rs)[field], 0), 0);
    const replicas = sum('replicas');
    const available = sum('availableReplicas');
    const updated = asNumber(statusOf(current).replicas, 0);
    const complete = updated === desired && replicas === desired && available === desired;
    const now = kubeTimestamp();
    const rsName = current.metadata.name ?? '';
    // A ReplicaSet's ReplicaFailure (pods refused at admission) shows on its Deployment, the newest ReplicaSet's first.
    const failureOf = (rs: KubeObject): JsonObject | undefined =>
      (Array.isArray(statusOf(rs).conditions) ? (statusOf(rs).conditions as unknown[]) : []).filter(isObject).find((c) => c.type === 'ReplicaFailure');
    const failure = failureOf(current) ?? owned.map(failureOf).find((c) => c !== undefined);
    const conditions = keepTransitionTimes(statusOf(deployment).conditions, [
      {
        type: 'Available',
        status: available >= desired ? 'True' : 'False',
        lastUpdateTime: now,
        lastTransitionTime: now,
        reason: available >= desired ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
        message: available >= desired ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.',
      },
      {
        type: 'Progressing',
        status: 'True',
        lastUpdateTime: now,
        lastTransitionTime: now,
        reason: complete ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated',
        message: complete ? `ReplicaSet "${rsName}" has successfully progressed.` : `ReplicaSet "${rsName}" is progressing.`,
      },
      ...(failure
        ? [{ type: 'ReplicaFailure', status: failure.status, lastUpdateTime: failure.lastTransitionTime, lastTransitionTime: failure.lastTransitionTime, reason: failure.reason, message: failure.message }]
        : []),
    ]);
    const status = {
      ...omitZero({
        observedGeneration: deployment.metadata.generation ?? 1,
        replicas,
        updatedReplicas: updated,
        readyReplicas: sum('readyReplicas'),
        availableReplicas: available,
        unavailableReplicas: Math.max(0, desired - available),
      }),
      conditions,
    };
    if (deepEqual(statusOf(deployment), status)) return;
    cluster.controllerWrite(DEPLOYMENT, { ...clone(deployment), status }, CONTROLLER_MANAGER, 'status');
  }
}

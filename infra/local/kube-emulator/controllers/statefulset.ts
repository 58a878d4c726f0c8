/**
 * StatefulSet controller of the Kubernetes API emulator: pods `<name>-<ordinal>` for
 * every ordinal below `spec.replicas` (all at once: `podManagementPolicy` is not
 * honoured), claims from `volumeClaimTemplates`, one ControllerRevision per template,
 * and the status counters. Pods of an older revision are replaced. Pods and claims pass
 * admission as through the API; a refused one is a `FailedCreate` Warning event in the
 * statefulset-controller's words, the ordinals after it wait, and the StatefulSet is
 * tried again later with a growing delay.
 */
import type { ClusterState, StoreEvent } from '../cluster.ts';
import { ApiError } from '../errors.ts';
import { clone, deepEqual, isObject } from '../json.ts';
import type { JsonObject, KubeObject } from '../json.ts';
import { builtinOfKind } from '../resources.ts';
import { asNumber, queueSelfOrController, CONTROLLER_MANAGER, controlledPods, controllerOf, controllerReference, omitZero, podCounts, podFromTemplate, RetryBackoff, specOf, templateHash } from './base.ts';
import type { Controller, ControllerContext } from './base.ts';

const POD = builtinOfKind('Pod');
const PVC = builtinOfKind('PersistentVolumeClaim');
const STATEFUL_SET = builtinOfKind('StatefulSet');
const REVISION = builtinOfKind('ControllerRevision');
const COMPONENT = 'statefulset-controller';

export class StatefulSetController implements Controller {
  private readonly backoff = new RetryBackoff();

  constructor(private readonly context: ControllerContext) {}

  forget(cluster: ClusterState): void {
    this.backoff.forget(cluster);
  }

  /** Creates through admission; a refusal is recorded as the statefulset-controller does and ends this pass. */
  private create(cluster: ClusterState, statefulSet: KubeObject, object: KubeObject, failed: (error: string) => string): boolean {
    try {
      cluster.controllerCreate(object.kind === 'Pod' ? POD : PVC, object, CONTROLLER_MANAGER);
      return true;
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      this.context.events.record(cluster, statefulSet, { type: 'Warning', reason: 'FailedCreate', message: failed(error.message), component: COMPONENT });
      return false;
    }
  }

  observe(cluster: ClusterState, object: KubeObject, _event: StoreEvent | undefined): void {
    queueSelfOrController(this.context, cluster, object, 'StatefulSet', 'Pod', (c, namespace, name) => this.reconcile(c, namespace, name));
  }

  /** The ControllerRevision of the current template, created when missing. */
  private revision(cluster: ClusterState, statefulSet: KubeObject, template: JsonObject): string {
    const namespace = statefulSet.metadata.namespace ?? '';
    const name = `${statefulSet.metadata.name ?? ''}-${templateHash(template)}`;
    if (cluster.peek(REVISION, namespace, name)) return name;
    const owned = cluster.scan(REVISION, namespace).filter((r) => controllerOf(r)?.uid === statefulSet.metadata.uid);
    const number = owned.reduce((max, r) => Math.max(max, asNumber(r.revision, 0)), 0) + 1;
    const selectorLabels = (specOf(statefulSet).selector as { matchLabels?: Record<string, string> } | undefined)?.matchLabels ?? {};
    cluster.controllerWrite(
      REVISION,
      {
        apiVersion: 'apps/v1',
        kind: 'ControllerRevision',
        metadata: { name, namespace, labels: { ...selectorLabels, 'controller.kubernetes.io/hash': name.slice(name.lastIndexOf('-') + 1) }, ownerReferences: [controllerReference(statefulSet)] },
        data: { spec: { template: { $patch: 'replace', ...template } } },
        revision: number,
      },
      CONTROLLER_MANAGER,
    );
    return name;
  }

  private reconcile(cluster: ClusterState, namespace: string, name: string): void {
    const statefulSet = cluster.peek(STATEFUL_SET, namespace, name);
    if (!statefulSet || statefulSet.metadata.deletionTimestamp) return;
    const spec = specOf(statefulSet);
    const desired = asNumber(spec.replicas, 1);
    const template = isObject(spec.template) ? spec.template : {};
    const revision = this.revision(cluster, statefulSet, template);
    const serviceName = typeof spec.serviceName === 'string' ? spec.serviceName : undefined;
    const claimTemplates = Array.isArray(spec.volumeClaimTemplates) ? spec.volumeClaimTemplates.filter(isObject) : [];
    const selectorLabels = (spec.selector as { matchLabels?: Record<string, string> } | undefined)?.matchLabels ?? {};

    for (const pod of controlledPods(cluster, statefulSet, POD)) {
      const ordinal = Number(pod.metadata.labels?.['apps.kubernetes.io/pod-index'] ?? -1);
      const stale = pod.metadata.labels?.['controller-revision-hash'] !== revision;
      if (ordinal >= desired || ordinal < 0 || stale) {
        cluster.deleteObject(POD, pod);
        this.context.events.record(cluster, statefulSet, { reason: 'SuccessfulDelete', message: `delete Pod ${pod.metadata.name ?? ''} in StatefulSet ${name} successful`, component: COMPONENT });
      }
    }
    let refused = false;
    for (let ordinal = 0; ordinal < desired && !refused; ordinal++) {
      const podName = `${name}-${ordinal}`;
      for (const claim of claimTemplates) {
        const claimMeta = isObject(claim.metadata) ? claim.metadata : {};
        const claimName = `${String(claimMeta.name ?? 'data')}-${name}-${ordinal}`;
        if (cluster.peek(PVC, namespace, claimName)) continue;
        const created = this.create(
          cluster,
          statefulSet,
          {
            apiVersion: 'v1',
            kind: 'PersistentVolumeClaim',
            metadata: { name: claimName, namespace, labels: { ...selectorLabels, ...(isObject(claimMeta.labels) ? (claimMeta.labels as Record<string, string>) : {}) } },
            spec: clone(isObject(claim.spec) ? claim.spec : {}),
            status: { phase: 'Pending' },
          },
          (error) => `create Claim ${claimName} for Pod ${podName} in StatefulSet ${name} failed error: ${error}`,
        );
        if (!created) {
          refused = true;
          break;
        }
        this.context.events.record(cluster, statefulSet, { reason: 'SuccessfulCreate', message: `create Claim ${claimName} Pod ${podName} in StatefulSet ${name} success`, component: COMPONENT });
      }
      if (refused || cluster.peek(POD, namespace, podName)) continue;
      const volumes = claimTemplates.map((claim) => {
        const claimName = String(isObject(claim.metadata) ? (claim.metadata.name ?? 'data') : 'data');
        return { name: claimName, persistentVolumeClaim: { claimName: `${claimName}-${name}-${ordinal}` } };
      });
      const templateSpec = isObject(template.spec) ? template.spec : {};
      const existingVolumes = Array.isArray(templateSpec.volumes) ? templateSpec.volumes : [];
      const created = this.create(
        cluster,
        statefulSet,
        podFromTemplate(
          statefulSet,
          podName,
          template,
          { 'controller-revision-hash': revision, 'statefulset.kubernetes.io/pod-name': podName, 'apps.kubernetes.io/pod-index': String(ordinal) },
          { hostname: podName, ...(serviceName ? { subdomain: serviceName } : {}), ...(volumes.length > 0 ? { volumes: [...existingVolumes, ...volumes] } : {}) },
        ),
        (error) => `create Pod ${podName} in StatefulSet ${name} failed error: ${error}`,
      );
      if (!created) {
        refused = true;
        continue;
      }
      this.context.events.record(cluster, statefulSet, { reason: 'SuccessfulCreate', message: `create Pod ${podName} in StatefulSet ${name} successful`, component: COMPONENT });
    }
    const retryKey = `StatefulSet/${namespace}/${name}`;
    if (refused) this.backoff.retry(this.context, cluster, retryKey, () => this.reconcile(cluster, namespace, name));
    else this.backoff.succeeded(cluster, retryKey);
    const pods = controlledPods(cluster, statefulSet, POD);
    const counts = podCounts(pods);
    const updated = pods.filter((pod) => pod.metadata.labels?.['controller-revision-hash'] === revision).length;
    const status = {
      ...omitZero({
        observedGeneration: statefulSet.metadata.generation ?? 1,
        replicas: counts.replicas,
        readyReplicas: counts.ready,
        currentReplicas: updated,
        updatedReplicas: updated,
        availableReplicas: counts.available,
      }),
      replicas: counts.replicas,
      availableReplicas: counts.available,
      currentRevision: revision,
      updateRevision: revision,
      collisionCount: 0,
    };
    const latest = cluster.peek(STATEFUL_SET, namespace, name);
    if (!latest || deepEqual(latest.status, status)) return;
    cluster.controllerWrite(STATEFUL_SET, { ...clone(latest), status }, CONTROLLER_MANAGER, 'status');
  }
}

/**
 * ResourceQuota controller of the Kubernetes API emulator: `status.hard` mirrors
 * `spec.hard`, and `status.used` is what the namespace uses of each resource the quota
 * constrains, counted by the same code that admission charges new objects with
 * (admission.ts), so a quota's status and its refusals agree.
 */
import { quotaUsedStatus } from '../admission.ts';
import type { ClusterState, StoreEvent } from '../cluster.ts';
import { clone, deepEqual, isObject } from '../json.ts';
import type { KubeObject } from '../json.ts';
import { builtinOfKind } from '../resources.ts';
import { CONTROLLER_MANAGER, specOf } from './base.ts';
import type { Controller, ControllerContext } from './base.ts';

const QUOTA = builtinOfKind('ResourceQuota');

export class ResourceQuotaController implements Controller {
  constructor(private readonly context: ControllerContext) {}

  observe(cluster: ClusterState, object: KubeObject, _event: StoreEvent | undefined): void {
    const namespace = object.metadata.namespace;
    if (namespace === undefined || object.kind === 'Event') return;
    for (const quota of cluster.scan(QUOTA, namespace)) {
      const name = quota.metadata.name ?? '';
      this.context.enqueue(cluster, `quota/${namespace}/${name}`, () => this.reconcile(cluster, namespace, name));
    }
  }

  private reconcile(cluster: ClusterState, namespace: string, name: string): void {
    const quota = cluster.peek(QUOTA, namespace, name);
    if (!quota) return;
    const hard = isObject(specOf(quota).hard) ? (specOf(quota).hard as Record<string, string>) : {};
    const status = { hard: clone(hard), used: quotaUsedStatus(cluster, quota) };
    if (deepEqual(quota.status, status)) return;
    cluster.controllerWrite(QUOTA, { ...clone(quota), status }, CONTROLLER_MANAGER, 'status');
  }
}

/**
 * ResourceQuota controller of the Kubernetes API emulator: `status.hard` mirrors
 * `spec.hard`, and `status.used` is computed for object counts and for the requests and
 * limits of the namespace's pods and claims. Nothing is enforced at admission.
 */
import type { ClusterState, StoreEvent } from '../cluster.ts';
import { clone, deepEqual, isObject } from '../json.ts';
import type { JsonObject, KubeObject } from '../json.ts';
import { formatBytes, formatCpu, parseQuantity } from '../quantity.ts';
import { builtinOfKind } from '../resources.ts';
import { CONTROLLER_MANAGER, specOf, statusOf } from './base.ts';
import type { Controller, ControllerContext } from './base.ts';

const POD = builtinOfKind('Pod');
const PVC = builtinOfKind('PersistentVolumeClaim');
const QUOTA = builtinOfKind('ResourceQuota');
const COUNTED = ['pods', 'services', 'secrets', 'configmaps', 'persistentvolumeclaims', 'resourcequotas', 'serviceaccounts', 'replicationcontrollers'];

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
    const pods = cluster.scan(POD, namespace).filter((pod) => {
      const phase = statusOf(pod).phase;
      return phase !== 'Succeeded' && phase !== 'Failed';
    });
    const sumContainers = (kind: 'requests' | 'limits', resource: string): number =>
      pods.reduce((total, pod) => {
        const containers = Array.isArray(specOf(pod).containers) ? (specOf(pod).containers as unknown[]).filter(isObject) : [];
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
      const type = cluster.types.storedTypes().find((r) => r.plural === plural && r.group === group);
      if (!type) return 0;
      return type.kind === 'Pod' ? pods.length : cluster.scan(type, namespace).length;
    };
    const used: Record<string, string> = {};
    for (const key of Object.keys(hard)) {
      if (key === 'requests.cpu' || key === 'cpu') used[key] = formatCpu(sumContainers('requests', 'cpu'));
      else if (key === 'limits.cpu') used[key] = formatCpu(sumContainers('limits', 'cpu'));
      else if (key === 'requests.memory' || key === 'memory') used[key] = formatBytes(sumContainers('requests', 'memory'));
      else if (key === 'limits.memory') used[key] = formatBytes(sumContainers('limits', 'memory'));
      else if (key === 'requests.storage') {
        used[key] = formatBytes(
          cluster.scan(PVC, namespace).reduce((sum, pvc) => {
            const requests = (specOf(pvc).resources as { requests?: JsonObject } | undefined)?.requests ?? {};
            return sum + parseQuantity(requests.storage);
          }, 0),
        );
      } else if (key.startsWith('count/')) {
        const [plural = '', ...group] = key.slice('count/'.length).split('.');
        used[key] = String(countOf(plural, group.join('.')));
      } else if (COUNTED.includes(key)) used[key] = String(countOf(key, ''));
      else used[key] = '0';
    }
    const status = { hard: clone(hard), used };
    if (deepEqual(quota.status, status)) return;
    cluster.controllerWrite(QUOTA, { ...clone(quota), status }, CONTROLLER_MANAGER, 'status');
  }
}

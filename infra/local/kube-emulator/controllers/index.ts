/**
 * The simulated control plane of the Kubernetes API emulator: the controllers that stand
 * in for kube-controller-manager, the scheduler, the kubelets and the API server's own
 * loops, so that objects evolve the way client code expects. One controller per kind;
 * see each file.
 */
import type { ClusterState } from '../cluster.ts';
import { ControllerManager } from './base.ts';
import type { Controller, ControllerContext, ControllerOptions } from './base.ts';
import { ClusterRoleAggregationController } from './clusterrole-aggregation.ts';
import { CustomResourceDefinitionController } from './crd.ts';
import { DeploymentController } from './deployment.ts';
import { EventRecorder } from './events.ts';
import { GarbageCollector } from './garbage-collector.ts';
import { KubeletController } from './kubelet.ts';
import { NamespaceController } from './namespace.ts';
import { PersistentVolumeClaimController } from './pvc.ts';
import { ResourceQuotaController } from './quota.ts';
import { ReplicaSetController } from './replicaset.ts';
import { StatefulSetController } from './statefulset.ts';

export type { Controller, ControllerContext, ControllerOptions };
export { ControllerManager };
export { registerCustomTypes } from './crd.ts';
export { FluxController } from './flux.ts';

export function startControllers(
  options: ControllerOptions,
  onClusterChange: (cluster: ClusterState) => void,
  extra: Array<(context: ControllerContext) => Controller> = [],
): ControllerManager {
  const manager = new ControllerManager(options, new EventRecorder(), onClusterChange);
  manager.register(
    new CustomResourceDefinitionController(manager),
    new NamespaceController(manager),
    new DeploymentController(manager),
    new ReplicaSetController(manager),
    new StatefulSetController(manager),
    new KubeletController(manager),
    new PersistentVolumeClaimController(manager),
    new ResourceQuotaController(manager),
    new GarbageCollector(manager),
    new ClusterRoleAggregationController(manager),
    ...extra.map((make) => make(manager)),
  );
  return manager;
}

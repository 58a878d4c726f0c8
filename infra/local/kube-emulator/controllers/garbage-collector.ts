/**
 * Garbage collector of the Kubernetes API emulator: when an owner is deleted, the
 * objects whose ownerReferences point at its uid are deleted too (background
 * propagation).
 */
import type { ClusterState, StoreEvent } from '../cluster.ts';
import type { KubeObject } from '../json.ts';
import { ownedBy } from './base.ts';
import type { Controller, ControllerContext } from './base.ts';

export class GarbageCollector implements Controller {
  constructor(private readonly context: ControllerContext) {}

  observe(cluster: ClusterState, owner: KubeObject, event: StoreEvent | undefined): void {
    const uid = owner.metadata.uid;
    if (event?.type !== 'DELETED' || !uid) return;
    this.context.enqueue(cluster, `gc/${uid}`, () => {
      for (const type of cluster.types.storedTypes()) {
        if (type.namespaced && owner.metadata.namespace === undefined && owner.kind !== 'Namespace') {
          // A cluster-scoped owner may own namespaced dependents anywhere.
          for (const dependent of cluster.scan(type)) if (ownedBy(dependent, uid)) cluster.deleteObject(type, dependent);
          continue;
        }
        const candidates = type.namespaced ? cluster.scan(type, owner.metadata.namespace) : cluster.scan(type);
        for (const dependent of candidates) if (ownedBy(dependent, uid)) cluster.deleteObject(type, dependent);
      }
    });
  }
}

/**
 * PersistentVolumeClaim controller of the Kubernetes API emulator: a claim becomes
 * Bound `readyDelayMs` after it appears, to a volume named after it (no PersistentVolume
 * object is created).
 */
import type { ClusterState, StoreEvent } from '../cluster.ts';
import { clone } from '../json.ts';
import type { KubeObject } from '../json.ts';
import { builtinOfKind } from '../resources.ts';
import { CONTROLLER_MANAGER, specOf, statusOf } from './base.ts';
import type { Controller, ControllerContext } from './base.ts';

const PVC = builtinOfKind('PersistentVolumeClaim');

export class PersistentVolumeClaimController implements Controller {
  constructor(private readonly context: ControllerContext) {}

  observe(cluster: ClusterState, object: KubeObject, event: StoreEvent | undefined): void {
    if (object.kind !== 'PersistentVolumeClaim' || event?.type === 'DELETED') return;
    const namespace = object.metadata.namespace ?? '';
    const name = object.metadata.name ?? '';
    this.context.enqueue(cluster, `pvc/${namespace}/${name}`, () => this.reconcile(cluster, namespace, name));
  }

  private reconcile(cluster: ClusterState, namespace: string, name: string): void {
    const pvc = cluster.peek(PVC, namespace, name);
    const uid = pvc?.metadata.uid;
    if (!pvc || !uid || pvc.metadata.deletionTimestamp || statusOf(pvc).phase === 'Bound') return;
    const wait = this.context.readiness.remaining(uid);
    if (wait > 0) {
      this.context.later(cluster, wait, `pvc/${namespace}/${name}`, () => this.reconcile(cluster, namespace, name));
      return;
    }
    const spec = specOf(pvc);
    const requests = (spec.resources as { requests?: { storage?: string } } | undefined)?.requests ?? {};
    const bound = clone(pvc);
    bound.metadata.annotations = { ...bound.metadata.annotations, 'pv.kubernetes.io/bind-completed': 'yes', 'pv.kubernetes.io/bound-by-controller': 'yes' };
    bound.spec = { ...spec, volumeName: `pvc-${uid}` };
    const written = cluster.controllerWrite(PVC, bound, CONTROLLER_MANAGER) ?? bound;
    const withStatus = clone(written);
    withStatus.status = { phase: 'Bound', accessModes: spec.accessModes ?? ['ReadWriteOnce'], capacity: { storage: requests.storage ?? '1Gi' } };
    cluster.controllerWrite(PVC, withStatus, CONTROLLER_MANAGER, 'status');
  }
}

/**
 * A workspace on each of its clusters: the cluster's admin access from its provider,
 * then reconcile.ts. One cluster's failure is its own status, never the others'.
 */
import { logger } from '../observability/logger.ts';
import type { Store } from '../store/client.ts';
import { keys } from '../store/keys.ts';
import { getItems } from '../store/table.ts';
import { hostClusterItem, type HostClusterItem } from '../host-clusters/items.ts';
import { hostClusterAdminAccess, isReachablePhase } from '../host-clusters/access.ts';
import { kubeClient } from '../kube/kube-client.ts';
import type { WorkspaceClusterStatus, WorkspaceItem } from './items.ts';
import { reconcileWorkspace } from './reconcile.ts';
import { renderWorkspace, type RenderedWorkspace } from './render.ts';
import { resolveBindings } from './workspaces.ts';

export interface ClusterOutcome {
  status: WorkspaceClusterStatus;
  /** Objects created, changed or removed on the cluster. */
  changed: number;
  /** The cluster item is gone: nothing of the workspace can be left there to remove. */
  gone: boolean;
}

/** What the workspace renders now: its bindings' teams read afresh, so a team's new member is bound on the next run. */
export async function renderCurrent(store: Store, ws: WorkspaceItem): Promise<RenderedWorkspace> {
  return renderWorkspace({ workspaceId: ws.id, namespaces: ws.namespaces, bindings: await resolveBindings(store, ws.tenantId, ws.roleBindings) });
}

export const NOTHING: RenderedWorkspace = { namespaces: [], serviceAccounts: [], objects: [] };

const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Reconciles each cluster to `rendered` (NOTHING removes the workspace), in parallel; each outcome in the order of `clusterIds`. */
export async function reconcileClusters(store: Store, ws: WorkspaceItem, clusterIds: string[], rendered: RenderedWorkspace): Promise<ClusterOutcome[]> {
  const found = await getItems(store, clusterIds.map((id) => keys.cluster(ws.tenantId, ws.projectId, id)));
  const removing = rendered === NOTHING;
  return Promise.all(
    clusterIds.map(async (clusterId, i): Promise<ClusterOutcome> => {
      const cluster: HostClusterItem | undefined = found[i] ? hostClusterItem.parse(found[i]) : undefined;
      if (!cluster) return { status: { clusterId, phase: 'Error', message: `cluster ${clusterId} no longer exists` }, changed: 0, gone: true };
      if (!isReachablePhase(cluster.status.phase)) {
        return { status: { clusterId, phase: 'Error', message: `cluster ${cluster.name} is ${cluster.status.phase}` }, changed: 0, gone: cluster.status.phase === 'Deleting' };
      }
      try {
        const client = kubeClient(await hostClusterAdminAccess(store, cluster));
        const { changed } = await reconcileWorkspace(client, ws.id, rendered);
        return { status: { clusterId, phase: removing ? 'Removing' : 'Ready' }, changed, gone: false };
      } catch (error) {
        logger.warn('workspace not reconciled on a cluster', { workspaceId: ws.id, clusterId, reason: reason(error) });
        return { status: { clusterId, phase: 'Error', message: `cluster ${cluster.name}: ${reason(error)}` }, changed: 0, gone: false };
      }
    }),
  );
}

/** Ready when every cluster is, else Degraded with the failing clusters' messages. */
export function phaseOf(clusters: WorkspaceClusterStatus[]): { phase: 'Ready' | 'Degraded'; message?: string } {
  const failing = clusters.filter((c) => c.phase !== 'Ready');
  if (failing.length === 0) return { phase: 'Ready' };
  return { phase: 'Degraded', message: failing.map((c) => c.message ?? `${c.clusterId} is ${c.phase}`).join('; ') };
}

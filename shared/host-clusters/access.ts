/**
 * Reaching a host cluster's API as its administrator, through its provider: what the
 * kubeconfig download hands out, and what features that act on a cluster from outside
 * its own workflows (workspaces) use. Kept apart from host-clusters.ts so those callers
 * do not carry cluster creation (and its profile-variable matcher) in their bundles.
 */
import { ApiError } from '../errors.ts';
import type { Store } from '../store/client.ts';
import { accountSettingsOf } from '../cloud-accounts/items.ts';
import { getCloudAccount } from '../cloud-accounts/cloud-accounts.ts';
import type { ClusterAccess } from '../kube/kubeconfig.ts';
import { clusterRef, providerFor } from '../providers/index.ts';
import { PermanentProviderError } from '../providers/provider.ts';
import type { HostClusterItem } from './items.ts';

/** The account settings a cluster's provider needs (none for imported clusters). */
export async function accountOf(store: Store, cluster: Pick<HostClusterItem, 'tenantId' | 'projectId' | 'cloudAccountId'>) {
  if (!cluster.cloudAccountId) return undefined;
  const account = await getCloudAccount(store, cluster.tenantId, cluster.projectId, cluster.cloudAccountId).catch(() => undefined);
  return account ? accountSettingsOf(account) : undefined;
}

/** Whether the cluster can be reached at all: only a running (or updating) cluster has an API to reach. */
export const isReachablePhase = (phase: HostClusterItem['status']['phase']) => phase === 'Running' || phase === 'Updating';

/** The cluster's admin access, from its provider; a provider's refusal is a PermanentProviderError. */
export async function hostClusterAdminAccess(store: Store, cluster: HostClusterItem): Promise<ClusterAccess> {
  const provider = await providerFor({
    provider: cluster.provider,
    account: await accountOf(store, cluster),
    kubeconfig: cluster.kubeconfig,
    scope: { tenantId: cluster.tenantId, projectId: cluster.projectId },
    ...(cluster.edge ? { edge: { hosts: cluster.edge.hosts, operationId: cluster.operationId ?? '' } } : {}),
  });
  return provider.clusterAccess(clusterRef(cluster));
}

/** The same access for an API caller: a cluster that is not running, or a provider that refuses, is `invalid_state`. */
export async function hostClusterAccessForApi(store: Store, cluster: HostClusterItem): Promise<ClusterAccess> {
  if (!isReachablePhase(cluster.status.phase)) {
    throw new ApiError('invalid_state', `cluster ${cluster.name} is ${cluster.status.phase}; it can be reached once Running`);
  }
  try {
    return await hostClusterAdminAccess(store, cluster);
  } catch (error) {
    if (error instanceof PermanentProviderError) throw new ApiError('invalid_state', error.message);
    throw error;
  }
}

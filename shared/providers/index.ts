import type { AccountSettings } from '../cloud-accounts/items.ts';
import type { EdgeProviderOptions } from './edge.ts';
import { createImportedProvider } from './imported.ts';
import { createSimProvider, SIM_DEFAULTS } from './sim.ts';
import { createRemoteProvider } from './remote/client.ts';
import { PermanentProviderError, type ClusterProvider, type ClusterRef } from './provider.ts';

export type ProviderKind = 'sim' | 'eks' | 'aks' | 'gke' | 'vsphere' | 'edge' | 'imported';

/** What picks and configures a cluster's provider: its kind, and its account or kubeconfig. */
export interface ProviderTarget {
  provider: ProviderKind;
  account?: AccountSettings;
  /** Imported clusters only. */
  kubeconfig?: string;
  /** Edge clusters only: their hosts, and the operation their tasks belong to. */
  edge?: EdgeProviderOptions;
  /** vSphere clusters: where the VMs go; tasks belong to this operation. */
  vsphere?: { folder?: string | undefined; resourcePool?: string | undefined } | undefined;
  /** vSphere clusters: the cluster's tenant and project (where its gateway is registered) and its operation. */
  scope?: { tenantId: string; projectId: string };
  operationId?: string;
}

/**
 * EKS is loaded lazily: the sim and imported paths never pay for its SDK. AKS and GKE
 * run in their own provider functions (remote/functions.ts): no caller carries them.
 */
export async function providerFor(target: ProviderTarget): Promise<ClusterProvider> {
  if (target.provider === 'imported') {
    if (!target.kubeconfig) throw new PermanentProviderError('the imported cluster has no kubeconfig');
    return createImportedProvider(target.kubeconfig);
  }
  if (target.provider === 'edge') {
    if (!target.edge) throw new PermanentProviderError('the edge cluster names no hosts');
    const [{ createEdgeProvider }, { storeFromEnv }] = await Promise.all([import('./edge.ts'), import('../store/client.ts')]);
    return createEdgeProvider(storeFromEnv(), target.edge);
  }
  if (!target.account) throw new PermanentProviderError('the cluster\'s cloud account no longer exists');
  if (target.provider === 'vsphere') {
    if (!target.account.vsphere || !target.scope) throw new PermanentProviderError('the cloud account has no vCenter settings');
    const [{ createVsphereProvider }, { storeFromEnv }] = await Promise.all([import('./vsphere.ts'), import('../store/client.ts')]);
    return createVsphereProvider(storeFromEnv(), {
      account: target.account,
      scope: target.scope,
      operationId: target.operationId ?? '',
      ...(target.vsphere ? { placement: target.vsphere } : {}),
    });
  }
  if (target.provider === 'sim') return createSimProvider({ ...SIM_DEFAULTS, ...target.account.sim });
  if (target.provider === 'aks' || target.provider === 'gke') return createRemoteProvider(target.provider, target.account);
  if (!target.account.aws) throw new PermanentProviderError('the cloud account has no AWS role');
  const { createEksProvider } = await import('./eks/provider.ts');
  return createEksProvider(target.account.aws);
}

export function clusterRef(cluster: { id: string; providerName: string; region: string | null }): ClusterRef {
  return { clusterId: cluster.id, providerName: cluster.providerName, region: cluster.region ?? 'local' };
}

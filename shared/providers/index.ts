import type { AccountSettings } from '../cloud-accounts/items.ts';
import { createImportedProvider } from './imported.ts';
import { createSimProvider, SIM_DEFAULTS } from './sim.ts';
import { PermanentProviderError, type ClusterProvider, type ClusterRef } from './provider.ts';

export type ProviderKind = 'sim' | 'eks' | 'imported';

/** What picks and configures a cluster's provider: its kind, and its account or kubeconfig. */
export interface ProviderTarget {
  provider: ProviderKind;
  account?: AccountSettings;
  /** Imported clusters only. */
  kubeconfig?: string;
}

/** EKS is loaded lazily: the sim and imported paths never pay for its SDK. */
export async function providerFor(target: ProviderTarget): Promise<ClusterProvider> {
  if (target.provider === 'imported') {
    if (!target.kubeconfig) throw new PermanentProviderError('the imported cluster has no kubeconfig');
    return createImportedProvider(target.kubeconfig);
  }
  if (!target.account) throw new PermanentProviderError('the cluster\'s cloud account no longer exists');
  if (target.provider === 'sim') return createSimProvider({ ...SIM_DEFAULTS, ...target.account.sim });
  if (!target.account.aws) throw new PermanentProviderError('the cloud account has no AWS role');
  const { createEksProvider } = await import('./eks/provider.ts');
  return createEksProvider(target.account.aws);
}

export function clusterRef(cluster: { id: string; providerName: string; region: string | null }): ClusterRef {
  return { clusterId: cluster.id, providerName: cluster.providerName, region: cluster.region ?? 'local' };
}

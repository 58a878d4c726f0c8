import type { HostClusterItem } from '../clusters/cluster-items.ts';
import { createImportedProvider } from './imported.ts';
import { createSimProvider } from './sim.ts';
import { PermanentProviderError, type ClusterProvider, type ClusterRef } from './provider.ts';

/** What a provider needs from the cluster's cloud account. */
export interface AccountSettings {
  provider: 'aws' | 'sim';
  aws?: { roleArn: string; externalId: string };
  sim?: { provisionSeconds?: number; failProvisioning?: boolean };
}

/** EKS is loaded lazily: the API and sim paths never pay for its SDK. */
export async function providerFor(cluster: HostClusterItem, account: AccountSettings | undefined): Promise<ClusterProvider> {
  if (cluster.provider === 'imported') {
    if (!cluster.kubeconfig) throw new PermanentProviderError('the imported cluster has no kubeconfig');
    return createImportedProvider(cluster.kubeconfig);
  }
  if (!account) throw new PermanentProviderError(`cloud account ${cluster.cloudAccountId} no longer exists`);
  if (cluster.provider === 'sim') {
    return createSimProvider({
      provisionSeconds: account.sim?.provisionSeconds ?? 5,
      failProvisioning: account.sim?.failProvisioning ?? false,
    });
  }
  if (!account.aws) throw new PermanentProviderError('the cloud account has no AWS role');
  const { createEksProvider } = await import('./eks.ts');
  return createEksProvider(account.aws);
}

export const clusterRef = (cluster: HostClusterItem): ClusterRef => ({
  clusterId: cluster.id,
  providerName: cluster.providerName,
  region: cluster.region ?? 'local',
});

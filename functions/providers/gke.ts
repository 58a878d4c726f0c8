import { accountSecretPurpose } from '#shared/cloud-accounts/items.ts';
import { PermanentProviderError } from '#shared/providers/provider.ts';
import { createGkeProvider } from '#shared/providers/gke/provider.ts';
import { createProviderFunction } from '#shared/providers/remote/function.ts';
import { secretBoxFromEnv } from '#shared/secrets/secret-box.ts';

/** The GKE provider function: the only bundle that carries Google Cloud's SDK. */
export const handler = createProviderFunction('gke', async (account) => {
  if (!account.gcp) throw new PermanentProviderError('the cloud account has no Google Cloud service account');
  const key = await secretBoxFromEnv().open(account.gcp.sealedServiceAccountKey, accountSecretPurpose(account.id));
  return createGkeProvider({ projectId: account.gcp.projectId, serviceAccountKey: JSON.parse(key) });
});

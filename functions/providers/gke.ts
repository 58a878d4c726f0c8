import { accountSecretPurpose } from '#shared/cloud-accounts/items.ts';
import { PermanentProviderError } from '#shared/providers/provider.ts';
import { createGkeProvider } from '#shared/providers/gke/provider.ts';
import { createProviderFunction } from '#shared/providers/remote/function.ts';
import { providerCache } from '#shared/providers/remote/cache.ts';
import { secretBoxFromEnv } from '#shared/secrets/secret-box.ts';

/** The GKE provider function: the only bundle that carries Google Cloud's SDK. */
const cached = providerCache();

export const handler = createProviderFunction('gke', async (account) => {
  const gcp = account.gcp;
  if (!gcp) throw new PermanentProviderError('the cloud account has no Google Cloud service account');
  return cached(`${account.id}|${JSON.stringify(gcp)}`, async () => {
    const key = await secretBoxFromEnv().open(gcp.sealedServiceAccountKey, accountSecretPurpose(account.id));
    return createGkeProvider({ projectId: gcp.projectId, serviceAccountKey: JSON.parse(key) });
  });
});

import { accountSecretPurpose } from '#shared/cloud-accounts/items.ts';
import { PermanentProviderError } from '#shared/providers/provider.ts';
import { createAksProvider } from '#shared/providers/aks/provider.ts';
import { createProviderFunction } from '#shared/providers/remote/function.ts';
import { providerCache } from '#shared/providers/remote/cache.ts';
import { secretBoxFromEnv } from '#shared/secrets/secret-box.ts';

/** The AKS provider function: the only bundle that carries Azure's SDKs. */
const cached = providerCache();

export const handler = createProviderFunction('aks', async (account) => {
  if (!account.azure) throw new PermanentProviderError('the cloud account has no Azure service principal');
  const { sealedClientSecret, ...azure } = account.azure;
  return cached(`${account.id}|${JSON.stringify(account.azure)}`, async () => {
    const clientSecret = await secretBoxFromEnv().open(sealedClientSecret, accountSecretPurpose(account.id));
    return createAksProvider({ ...azure, clientSecret });
  });
});

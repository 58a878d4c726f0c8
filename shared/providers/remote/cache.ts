/**
 * A provider function's providers, kept for the life of its Lambda container: the
 * credential inside caches the cloud's token until shortly before it expires, so calls
 * after the first neither sign in again nor open the sealed secret again. Keyed by the
 * account and its sealed secret, so a replaced secret makes a new provider.
 */
import type { ClusterProvider } from '../provider.ts';

const MAX_PROVIDERS = 64;

export function providerCache() {
  const providers = new Map<string, Promise<ClusterProvider>>();
  return (key: string, make: () => Promise<ClusterProvider>): Promise<ClusterProvider> => {
    let provider = providers.get(key);
    if (!provider) {
      if (providers.size >= MAX_PROVIDERS) providers.delete(providers.keys().next().value!);
      provider = make();
      providers.set(key, provider);
      // A failure (a secret that cannot be opened) is not kept: the next call tries again.
      provider.catch(() => providers.delete(key));
    }
    return provider;
  };
}

/**
 * The local Helm repository as the demo tenant's registry `local-charts`: created on
 * first start, and on later starts pointed at wherever the repository listens now (its
 * port can change between starts) with its current credentials.
 */
import { createRegistry, listRegistries } from '#shared/registries/registries.ts';
import { registrySecretPurpose } from '#shared/registries/items.ts';
import { secretBoxFromEnv } from '#shared/secrets/secret-box.ts';
import { keys } from '#shared/store/keys.ts';
import { update, updateItem } from '#shared/store/table.ts';
import type { Store } from '#shared/store/client.ts';
import { createTx } from '#shared/store/tx.ts';

export const LOCAL_CHARTS = 'local-charts';

export async function seedLocalCharts(store: Store, tenantId: string, repository: { url: string; auth?: { username: string; password: string } | undefined }) {
  const existing = (await listRegistries(store, tenantId, { limit: 100 })).items.find((r) => r.name === LOCAL_CHARTS);
  if (!existing) {
    return createRegistry(createTx(store), tenantId, { name: LOCAL_CHARTS, type: 'helm', url: repository.url, ...(repository.auth ? { auth: repository.auth } : {}) });
  }
  const sealed = repository.auth ? await secretBoxFromEnv().seal(repository.auth.password, registrySecretPurpose(existing.id)) : undefined;
  await update(
    store,
    updateItem(keys.registry(tenantId, existing.id), {
      set: { url: repository.url, authKind: repository.auth ? 'basic' : undefined, username: repository.auth?.username, sealedSecret: sealed },
      expectedVersion: existing.version,
    }),
  );
  return existing;
}

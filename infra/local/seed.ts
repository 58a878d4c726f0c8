import { hashApiKey, generateApiKey } from '#shared/auth/api-keys.ts';
import type { Store } from '#shared/store/client.ts';
import { keys, SYSTEM_TENANT } from '#shared/store/keys.ts';
import { getItem, transact } from '#shared/store/table.ts';
import { createTx } from '#shared/store/tx.ts';
import { apiKeyItem, emailItem } from '#shared/tenancy/items.ts';
import { createTenant, findTenantByName } from '#shared/tenancy/tenants.ts';
import { newUserItems } from '#shared/tenancy/users.ts';
import { newApiKeyItems } from '#shared/tenancy/api-keys.ts';
import { DEFAULT_PROJECT, findProject } from '#shared/tenancy/projects.ts';
import { createCloudAccount, listCloudAccounts } from '#shared/cloud-accounts/cloud-accounts.ts';

export const DEMO_TENANT = 'demo';
export const DEMO_ADMIN_EMAIL = 'admin@demo.local';
export const SYSTEM_ADMIN_EMAIL = 'system@palette.local';

export interface SeedResult {
  tenantId: string;
  adminUserId: string;
  systemUserId: string;
  /** Keys issued (or confirmed) by this start; undefined when one exists but its secret is unknown. */
  adminKey?: string;
  systemKey?: string;
}

/** Makes sure `secret` is a live key of the user, issuing it if the store lacks it. */
async function ensureKey(store: Store, owner: { tenantId: string | null; userId: string }, secret: string, name: string) {
  const existing = await getItem(store, keys.apiKeyByHash(hashApiKey(secret)), apiKeyItem);
  if (existing) {
    if (existing.userId !== owner.userId) throw new Error(`the ${name} key is already used by another user`);
    return;
  }
  await transact(store, newApiKeyItems(owner, { name, secret }).items);
}

/**
 * First start: tenant `demo` (with its default project and admin) and the platform's
 * system admin, with the keys from PALETTE_ADMIN_KEY / PALETTE_SYSTEM_KEY or fresh
 * ones. Later starts change nothing but add a key given in those variables.
 */
export async function seed(store: Store, options: { adminKey?: string; systemKey?: string } = {}): Promise<SeedResult> {
  const result: Partial<SeedResult> = {};
  const tx = createTx(store);

  const tenant = await findTenantByName(store, DEMO_TENANT);
  if (tenant) {
    const admin = await getItem(store, keys.userEmail(tenant.id, DEMO_ADMIN_EMAIL), emailItem);
    if (!admin) throw new Error(`tenant ${DEMO_TENANT} has no ${DEMO_ADMIN_EMAIL}`);
    result.tenantId = tenant.id;
    result.adminUserId = admin.userId;
    if (options.adminKey) {
      await ensureKey(store, { tenantId: tenant.id, userId: admin.userId }, options.adminKey, 'seeded admin key');
      result.adminKey = options.adminKey;
    }
  } else {
    const created = await createTenant(tx, { name: DEMO_TENANT, adminEmail: DEMO_ADMIN_EMAIL, adminName: 'Demo Admin', adminKey: options.adminKey ?? generateApiKey() });
    result.tenantId = created.tenant.id;
    result.adminUserId = created.admin.user.id;
    result.adminKey = created.admin.apiKey.key;
  }

  await ensureDemoCloudAccount(store, result.tenantId!);

  const system = await getItem(store, keys.userEmail(SYSTEM_TENANT, SYSTEM_ADMIN_EMAIL), emailItem);
  if (system) {
    result.systemUserId = system.userId;
    if (options.systemKey) {
      await ensureKey(store, { tenantId: null, userId: system.userId }, options.systemKey, 'seeded system key');
      result.systemKey = options.systemKey;
    }
  } else {
    const user = newUserItems(null, { email: SYSTEM_ADMIN_EMAIL, name: 'Platform Operator', role: 'system.admin' });
    const key = newApiKeyItems({ tenantId: null, userId: user.user.id }, { name: 'seeded system key', secret: options.systemKey });
    await transact(store, [...user.items, ...key.items]);
    result.systemUserId = user.user.id;
    result.systemKey = key.secret;
  }
  return result as SeedResult;
}

/** The demo tenant's default project gets a `sim` cloud account, so host clusters work at once. */
async function ensureDemoCloudAccount(store: Store, tenantId: string) {
  const project = await findProject(store, tenantId, DEFAULT_PROJECT);
  if (!project) return;
  const accounts = await listCloudAccounts(store, tenantId, project.id, { limit: 100 });
  if (!accounts.items.some((a) => a.name === 'sim')) await createCloudAccount(createTx(store), tenantId, project.id, { name: 'sim', provider: 'sim' });
  // Edge clusters are made of the registered edge hosts (the simulated ones register at start).
  if (!accounts.items.some((a) => a.name === 'edge')) await createCloudAccount(createTx(store), tenantId, project.id, { name: 'edge', provider: 'edge' });
}

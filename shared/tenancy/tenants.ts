import { ApiError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Store } from '../store/client.ts';
import { keys, lists } from '../store/keys.ts';
import { pickFields } from '../store/items.ts';
import { getItem, nowIso, queryPage, TransactionConflict } from '../store/table.ts';
import type { Tx } from '../store/tx.ts';
import { tenantItem, tenantNameItem, type TenantItem } from './items.ts';
import { tenant as tenantShape } from './schemas.ts';
import { newUserItems, toUser } from './users.ts';
import { newApiKeyItems, toCreatedApiKey } from './api-keys.ts';
import { DEFAULT_PROJECT, newProjectItems } from './projects.ts';

export const toTenant = (item: TenantItem) => pickFields(tenantShape, item);

/**
 * A tenant is born whole in one transaction: the tenant, its name reservation, its
 * `default` project, its first tenant.admin and that admin's API key.
 */
export async function createTenant(
  tx: Tx,
  input: { name: string; adminEmail: string; adminName?: string; adminKey?: string },
) {
  const now = nowIso();
  const tenant: TenantItem = { type: 'tenant', id: newId('tenant'), name: input.name, createdAt: now, updatedAt: now, version: 1 };
  const admin = newUserItems(tenant.id, {
    email: input.adminEmail,
    name: input.adminName ?? input.adminEmail.split('@')[0] ?? 'admin',
    role: 'tenant.admin',
  });
  const key = newApiKeyItems({ tenantId: tenant.id, userId: admin.user.id }, { name: 'initial admin key', secret: input.adminKey });
  const project = newProjectItems(tenant.id, { name: DEFAULT_PROJECT, description: 'The tenant\'s default project' });
  try {
    await tx.commit(
      [
        { Put: { Item: { ...keys.tenant(tenant.id), ...keys.tenantsIndex(tenant.id), ...tenant }, ConditionExpression: 'attribute_not_exists(pk)' } },
        { Put: { Item: { ...keys.tenantName(tenant.name), type: 'tenantname', tenantId: tenant.id }, ConditionExpression: 'attribute_not_exists(pk)' } },
        ...admin.items,
        ...key.items,
        ...project.items,
      ],
      { resourceId: tenant.id },
    );
  } catch (error) {
    if (error instanceof TransactionConflict) {
      if (error.reasons[1] === 'ConditionalCheckFailed') throw new ApiError('conflict', `a tenant named ${input.name} already exists`);
      throw new ApiError('conflict', 'the API key is already in use');
    }
    throw error;
  }
  return {
    tenant,
    defaultProject: project.project,
    admin: { user: toUser(admin.user), apiKey: toCreatedApiKey(key.record, key.secret) },
  };
}

export function getTenant(store: Store, tenantId: string) {
  return getItem(store, keys.tenant(tenantId), tenantItem);
}

export async function findTenantByName(store: Store, name: string) {
  const reservation = await getItem(store, keys.tenantName(name), tenantNameItem);
  return reservation ? getTenant(store, reservation.tenantId) : undefined;
}

export function listTenants(store: Store, page: { limit: number; cursor?: string }) {
  return queryPage(store, { ...lists.tenants(), ...page }, tenantItem);
}

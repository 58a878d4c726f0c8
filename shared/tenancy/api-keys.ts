import { ApiError, notFound } from '../errors.ts';
import { newId } from '../ids.ts';
import { generateApiKey, hashApiKey } from '../auth/api-keys.ts';
import type { Store } from '../store/client.ts';
import { keys, SYSTEM_TENANT } from '../store/keys.ts';
import { apiKeyItem, withoutKeys, type ApiKeyItem } from '../store/items.ts';
import { getItem, queryAll, queryPage, transact, TransactionConflict, type TransactItem } from '../store/table.ts';

const DAY_MS = 86_400_000;

export const toApiKey = (item: ApiKeyItem) => withoutKeys(item);

/**
 * The transaction items that issue a key: one record found by the secret's hash (the
 * authorizer's GetItem) and one by id (lists, revocation). `secret` lets the local
 * runtime seed a known key; otherwise a random one is generated.
 */
export function newApiKeyItems(
  owner: { tenantId: string | null; userId: string },
  input: { name: string; expiresInDays?: number; secret?: string },
) {
  const secret = input.secret ?? generateApiKey();
  const now = new Date();
  const expiresAt = input.expiresInDays ? new Date(now.getTime() + input.expiresInDays * DAY_MS).toISOString() : null;
  const record: ApiKeyItem = {
    type: 'apikey',
    id: newId('apiKey'),
    name: input.name,
    tenantId: owner.tenantId,
    userId: owner.userId,
    hash: hashApiKey(secret),
    expiresAt,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    version: 1,
  };
  // Expired keys are refused by the authorizer at once; TTL only tidies up a day later.
  const ttl = expiresAt ? Math.floor(Date.parse(expiresAt) / 1000) + 86_400 : undefined;
  const partition = owner.tenantId ?? SYSTEM_TENANT;
  const items: TransactItem[] = [
    {
      Put: {
        Item: { ...keys.apiKeyByHash(record.hash), ...record, ttl },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    {
      Put: {
        Item: { ...keys.apiKey(partition, record.id), ...keys.userKeysIndex(partition, owner.userId, record.id), ...record, ttl },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
  ];
  return { record, secret, items };
}

export async function createApiKey(
  store: Store,
  owner: { tenantId: string; userId: string },
  input: { name: string; expiresInDays?: number },
) {
  const { record, secret, items } = newApiKeyItems(owner, input);
  // The user must still exist when the key is written.
  items.push({ ConditionCheck: { Key: keys.user(owner.tenantId, owner.userId), ConditionExpression: 'attribute_exists(pk)' } });
  try {
    await transact(store, items);
  } catch (error) {
    if (error instanceof TransactionConflict) throw notFound(`user ${owner.userId}`);
    throw error;
  }
  return { ...toApiKey(record), key: secret };
}

export function listApiKeys(
  store: Store,
  scope: { tenantId: string; userId?: string },
  page: { limit: number; cursor?: string },
) {
  if (scope.userId) {
    return queryPage(
      store,
      { partition: { attribute: 'gsi1pk', value: keys.userKeysIndex(scope.tenantId, scope.userId, '').gsi1pk }, index: 'gsi1', ...page },
      apiKeyItem,
    );
  }
  return queryPage(
    store,
    {
      partition: { attribute: 'pk', value: keys.tenantPartition(scope.tenantId) },
      skBeginsWith: { attribute: 'sk', value: 'APIKEY#' },
      ...page,
    },
    apiKeyItem,
  );
}

export function apiKeyRecordsOfUser(store: Store, tenantId: string, userId: string) {
  return queryAll(
    store,
    { partition: { attribute: 'gsi1pk', value: keys.userKeysIndex(tenantId, userId, '').gsi1pk }, index: 'gsi1' },
    apiKeyItem,
  );
}

/** Revokes a key: both records go in one transaction, so the key fails at once. */
export async function deleteApiKey(store: Store, actor: { tenantId: string; userId: string; isAdmin: boolean }, keyId: string) {
  const record = await getItem(store, keys.apiKey(actor.tenantId, keyId), apiKeyItem);
  // Someone else's key reads as absent unless you are the tenant's admin.
  if (!record || (!actor.isAdmin && record.userId !== actor.userId)) throw notFound(`API key ${keyId}`);
  try {
    await transact(store, [
      { Delete: { Key: keys.apiKeyByHash(record.hash) } },
      { Delete: { Key: keys.apiKey(actor.tenantId, keyId), ConditionExpression: 'attribute_exists(pk)' } },
    ]);
  } catch (error) {
    if (error instanceof TransactionConflict) throw notFound(`API key ${keyId}`);
    throw error;
  }
}

export function assertCanIssueKey(actor: { userId: string; isAdmin: boolean }, forUserId: string) {
  if (!actor.isAdmin && actor.userId !== forUserId) {
    throw new ApiError('forbidden', 'only a tenant.admin can issue API keys for another user');
  }
}

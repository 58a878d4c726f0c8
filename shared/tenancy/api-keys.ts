import { ApiError, assertIfMatch, notFound } from '../errors.ts';
import { newId } from '../ids.ts';
import { generateApiKey, hashApiKey } from '../auth/api-keys.ts';
import type { Store } from '../store/client.ts';
import { keys, lists, tenantOrSystem } from '../store/keys.ts';
import { pickFields } from '../store/items.ts';
import { getItem, queryAll, queryPage, TransactionConflict, versionConflict, versionIs, type TransactItem } from '../store/table.ts';
import type { Tx } from '../store/tx.ts';
import { apiKeyItem, type ApiKeyItem } from './items.ts';
import { apiKey as apiKeyShape } from './schemas.ts';

const DAY_MS = 86_400_000;

export const toApiKey = (item: ApiKeyItem) => pickFields(apiKeyShape, item);
/** The one response that shows the secret. */
export const toCreatedApiKey = (item: ApiKeyItem, secret: string) => ({ ...toApiKey(item), key: secret });

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
  const partition = tenantOrSystem(owner.tenantId);
  const items: TransactItem[] = [
    { Put: { Item: { ...keys.apiKeyByHash(record.hash), ...record, ttl }, ConditionExpression: 'attribute_not_exists(pk)' } },
    {
      Put: {
        Item: { ...keys.apiKey(partition, record.id), ...keys.userKeysIndex(partition, owner.userId, record.id), ...record, ttl },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
  ];
  return { record, secret, items };
}

export async function createApiKey(tx: Tx, owner: { tenantId: string; userId: string }, input: { name: string; expiresInDays?: number }) {
  const { record, secret, items } = newApiKeyItems(owner, input);
  // The user must still exist when the key is written.
  items.push({ ConditionCheck: { Key: keys.user(owner.tenantId, owner.userId), ConditionExpression: 'attribute_exists(pk)' } });
  try {
    await tx.commit(items, { resourceId: record.id });
  } catch (error) {
    if (error instanceof TransactionConflict) throw notFound(`user ${owner.userId}`);
    throw error;
  }
  return toCreatedApiKey(record, secret);
}

export function listApiKeys(store: Store, scope: { tenantId: string; userId?: string }, page: { limit: number; cursor?: string }) {
  const list = scope.userId ? lists.apiKeysOfUser(scope.tenantId, scope.userId) : lists.apiKeys(scope.tenantId);
  return queryPage(store, { ...list, ...page }, apiKeyItem);
}

export function apiKeyRecordsOfUser(store: Store, tenantId: string, userId: string) {
  return queryAll(store, lists.apiKeysOfUser(tenantId, userId), apiKeyItem);
}

/** Revokes a key: both records go in one transaction, so the key fails at once. */
export async function deleteApiKey(tx: Tx, actor: { tenantId: string; userId: string; isAdmin: boolean }, keyId: string, ifMatch?: number) {
  const record = await getItem(tx.store, keys.apiKey(actor.tenantId, keyId), apiKeyItem);
  // Someone else's key reads as absent unless you are the tenant's admin.
  if (!record || (!actor.isAdmin && record.userId !== actor.userId)) throw notFound(`API key ${keyId}`);
  assertIfMatch(record, ifMatch);
  try {
    await tx.commit(
      [
        { Delete: { Key: keys.apiKeyByHash(record.hash) } },
        { Delete: { Key: keys.apiKey(actor.tenantId, keyId), ...versionIs(record.version) } },
      ],
      { resourceId: keyId },
    );
  } catch (error) {
    if (error instanceof TransactionConflict) throw await versionConflict(tx.store, keys.apiKey(actor.tenantId, keyId), `API key ${keyId}`, ifMatch);
    throw error;
  }
}

export function assertCanIssueKey(actor: { userId: string; isAdmin: boolean }, forUserId: string) {
  if (!actor.isAdmin && actor.userId !== forUserId) {
    throw new ApiError('forbidden', 'only a tenant.admin can issue API keys for another user');
  }
}

import { ApiError, assertIfMatch, notFound } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Store } from '../store/client.ts';
import { keys, lists, tenantOrSystem } from '../store/keys.ts';
import { pickFields } from '../store/items.ts';
import { getItem, nowIso, queryAll, queryPage, TransactionConflict, versionConflict, versionIs, type TransactItem } from '../store/table.ts';
import { MAX_DOMAIN_ITEMS, type Tx } from '../store/tx.ts';
import { memberItem, userItem, type UserItem } from './items.ts';
import { user as userShape } from './schemas.ts';
import { apiKeyRecordsOfUser } from './api-keys.ts';

export type UserRole = UserItem['role'];

export const toUser = (item: UserItem) => pickFields(userShape, item);

/** The transaction items that create a user and reserve its email in the tenant. */
export function newUserItems(tenantId: string | null, input: { email: string; name: string; role: UserRole }) {
  const now = nowIso();
  const partition = tenantOrSystem(tenantId);
  const user: UserItem = {
    type: 'user',
    id: newId('user'),
    tenantId,
    email: input.email.toLowerCase(),
    name: input.name,
    role: input.role,
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
  const items: TransactItem[] = [
    { Put: { Item: { ...keys.user(partition, user.id), ...user }, ConditionExpression: 'attribute_not_exists(pk)' } },
    { Put: { Item: { ...keys.userEmail(partition, user.email), type: 'email', userId: user.id }, ConditionExpression: 'attribute_not_exists(pk)' } },
  ];
  return { user, items };
}

export async function createUser(tx: Tx, tenantId: string, input: { email: string; name: string; role: UserRole }) {
  const { user, items } = newUserItems(tenantId, input);
  try {
    await tx.commit(items, { resourceId: user.id });
  } catch (error) {
    if (error instanceof TransactionConflict) throw new ApiError('conflict', `a user with email ${user.email} already exists in this tenant`);
    throw error;
  }
  return user;
}

export async function getUser(store: Store, tenantId: string, userId: string): Promise<UserItem> {
  const user = await getItem(store, keys.user(tenantId, userId), userItem);
  if (!user) throw notFound(`user ${userId}`);
  return user;
}

export function listUsers(store: Store, tenantId: string, page: { limit: number; cursor?: string }) {
  return queryPage(store, { ...lists.users(tenantId), ...page }, userItem);
}

/**
 * Removes a user with everything that grants it access: its API keys (so they fail
 * at once), its project memberships and its email reservation. Dependents go in
 * transactions of up to 100 items first; the user itself goes last (guarded by the
 * version the caller saw), so a repeated delete finishes the job.
 */
export async function deleteUser(tx: Tx, tenantId: string, userId: string, actorId: string, ifMatch?: number) {
  if (userId === actorId) throw new ApiError('invalid_state', 'you cannot delete yourself');
  const user = await getUser(tx.store, tenantId, userId);
  assertIfMatch(user, ifMatch);
  const [keyRecords, memberships] = await Promise.all([
    apiKeyRecordsOfUser(tx.store, tenantId, userId),
    queryAll(tx.store, lists.membershipsOfUser(tenantId, userId), memberItem),
  ]);
  const dependents: TransactItem[] = [
    ...keyRecords.flatMap((k) => [{ Delete: { Key: keys.apiKeyByHash(k.hash) } }, { Delete: { Key: keys.apiKey(tenantId, k.id) } }]),
    ...memberships.map((m) => ({ Delete: { Key: keys.member(tenantId, m.projectId, userId) } })),
    { Delete: { Key: keys.userEmail(tenantId, user.email) } },
  ];
  for (let i = 0; i < dependents.length; i += MAX_DOMAIN_ITEMS) await tx.commit(dependents.slice(i, i + MAX_DOMAIN_ITEMS), { audit: false });
  try {
    await tx.commit(
      [{ Delete: { Key: keys.user(tenantId, userId), ...versionIs(user.version) } }],
      { resourceId: userId },
    );
  } catch (error) {
    if (error instanceof TransactionConflict) throw await versionConflict(tx.store, keys.user(tenantId, userId), `user ${userId}`, ifMatch);
    throw error;
  }
}

import { ApiError, notFound } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Store } from '../store/client.ts';
import { keys, skPrefix, SYSTEM_TENANT } from '../store/keys.ts';
import { userItem, withoutKeys, type UserItem } from '../store/items.ts';
import { getItem, nowIso, queryAll, queryPage, transact, TransactionConflict, type TransactItem } from '../store/table.ts';
import { memberItem } from '../store/items.ts';
import { apiKeyRecordsOfUser } from './api-keys.ts';

export type UserRole = UserItem['role'];

export const toUser = (item: UserItem) => withoutKeys(item);

/** The transaction items that create a user and reserve its email in the tenant. */
export function newUserItems(tenantId: string | null, input: { email: string; name: string; role: UserRole }) {
  const now = nowIso();
  const partition = tenantId ?? SYSTEM_TENANT;
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
    {
      Put: {
        Item: { ...keys.userEmail(partition, user.email), type: 'email', userId: user.id },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
  ];
  return { user, items };
}

export async function createUser(store: Store, tenantId: string, input: { email: string; name: string; role: UserRole }) {
  const { user, items } = newUserItems(tenantId, input);
  try {
    await transact(store, items);
  } catch (error) {
    if (error instanceof TransactionConflict) {
      throw new ApiError('conflict', `a user with email ${user.email} already exists in this tenant`);
    }
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
  return queryPage(
    store,
    {
      partition: { attribute: 'pk', value: keys.tenantPartition(tenantId) },
      skBeginsWith: { attribute: 'sk', value: skPrefix.user },
      ...page,
    },
    userItem,
  );
}

/**
 * Removes a user with everything that grants it access: its API keys (so they fail
 * at once), its project memberships and its email reservation, in one transaction
 * per 100 items (the user itself goes last, so a retry finishes the job).
 */
export async function deleteUser(store: Store, tenantId: string, userId: string, actorId: string) {
  if (userId === actorId) throw new ApiError('invalid_state', 'you cannot delete yourself');
  const user = await getUser(store, tenantId, userId);
  const keyRecords = await apiKeyRecordsOfUser(store, tenantId, userId);
  const memberships = await queryAll(
    store,
    { partition: { attribute: 'gsi1pk', value: keys.userProjectsIndex(tenantId, userId, '').gsi1pk }, index: 'gsi1' },
    memberItem,
  );
  const dependents: TransactItem[] = [
    ...keyRecords.flatMap((k) => [
      { Delete: { Key: keys.apiKeyByHash(k.hash) } },
      { Delete: { Key: keys.apiKey(tenantId, k.id) } },
    ]),
    ...memberships.map((m) => ({ Delete: { Key: keys.member(tenantId, m.projectId, userId) } })),
    { Delete: { Key: keys.userEmail(tenantId, user.email) } },
  ];
  for (let i = 0; i < dependents.length; i += 99) await transact(store, dependents.slice(i, i + 99));
  await transact(store, [{ Delete: { Key: keys.user(tenantId, userId), ConditionExpression: 'attribute_exists(pk)' } }]);
}

import { ApiError, notFound } from '../errors.ts';
import type { Store } from '../store/client.ts';
import { keys, skPrefix } from '../store/keys.ts';
import { memberItem, userItem, type MemberItem, type ProjectItem } from '../store/items.ts';
import { getItem, isConditionFailure, nowIso, queryAll, queryPage, transact, TransactionConflict, versionIs } from '../store/table.ts';
import type { ProjectRole } from '../auth/permissions.ts';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';

export const toMember = (item: MemberItem) => ({
  id: `${item.projectId}:${item.userId}`,
  name: item.name,
  projectId: item.projectId,
  userId: item.userId,
  role: item.role,
  createdAt: item.createdAt,
  updatedAt: item.updatedAt,
  version: item.version,
});

/** Creates or changes a membership; the user must exist in the same tenant. */
export async function putMember(
  store: Store,
  tenantId: string,
  project: ProjectItem,
  userId: string,
  role: ProjectRole,
): Promise<MemberItem> {
  const user = await getItem(store, keys.user(tenantId, userId), userItem);
  if (!user) throw notFound(`user ${userId}`);
  const existing = await getItem(store, keys.member(tenantId, project.id, userId), memberItem);
  const now = nowIso();
  const member: MemberItem = {
    type: 'member',
    id: `${project.id}:${userId}`,
    name: user.name,
    projectId: project.id,
    userId,
    role,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
    version: (existing?.version ?? 0) + (existing?.role === role ? 0 : 1),
  };
  if (existing && existing.role === role) return existing;
  try {
    await transact(store, [
      {
        Put: {
          Item: { ...keys.member(tenantId, project.id, userId), ...keys.userProjectsIndex(tenantId, userId, project.id), ...member },
          ...(existing ? versionIs(existing.version) : { ConditionExpression: 'attribute_not_exists(pk)' }),
        },
      },
      // Both the user and the project must still exist when the membership lands.
      { ConditionCheck: { Key: keys.user(tenantId, userId), ConditionExpression: 'attribute_exists(pk)' } },
      { ConditionCheck: { Key: keys.project(tenantId, project.id), ConditionExpression: 'attribute_exists(pk)' } },
    ]);
  } catch (error) {
    if (error instanceof TransactionConflict) {
      throw new ApiError('conflict', 'the membership, user or project changed at the same time; retry');
    }
    throw error;
  }
  return member;
}

export async function deleteMember(store: Store, tenantId: string, project: ProjectItem, userId: string) {
  try {
    await store.doc.send(
      new DeleteCommand({
        TableName: store.tableName,
        Key: keys.member(tenantId, project.id, userId),
        ConditionExpression: 'attribute_exists(pk)',
      }),
    );
  } catch (error) {
    if (isConditionFailure(error)) throw notFound(`member ${userId} of project ${project.name}`);
    throw error;
  }
}

export function listMembers(store: Store, tenantId: string, projectId: string, page: { limit: number; cursor?: string }) {
  return queryPage(
    store,
    {
      partition: { attribute: 'pk', value: keys.tenantPartition(tenantId) },
      skBeginsWith: { attribute: 'sk', value: skPrefix.member(projectId) },
      ...page,
    },
    memberItem,
  );
}


/** A user's memberships across the tenant's projects (for /v1/me). */
export function listUserMemberships(store: Store, tenantId: string, userId: string) {
  return queryAll(
    store,
    { partition: { attribute: 'gsi1pk', value: keys.userProjectsIndex(tenantId, userId, '').gsi1pk }, index: 'gsi1' },
    memberItem,
  );
}

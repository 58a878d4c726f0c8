import { ApiError, assertIfMatch, notFound } from '../errors.ts';
import type { Store } from '../store/client.ts';
import { keys, lists } from '../store/keys.ts';
import { getItem, nowIso, queryAll, queryPage, TransactionConflict, updateItem, versionConflict, versionIs, type TransactItem } from '../store/table.ts';
import type { Tx } from '../store/tx.ts';
import type { ProjectRole } from '../auth/permissions.ts';
import { memberItem, userItem, type MemberItem, type ProjectItem } from './items.ts';

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

/**
 * Creates or changes a membership; the user and the project must still exist when it
 * lands. With If-Match the membership must exist at that version.
 */
export async function putMember(tx: Tx, tenantId: string, project: ProjectItem, userId: string, role: ProjectRole, ifMatch?: number): Promise<MemberItem> {
  const [user, existing] = await Promise.all([
    getItem(tx.store, keys.user(tenantId, userId), userItem),
    getItem(tx.store, keys.member(tenantId, project.id, userId), memberItem),
  ]);
  if (!user) throw notFound(`user ${userId}`);
  if (!existing && ifMatch !== undefined) throw new ApiError('precondition_failed', `user ${userId} is not a member of project ${project.name} yet; send the PUT without If-Match`);
  if (existing) assertIfMatch(existing, ifMatch);
  if (existing && existing.role === role) return existing;
  const now = nowIso();
  const key = keys.member(tenantId, project.id, userId);
  const member: MemberItem = existing
    ? { ...existing, role, updatedAt: now, version: existing.version + 1 }
    : { type: 'member', id: `${project.id}:${userId}`, name: user.name, projectId: project.id, userId, role, createdAt: now, updatedAt: now, version: 1 };
  const write: TransactItem = existing
    ? updateItem(key, { set: { role }, expectedVersion: existing.version, now })
    : { Put: { Item: { ...key, ...keys.userProjectsIndex(tenantId, userId, project.id), ...member }, ConditionExpression: 'attribute_not_exists(pk)' } };
  try {
    await tx.commit(
      [
        write,
        { ConditionCheck: { Key: keys.user(tenantId, userId), ConditionExpression: 'attribute_exists(pk)' } },
        { ConditionCheck: { Key: keys.project(tenantId, project.id), ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(deleting)' } },
      ],
      { resourceId: userId },
    );
  } catch (error) {
    if (error instanceof TransactionConflict) {
      if (existing && error.reasons[0] === 'ConditionalCheckFailed') throw await versionConflict(tx.store, key, `member ${userId}`, ifMatch);
      throw new ApiError('conflict', 'the membership, user or project changed at the same time; retry');
    }
    throw error;
  }
  return member;
}

export async function deleteMember(tx: Tx, tenantId: string, project: ProjectItem, userId: string, ifMatch?: number) {
  const key = keys.member(tenantId, project.id, userId);
  const existing = await getItem(tx.store, key, memberItem);
  if (!existing) throw notFound(`member ${userId} of project ${project.name}`);
  assertIfMatch(existing, ifMatch);
  try {
    await tx.commit([{ Delete: { Key: key, ...versionIs(existing.version) } }], { resourceId: userId });
  } catch (error) {
    if (error instanceof TransactionConflict) throw await versionConflict(tx.store, key, `member ${userId} of project ${project.name}`, ifMatch);
    throw error;
  }
}

export function listMembers(store: Store, tenantId: string, projectId: string, page: { limit: number; cursor?: string }) {
  return queryPage(store, { ...lists.members(tenantId, projectId), ...page }, memberItem);
}

/** A user's memberships across the tenant's projects (for /v1/me). */
export function listUserMemberships(store: Store, tenantId: string, userId: string) {
  return queryAll(store, lists.membershipsOfUser(tenantId, userId), memberItem);
}

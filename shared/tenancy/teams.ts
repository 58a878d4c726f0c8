import { ApiError, notFound, validationFailed } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Store } from '../store/client.ts';
import { keys, skPrefix } from '../store/keys.ts';
import { teamItem, withoutKeys, type TeamItem } from '../store/items.ts';
import { getItem, getItems, isConditionFailure, nowIso, queryPage, versionIs } from '../store/table.ts';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { preconditionFailed } from './projects.ts';

export const toTeam = (item: TeamItem) => withoutKeys(item);

/** Every member id must name a user of the same tenant (400 with the offending paths). */
async function assertUsersExist(store: Store, tenantId: string, memberIds: string[]) {
  const unique = [...new Set(memberIds)];
  const found = await getItems(store, unique.map((id) => keys.user(tenantId, id)));
  const missing = unique.filter((_, i) => !found[i]);
  if (missing.length) {
    throw validationFailed(
      'memberIds name users that do not exist in this tenant',
      missing.map((id) => ({ path: `memberIds.${memberIds.indexOf(id)}`, message: `no user ${id}` })),
    );
  }
  return unique;
}

export async function createTeam(store: Store, tenantId: string, input: { name: string; memberIds: string[] }) {
  const memberIds = await assertUsersExist(store, tenantId, input.memberIds);
  const now = nowIso();
  const team: TeamItem = { type: 'team', id: newId('team'), name: input.name, memberIds, createdAt: now, updatedAt: now, version: 1 };
  await store.doc.send(
    new PutCommand({
      TableName: store.tableName,
      Item: { ...keys.team(tenantId, team.id), ...team },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
  return team;
}

export async function getTeam(store: Store, tenantId: string, teamId: string) {
  const team = await getItem(store, keys.team(tenantId, teamId), teamItem);
  if (!team) throw notFound(`team ${teamId}`);
  return team;
}

export function listTeams(store: Store, tenantId: string, page: { limit: number; cursor?: string }) {
  return queryPage(
    store,
    { partition: { attribute: 'pk', value: keys.tenantPartition(tenantId) }, skBeginsWith: { attribute: 'sk', value: skPrefix.team }, ...page },
    teamItem,
  );
}

export async function replaceTeam(
  store: Store,
  tenantId: string,
  teamId: string,
  input: { name: string; memberIds: string[] },
  expectedVersion?: number,
) {
  const current = await getTeam(store, tenantId, teamId);
  if (expectedVersion !== undefined && current.version !== expectedVersion) throw preconditionFailed(current.version);
  const memberIds = await assertUsersExist(store, tenantId, input.memberIds);
  const team: TeamItem = { ...current, name: input.name, memberIds, updatedAt: nowIso(), version: current.version + 1 };
  try {
    await store.doc.send(
      new PutCommand({
        TableName: store.tableName,
        Item: { ...keys.team(tenantId, teamId), ...team },
        ...versionIs(current.version),
      }),
    );
  } catch (error) {
    if (isConditionFailure(error)) {
      if (expectedVersion !== undefined) throw preconditionFailed(current.version + 1);
      throw new ApiError('conflict', 'the team changed at the same time; retry');
    }
    throw error;
  }
  return team;
}

export async function deleteTeam(store: Store, tenantId: string, teamId: string, expectedVersion?: number) {
  try {
    await store.doc.send(
      new DeleteCommand({
        TableName: store.tableName,
        Key: keys.team(tenantId, teamId),
        ...(expectedVersion === undefined ? { ConditionExpression: 'attribute_exists(pk)' } : versionIs(expectedVersion)),
      }),
    );
  } catch (error) {
    if (isConditionFailure(error)) {
      const team = await getTeam(store, tenantId, teamId);
      throw preconditionFailed(team.version);
    }
    throw error;
  }
}

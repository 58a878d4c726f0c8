import { assertIfMatch, notFound, validationFailed } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Store } from '../store/client.ts';
import { keys, lists } from '../store/keys.ts';
import { pickFields } from '../store/items.ts';
import { getItem, getItems, nowIso, queryPage, TransactionConflict, updateItem, versionConflict, versionIs } from '../store/table.ts';
import type { Tx } from '../store/tx.ts';
import { teamItem, type TeamItem } from './items.ts';
import { team as teamShape } from './schemas.ts';

export const toTeam = (item: TeamItem) => pickFields(teamShape, item);

/** Every member id must name a user of the same tenant (400 with the offending paths). */
async function assertUsersExist(store: Store, tenantId: string, memberIds: string[]) {
  const unique = [...new Set(memberIds)];
  const found = await getItems(store, unique.map((id) => keys.user(tenantId, id)));
  const missing = unique.filter((_, i) => !found[i]);
  if (missing.length) {
    throw validationFailed(
      'memberIds name users that do not exist in this tenant',
      missing.map((id) => ({ path: `body.memberIds.${memberIds.indexOf(id)}`, message: `no user ${id}` })),
    );
  }
  return unique;
}

export async function createTeam(tx: Tx, tenantId: string, input: { name: string; memberIds: string[] }) {
  const memberIds = await assertUsersExist(tx.store, tenantId, input.memberIds);
  const now = nowIso();
  const team: TeamItem = { type: 'team', id: newId('team'), name: input.name, memberIds, createdAt: now, updatedAt: now, version: 1 };
  await tx.commit([{ Put: { Item: { ...keys.team(tenantId, team.id), ...team }, ConditionExpression: 'attribute_not_exists(pk)' } }], { resourceId: team.id });
  return team;
}

export async function getTeam(store: Store, tenantId: string, teamId: string) {
  const team = await getItem(store, keys.team(tenantId, teamId), teamItem);
  if (!team) throw notFound(`team ${teamId}`);
  return team;
}

export function listTeams(store: Store, tenantId: string, page: { limit: number; cursor?: string }) {
  return queryPage(store, { ...lists.teams(tenantId), ...page }, teamItem);
}

export async function replaceTeam(tx: Tx, tenantId: string, teamId: string, input: { name: string; memberIds: string[] }, ifMatch?: number) {
  const current = await getTeam(tx.store, tenantId, teamId);
  assertIfMatch(current, ifMatch);
  const memberIds = await assertUsersExist(tx.store, tenantId, input.memberIds);
  const next: TeamItem = { ...current, name: input.name, memberIds, updatedAt: nowIso(), version: current.version + 1 };
  try {
    await tx.commit(
      [updateItem(keys.team(tenantId, teamId), { set: { name: next.name, memberIds }, expectedVersion: current.version, now: next.updatedAt })],
      { resourceId: teamId },
    );
  } catch (error) {
    if (error instanceof TransactionConflict) throw await versionConflict(tx.store, keys.team(tenantId, teamId), `team ${teamId}`, ifMatch);
    throw error;
  }
  return next;
}

export async function deleteTeam(tx: Tx, tenantId: string, teamId: string, ifMatch?: number) {
  const current = await getTeam(tx.store, tenantId, teamId);
  assertIfMatch(current, ifMatch);
  try {
    await tx.commit([{ Delete: { Key: keys.team(tenantId, teamId), ...versionIs(current.version) } }], { resourceId: teamId });
  } catch (error) {
    if (error instanceof TransactionConflict) throw await versionConflict(tx.store, keys.team(tenantId, teamId), `team ${teamId}`, ifMatch);
    throw error;
  }
}

import { ApiError, assertIfMatch } from '../errors.ts';
import { isId, newId } from '../ids.ts';
import type { Store } from '../store/client.ts';
import { keys, lists, outsideItemsOf, projectOwnedLists } from '../store/keys.ts';
import { pickFields } from '../store/items.ts';
import { getItem, getItems, nowIso, queryAll, queryPage, TransactionConflict, updateItem, versionConflict, type TransactItem } from '../store/table.ts';
import { MAX_DOMAIN_ITEMS, type Tx } from '../store/tx.ts';
import * as z from 'zod';
import type { ProjectAccess } from '../auth/permissions.ts';
import type { Principal } from '../auth/principal.ts';
import { memberItem, projectItem, projectNameItem, type ProjectItem } from './items.ts';
import { project as projectShape } from './schemas.ts';

export const DEFAULT_PROJECT = 'default';

export const toProject = (item: ProjectItem) => pickFields(projectShape, item);

/** The transaction items that create a project and reserve its name in the tenant. */
export function newProjectItems(tenantId: string, input: { name: string; description: string }) {
  const now = nowIso();
  const project: ProjectItem = {
    type: 'project',
    id: newId('project'),
    name: input.name,
    description: input.description,
    hostClusters: 0,
    virtualClusters: 0,
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
  const items: TransactItem[] = [
    { Put: { Item: { ...keys.project(tenantId, project.id), ...project }, ConditionExpression: 'attribute_not_exists(pk)' } },
    { Put: { Item: { ...keys.projectName(tenantId, project.name), type: 'projectname', projectId: project.id }, ConditionExpression: 'attribute_not_exists(pk)' } },
  ];
  return { project, items };
}

const nameTaken = (name: string) => new ApiError('conflict', `a project named ${name} already exists in this tenant`);

export async function createProject(tx: Tx, tenantId: string, input: { name: string; description: string }) {
  const { project, items } = newProjectItems(tenantId, input);
  try {
    await tx.commit(items, { resourceId: project.id });
  } catch (error) {
    if (error instanceof TransactionConflict) throw nameTaken(input.name);
    throw error;
  }
  return project;
}

/** `{p}` in a path is a project id or a project name. */
export async function findProject(store: Store, tenantId: string, ref: string): Promise<ProjectItem | undefined> {
  let projectId = ref;
  if (!isId('project', ref)) {
    const byName = await getItem(store, keys.projectName(tenantId, ref), projectNameItem);
    if (!byName) return undefined;
    projectId = byName.projectId;
  }
  return getItem(store, keys.project(tenantId, projectId), projectItem);
}

/** The caller's access to a project; null when it does not exist or the caller is no member. */
export async function projectAccess(store: Store, principal: Principal, ref: string): Promise<ProjectAccess | null> {
  if (!principal.tenantId) return null;
  const project = await findProject(store, principal.tenantId, ref);
  if (!project) return null;
  if (principal.role === 'tenant.admin') return { project, role: 'project.admin' };
  const membership = await getItem(store, keys.member(principal.tenantId, project.id, principal.userId), memberItem);
  return membership ? { project, role: membership.role } : null;
}

/** Tenant admins see every project; members see the projects they belong to. */
export async function listVisibleProjects(store: Store, principal: Principal & { tenantId: string }, page: { limit: number; cursor?: string }) {
  if (principal.role === 'tenant.admin') return queryPage(store, { ...lists.projects(principal.tenantId), ...page }, projectItem);
  const memberships = await queryPage(store, { ...lists.membershipsOfUser(principal.tenantId, principal.userId), ...page }, memberItem);
  const projects = await getItems(store, memberships.items.map((m) => keys.project(principal.tenantId, m.projectId)));
  return {
    items: projects.filter((p) => p !== undefined).map((p) => projectItem.parse(p)),
    nextCursor: memberships.nextCursor,
  };
}

/** Renames and/or re-describes a project. */
export async function updateProject(
  tx: Tx,
  tenantId: string,
  current: ProjectItem,
  changes: { name?: string; description?: string },
  ifMatch?: number,
): Promise<ProjectItem> {
  assertIfMatch(current, ifMatch);
  const renamed = changes.name !== undefined && changes.name !== current.name;
  if (renamed && current.name === DEFAULT_PROJECT) throw new ApiError('invalid_state', 'the default project cannot be renamed');
  const next: ProjectItem = { ...current, ...changes, updatedAt: nowIso(), version: current.version + 1 };
  const items: TransactItem[] = [
    updateItem(keys.project(tenantId, current.id), {
      set: { name: next.name, description: next.description },
      expectedVersion: current.version,
      now: next.updatedAt,
    }),
  ];
  if (renamed) {
    items.push(
      { Put: { Item: { ...keys.projectName(tenantId, next.name), type: 'projectname', projectId: current.id }, ConditionExpression: 'attribute_not_exists(pk)' } },
      { Delete: { Key: keys.projectName(tenantId, current.name) } },
    );
  }
  try {
    await tx.commit(items, { resourceId: current.id });
  } catch (error) {
    if (error instanceof TransactionConflict) {
      if (error.reasons[0] === 'ConditionalCheckFailed') throw await versionConflict(tx.store, keys.project(tenantId, current.id), `project ${current.id}`, ifMatch);
      throw nameTaken(next.name);
    }
    throw error;
  }
  return next;
}

const keyOnly = z.object({ pk: z.string(), sk: z.string() });

/**
 * Deletes a project with its name reservation, memberships, cloud accounts and
 * cluster profiles. A project that still has host or virtual clusters is refused:
 * they hold real infrastructure (and quota) and go through their own workflow first. The refusal and the mark
 * that stops new clusters are one conditional write, so a cluster created at the same
 * moment either lands first (and the delete is refused) or is refused itself.
 */
export async function deleteProject(tx: Tx, tenantId: string, project: ProjectItem, ifMatch?: number) {
  if (project.name === DEFAULT_PROJECT) throw new ApiError('invalid_state', 'the default project cannot be deleted');
  assertIfMatch(project, ifMatch);
  const key = keys.project(tenantId, project.id);
  if (!project.deleting) {
    try {
      await tx.commit(
        [updateItem(key, {
          set: { deleting: true },
          touch: false,
          expectedVersion: project.version,
          condition: {
            expression: '(attribute_not_exists(hostClusters) OR hostClusters = :none) AND (attribute_not_exists(virtualClusters) OR virtualClusters = :none)',
            values: { ':none': 0 },
          },
        })],
        { audit: false },
      );
    } catch (error) {
      if (!(error instanceof TransactionConflict)) throw error;
      const latest = await getItem(tx.store, key, projectItem);
      if (latest && latest.version === project.version && (latest.hostClusters > 0 || latest.virtualClusters > 0)) {
        const what = latest.hostClusters > 0 ? 'host clusters' : 'virtual clusters';
        throw new ApiError('invalid_state', `project ${project.name} still has ${what}; delete them first`);
      }
      throw await versionConflict(tx.store, key, `project ${project.id}`, ifMatch);
    }
  }
  const owned = (await Promise.all(projectOwnedLists(tenantId, project.id).map((list) => queryAll(tx.store, list, keyOnly, 10_000)))).flat();
  const dependents: TransactItem[] = owned.flatMap((item) => [item, ...outsideItemsOf(item)]).map(({ pk, sk }) => ({ Delete: { Key: { pk, sk } } }));
  for (let i = 0; i < dependents.length; i += MAX_DOMAIN_ITEMS) await tx.commit(dependents.slice(i, i + MAX_DOMAIN_ITEMS), { audit: false });
  await tx.commit([{ Delete: { Key: key } }, { Delete: { Key: keys.projectName(tenantId, project.name) } }], { resourceId: project.id });
}

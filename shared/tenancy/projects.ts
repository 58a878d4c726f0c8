import { ApiError, notFound } from '../errors.ts';
import { isId, newId } from '../ids.ts';
import type { Store } from '../store/client.ts';
import { keys, skPrefix } from '../store/keys.ts';
import { memberItem, projectItem, withoutKeys, type ProjectItem } from '../store/items.ts';
import { getItem, getItems, nowIso, queryAll, queryPage, transact, TransactionConflict, type TransactItem, versionIs } from '../store/table.ts';
import { z } from 'zod';
import type { ProjectAccess, ProjectRole } from '../auth/permissions.ts';
import type { Principal } from '../auth/principal.ts';

export const DEFAULT_PROJECT = 'default';

export const toProject = (item: ProjectItem) => withoutKeys(item);

const projectNameItem = z.object({ projectId: z.string() });

/** The transaction items that create a project and reserve its name in the tenant. */
export function newProjectItems(tenantId: string, input: { name: string; description: string }) {
  const now = nowIso();
  const project: ProjectItem = {
    type: 'project',
    id: newId('project'),
    name: input.name,
    description: input.description,
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
  const items: TransactItem[] = [
    { Put: { Item: { ...keys.project(tenantId, project.id), ...project }, ConditionExpression: 'attribute_not_exists(pk)' } },
    {
      Put: {
        Item: { ...keys.projectName(tenantId, project.name), type: 'projectname', projectId: project.id },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
  ];
  return { project, items };
}

const nameTaken = (name: string) => new ApiError('conflict', `a project named ${name} already exists in this tenant`);

export async function createProject(store: Store, tenantId: string, input: { name: string; description: string }) {
  const { project, items } = newProjectItems(tenantId, input);
  try {
    await transact(store, items);
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
export async function listVisibleProjects(
  store: Store,
  principal: Principal & { tenantId: string },
  page: { limit: number; cursor?: string },
) {
  if (principal.role === 'tenant.admin') {
    return queryPage(
      store,
      {
        partition: { attribute: 'pk', value: keys.tenantPartition(principal.tenantId) },
        skBeginsWith: { attribute: 'sk', value: skPrefix.project },
        ...page,
      },
      projectItem,
    );
  }
  const memberships = await queryPage(
    store,
    {
      partition: { attribute: 'gsi1pk', value: keys.userProjectsIndex(principal.tenantId, principal.userId, '').gsi1pk },
      index: 'gsi1',
      ...page,
    },
    memberItem,
  );
  const projects = await getItems(
    store,
    memberships.items.map((m) => keys.project(principal.tenantId, m.projectId)),
  );
  return {
    items: projects.filter((p) => p !== undefined).map((p) => projectItem.parse(p)),
    nextCursor: memberships.nextCursor,
  };
}

/** Renames and/or re-describes a project; `expectedVersion` comes from If-Match. */
export async function updateProject(
  store: Store,
  tenantId: string,
  current: ProjectItem,
  changes: { name?: string; description?: string },
  expectedVersion: number,
): Promise<ProjectItem> {
  if (current.version !== expectedVersion) throw preconditionFailed(current.version);
  const updated: ProjectItem = {
    ...current,
    ...changes,
    updatedAt: nowIso(),
    version: current.version + 1,
  };
  if (changes.name !== undefined && changes.name !== current.name && current.name === DEFAULT_PROJECT) {
    throw new ApiError('invalid_state', 'the default project cannot be renamed');
  }
  const items: TransactItem[] = [
    {
      Put: {
        Item: { ...keys.project(tenantId, current.id), ...updated },
        ...versionIs(expectedVersion),
      },
    },
  ];
  const renamed = changes.name !== undefined && changes.name !== current.name;
  if (renamed) {
    items.push(
      {
        Put: {
          Item: { ...keys.projectName(tenantId, updated.name), type: 'projectname', projectId: current.id },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      { Delete: { Key: keys.projectName(tenantId, current.name) } },
    );
  }
  try {
    await transact(store, items);
  } catch (error) {
    if (error instanceof TransactionConflict) {
      if (error.reasons[0] === 'ConditionalCheckFailed') {
        const latest = await getItem(store, keys.project(tenantId, current.id), projectItem);
        if (!latest) throw notFound(`project ${current.id}`);
        throw preconditionFailed(latest.version);
      }
      throw nameTaken(updated.name);
    }
    throw error;
  }
  return updated;
}

export const preconditionFailed = (actual: number) =>
  new ApiError('precondition_failed', `the resource has changed; its current version is ${actual}`);

/** Sort-key prefixes of what a project owns in its tenant's partition (deleted with it). */
const ownedPrefixes = (projectId: string) => [
  skPrefix.member(projectId),
  skPrefix.cloudAccount(projectId),
  `CLOUDACCOUNTNAME#${projectId}#`,
  skPrefix.clusterProfile(projectId),
  `CLUSTERPROFILENAME#${projectId}#`,
];

const keyOnly = z.object({ pk: z.string(), sk: z.string() });

/**
 * Deletes a project with its name reservation, memberships, cloud accounts and
 * cluster profiles. A project that still has host clusters is refused: they hold
 * real infrastructure and are deleted through their own workflow first.
 */
export async function deleteProject(store: Store, tenantId: string, project: ProjectItem, expectedVersion?: number) {
  if (project.name === DEFAULT_PROJECT) throw new ApiError('invalid_state', 'the default project cannot be deleted');
  if (expectedVersion !== undefined && project.version !== expectedVersion) throw preconditionFailed(project.version);
  const partition = { attribute: 'pk', value: keys.tenantPartition(tenantId) };
  const clusters = await queryPage(store, { partition, skBeginsWith: { attribute: 'sk', value: skPrefix.cluster(project.id) }, limit: 1 }, keyOnly);
  if (clusters.items.length) throw new ApiError('invalid_state', `project ${project.name} still has host clusters; delete them first`);
  const owned = [];
  for (const prefix of ownedPrefixes(project.id)) {
    owned.push(...(await queryAll(store, { partition, skBeginsWith: { attribute: 'sk', value: prefix } }, keyOnly, 10_000)));
  }
  const dependents: TransactItem[] = owned.map(({ pk, sk }) => ({ Delete: { Key: { pk, sk } } }));
  for (let i = 0; i < dependents.length; i += 100) await transact(store, dependents.slice(i, i + 100));
  try {
    await transact(store, [
      {
        Delete: {
          Key: keys.project(tenantId, project.id),
          ...versionIs(project.version),
        },
      },
      { Delete: { Key: keys.projectName(tenantId, project.name) } },
    ]);
  } catch (error) {
    if (error instanceof TransactionConflict) throw new ApiError('conflict', 'the project changed while it was being deleted; retry');
    throw error;
  }
}

export type { ProjectRole };

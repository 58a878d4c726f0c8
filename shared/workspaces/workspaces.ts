/**
 * Workspaces: namespaces with quotas and role bindings, applied across a set of a
 * project's host clusters by the workspace workflows, and a kubeconfig per person that
 * holds exactly what the bindings give them. The item carries the spec and the status
 * per cluster; the objects on the clusters carry their owner (render.ts), so a change
 * removes only what the workspace created.
 */
import { ApiError, assertIfMatch, notFound, validationFailed } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Store } from '../store/client.ts';
import { keys, lists } from '../store/keys.ts';
import { pickFields } from '../store/items.ts';
import { claimName, releaseName } from '../store/names.ts';
import { getItem, getItems, nowIso, queryPage, transact, updateItem, type TransactItem } from '../store/table.ts';
import type { Tx } from '../store/tx.ts';
import { failOwnedResource, finishOperationItem, launchWorkflow, pollPlan, startOperation, type StartFailure } from '../operations/operations.ts';
import type { OperationRecovery } from '../operations/recovery.ts';
import { teamItem } from '../tenancy/items.ts';
import { hostClusterItem } from '../host-clusters/items.ts';
import { hostClusterAccessForApi } from '../host-clusters/access.ts';
import { kubeClient, KubeApiError } from '../kube/kube-client.ts';
import { kubeconfigYaml } from '../kube/kubeconfig.ts';
import { POLL_SECONDS, workflowName } from '#workflows/names.ts';
import { workspaceItem, type WorkspaceItem, type WorkspaceRoleBinding, type WorkspaceSpec } from './items.ts';
import { serviceAccountOf, SYSTEM_NAMESPACE, type ResolvedBinding } from './render.ts';
import { workspace as workspaceShape, type CreateWorkspaceInput, type PatchWorkspaceInput } from './schemas.ts';

/** How long a workspace kubeconfig's token lives (TokenRequest). */
export const WORKSPACE_TOKEN_SECONDS = 3600;

export const toWorkspace = (item: WorkspaceItem) => pickFields(workspaceShape, item);

type Scope = { tenantId: string; projectId: string };

// ---------------------------------------------------------------------------------
// What a workspace names must exist: users and teams of the tenant, clusters of the project
// ---------------------------------------------------------------------------------

async function assertReferencesExist(store: Store, scope: Scope, spec: Partial<WorkspaceSpec>) {
  const subjects = (spec.roleBindings ?? []).flatMap((b, i) => b.subjects.map((s, j) => ({ ...s, path: `body.roleBindings.${i}.subjects.${j}.id` })));
  const users = [...new Set(subjects.filter((s) => s.kind === 'user').map((s) => s.id))];
  const teams = [...new Set(subjects.filter((s) => s.kind === 'team').map((s) => s.id))];
  const clusterIds = spec.clusterIds ?? [];
  const found = await getItems(store, [
    ...users.map((id) => keys.user(scope.tenantId, id)),
    ...teams.map((id) => keys.team(scope.tenantId, id)),
    ...clusterIds.map((id) => keys.cluster(scope.tenantId, scope.projectId, id)),
  ]);
  const missing = [...users.map((id) => ['user', id]), ...teams.map((id) => ['team', id]), ...clusterIds.map((id) => ['cluster', id])].filter((_, i) => !found[i]);
  if (missing.length) {
    // Another tenant's user or team, or another project's cluster, is not found, as the API says for everything it hides.
    throw notFound(missing.map(([kind, id]) => `${kind} ${id}`).join(', '));
  }
}

/** The bindings with teams replaced by their members (a team removed since is ignored). */
export async function resolveBindings(store: Store, tenantId: string, bindings: WorkspaceRoleBinding[]): Promise<ResolvedBinding[]> {
  const teamIds = [...new Set(bindings.flatMap((b) => b.subjects.filter((s) => s.kind === 'team').map((s) => s.id)))];
  const found = await getItems(store, teamIds.map((id) => keys.team(tenantId, id)));
  const members = new Map(teamIds.map((id, i) => [id, found[i] ? teamItem.parse(found[i]).memberIds : []]));
  return bindings.map((b) => ({
    namespace: b.namespace,
    role: b.role,
    userIds: [...new Set(b.subjects.flatMap((s) => (s.kind === 'user' ? [s.id] : members.get(s.id) ?? [])))].sort(),
  }));
}

// ---------------------------------------------------------------------------------
// Workflow input and the writes the steps make
// ---------------------------------------------------------------------------------

export interface WorkspaceContext {
  kind: 'apply' | 'delete';
}

/** Everything a step needs is read from the item (its spec can be large); the input says only what to do. */
export function workflowInputFor(kind: WorkspaceContext['kind'], clusters: number) {
  return { ...pollPlan(30 + clusters * 10, POLL_SECONDS / 5), context: { kind } };
}

type Target = { tenantId: string; projectId: string; workspaceId: string };

export function ownedWorkspaceUpdate(target: Target, operationId: string, change: Parameters<typeof updateItem>[1]): TransactItem {
  return updateItem(keys.workspace(target.tenantId, target.projectId, target.workspaceId), {
    ...change,
    condition: { expression: 'operationId = :op', values: { ':op': operationId } },
  });
}

/** Phase Error with the reason, the operation Failed, in one transaction. */
export const failWorkspaceOperation = (store: Store, target: Target, operationId: string, error: { code: string; message: string }) =>
  failOwnedResource(store, keys.workspace(target.tenantId, target.projectId, target.workspaceId), target.tenantId, operationId, error);

const markStartFailure: StartFailure = async (store, operation, message) => {
  await failWorkspaceOperation(store, { tenantId: operation.tenantId, projectId: operation.projectId!, workspaceId: operation.resourceId }, operation.id, { code: 'WorkflowStartFailed', message }).catch(() => undefined);
};

// ---------------------------------------------------------------------------------
// Create, read, change, delete
// ---------------------------------------------------------------------------------

const pendingClusters = (clusterIds: string[]) => clusterIds.map((clusterId) => ({ clusterId, phase: 'Pending' as const }));

export async function createWorkspace(tx: Tx, scope: Scope, input: CreateWorkspaceInput, options: { requestId?: string } = {}) {
  await assertReferencesExist(tx.store, scope, input);
  const now = nowIso();
  const id = newId('workspace');
  const item: WorkspaceItem = {
    type: 'workspace',
    id,
    name: input.name,
    tenantId: scope.tenantId,
    projectId: scope.projectId,
    clusterIds: input.clusterIds,
    namespaces: input.namespaces,
    roleBindings: input.roleBindings,
    status: { phase: 'Applying', message: `applying to ${input.clusterIds.length} cluster(s)`, clusters: pendingClusters(input.clusterIds) },
    leaving: [],
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
  const operation = await startOperation({
    tx,
    resource: { type: 'workspace', tenantId: scope.tenantId, projectId: scope.projectId, id },
    kind: 'workspace.apply',
    workflow: workflowName('workspace', 'apply'),
    items: (operationId) => [
      { Put: { Item: { ...keys.workspace(scope.tenantId, scope.projectId, id), ...keys.kindIndex('workspace', scope.tenantId, id), ...item, operationId }, ConditionExpression: 'attribute_not_exists(pk)' } },
      claimName(keys.workspaceName(scope.tenantId, scope.projectId, input.name), 'workspacename', { id }),
      { ConditionCheck: { Key: keys.project(scope.tenantId, scope.projectId), ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(deleting)' } },
    ],
    input: () => workflowInputFor('apply', item.clusterIds.length),
    requestId: options.requestId,
    onStartFailure: markStartFailure,
    onConflict: (error) =>
      error.reasons[2] === 'ConditionalCheckFailed'
        ? new ApiError('invalid_state', 'the project is being deleted')
        : new ApiError('conflict', `a workspace named ${input.name} already exists in this project`),
  });
  return { workspace: { ...item, operationId: operation.id }, operation };
}

export async function getWorkspace(store: Store, scope: Scope, id: string) {
  const item = await getItem(store, keys.workspace(scope.tenantId, scope.projectId, id), workspaceItem);
  if (!item) throw notFound(`workspace ${id}`);
  return item;
}

export function listWorkspaces(store: Store, scope: Scope, page: { limit: number; cursor?: string }) {
  return queryPage(store, { ...lists.workspaces(scope.tenantId, scope.projectId), ...page }, workspaceItem);
}

function requireSettled(ws: WorkspaceItem) {
  if (ws.status.phase === 'Applying' || ws.status.phase === 'Deleting') {
    throw new ApiError('invalid_state', `workspace ${ws.name} is ${ws.status.phase}; wait for the running operation to finish`);
  }
}

/** The version-checked update that starts a change: nothing else can have moved the workspace since it was read. */
const startingUpdate = (ws: WorkspaceItem, set: Record<string, unknown>, operationId: string, now: string) =>
  updateItem(keys.workspace(ws.tenantId, ws.projectId, ws.id), { set: { ...set, operationId }, expectedVersion: ws.version, now });

export async function patchWorkspace(tx: Tx, ws: WorkspaceItem, input: PatchWorkspaceInput, options: { ifMatch?: number; requestId?: string } = {}) {
  assertIfMatch(ws, options.ifMatch);
  requireSettled(ws);
  if (ws.deleting) throw new ApiError('invalid_state', `workspace ${ws.name} is being deleted; delete it again to finish`);
  const spec: WorkspaceSpec = {
    clusterIds: input.clusterIds ?? ws.clusterIds,
    namespaces: input.namespaces ?? ws.namespaces,
    roleBindings: input.roleBindings ?? ws.roleBindings,
  };
  // A binding must name one of the namespaces the workspace keeps, whichever field changed.
  const names = new Set(spec.namespaces.map((n) => n.name));
  const stray = spec.roleBindings.flatMap((b, i) => (names.has(b.namespace) ? [] : [{ path: input.roleBindings ? `body.roleBindings.${i}.namespace` : 'body.namespaces', message: `role binding ${i} is for namespace ${b.namespace}, which the workspace would no longer have` }]));
  if (stray.length) throw validationFailed('every role binding must be for one of the workspace\'s namespaces', stray);
  await assertReferencesExist(tx.store, { tenantId: ws.tenantId, projectId: ws.projectId }, { ...(input.clusterIds ? { clusterIds: input.clusterIds } : {}), ...(input.roleBindings ? { roleBindings: input.roleBindings } : {}) });
  const leaving = [...new Set([...ws.leaving, ...ws.clusterIds])].filter((id) => !spec.clusterIds.includes(id));
  const renamed = input.name !== undefined && input.name !== ws.name;
  const now = nowIso();
  const status = { phase: 'Applying' as const, message: `applying to ${spec.clusterIds.length} cluster(s)${leaving.length ? `, removing from ${leaving.length}` : ''}`, clusters: pendingClusters(spec.clusterIds) };
  const set = { ...spec, leaving, status, ...(renamed ? { name: input.name } : {}) };
  const operation = await startOperation({
    tx,
    resource: { type: 'workspace', tenantId: ws.tenantId, projectId: ws.projectId, id: ws.id },
    kind: 'workspace.apply',
    workflow: workflowName('workspace', 'apply'),
    items: (operationId) => [
      startingUpdate(ws, set, operationId, now),
      ...(renamed
        ? [claimName(keys.workspaceName(ws.tenantId, ws.projectId, input.name!), 'workspacename', { id: ws.id }), releaseName(keys.workspaceName(ws.tenantId, ws.projectId, ws.name), 'id', ws.id)]
        : []),
    ],
    input: () => workflowInputFor('apply', spec.clusterIds.length + leaving.length),
    requestId: options.requestId,
    onStartFailure: markStartFailure,
    onConflict: (error) =>
      error.reasons[1] === 'ConditionalCheckFailed'
        ? new ApiError('conflict', `a workspace named ${input.name} already exists in this project`)
        : new ApiError('conflict', `workspace ${ws.name} changed at the same moment; read it again`),
  });
  return { ...ws, ...set, operationId: operation.id, version: ws.version + 1, updatedAt: now };
}

export async function deleteWorkspace(tx: Tx, ws: WorkspaceItem, options: { ifMatch?: number; requestId?: string } = {}) {
  assertIfMatch(ws, options.ifMatch);
  requireSettled(ws);
  const now = nowIso();
  const status = { phase: 'Deleting' as const, message: `removing from ${ws.clusterIds.length + ws.leaving.length} cluster(s)`, clusters: ws.status.clusters.map((c) => ({ clusterId: c.clusterId, phase: 'Removing' as const })) };
  const operation = await startOperation({
    tx,
    resource: { type: 'workspace', tenantId: ws.tenantId, projectId: ws.projectId, id: ws.id },
    kind: 'workspace.delete',
    workflow: workflowName('workspace', 'delete'),
    items: (operationId) => [startingUpdate(ws, { status, deleting: true }, operationId, now)],
    input: () => workflowInputFor('delete', ws.clusterIds.length + ws.leaving.length),
    requestId: options.requestId,
    onStartFailure: markStartFailure,
    onConflict: () => new ApiError('conflict', `workspace ${ws.name} changed at the same moment; read it again`),
  });
  return { ...ws, status, deleting: true, operationId: operation.id, version: ws.version + 1, updatedAt: now };
}

/** The items that delete a workspace and free its name (the delete workflow's finish). */
export const workspaceDeletionItems = (target: Target, name: string, operationId: string): TransactItem[] => [
  { Delete: { Key: keys.workspace(target.tenantId, target.projectId, target.workspaceId), ConditionExpression: 'operationId = :op', ExpressionAttributeValues: { ':op': operationId } } },
  releaseName(keys.workspaceName(target.tenantId, target.projectId, name), 'id', target.workspaceId),
];

// ---------------------------------------------------------------------------------
// A kubeconfig per person
// ---------------------------------------------------------------------------------

/**
 * A kubeconfig for the caller on one of the workspace's clusters: a TokenRequest token
 * of their own ServiceAccount, so the cluster grants exactly what the workspace's role
 * bindings give them there and nothing more, for an hour.
 */
export async function workspaceKubeconfig(store: Store, ws: WorkspaceItem, userId: string, clusterId: string): Promise<string> {
  if (!ws.clusterIds.includes(clusterId)) throw validationFailed(`cluster ${clusterId} is not one of workspace ${ws.name}'s`, [{ path: 'query.clusterId', message: 'not a cluster of the workspace' }]);
  const bindings = (await resolveBindings(store, ws.tenantId, ws.roleBindings)).filter((b) => b.userIds.includes(userId));
  if (bindings.length === 0) throw new ApiError('forbidden', `workspace ${ws.name} binds no role to you; a project admin can add you to its role bindings`);
  const applied = ws.status.clusters.find((c) => c.clusterId === clusterId);
  if (applied?.phase !== 'Ready') {
    throw new ApiError('invalid_state', `workspace ${ws.name} is not applied on cluster ${clusterId} (${applied?.phase ?? 'Pending'}${applied?.message ? `: ${applied.message}` : ''})`);
  }
  const cluster = await getItem(store, keys.cluster(ws.tenantId, ws.projectId, clusterId), hostClusterItem);
  if (!cluster) throw notFound(`cluster ${clusterId}`);
  const admin = await hostClusterAccessForApi(store, cluster);
  let token: string;
  try {
    ({ token } = await kubeClient(admin).requestToken(SYSTEM_NAMESPACE, serviceAccountOf(userId), WORKSPACE_TOKEN_SECONDS));
  } catch (error) {
    if (error instanceof KubeApiError && error.status === 404) throw new ApiError('invalid_state', `your ServiceAccount is not on cluster ${cluster.name} yet; it is created when the workspace is applied`);
    if (error instanceof KubeApiError) throw new ApiError('invalid_state', `cluster ${cluster.name} refused the token request: ${error.message}`);
    throw new ApiError('invalid_state', `cluster ${cluster.name} could not be reached: ${(error as Error).message}`);
  }
  const { token: _admin, clientCertificateData: _cert, clientKeyData: _key, ...server } = admin;
  return kubeconfigYaml({ ...server, name: `${ws.name}-${cluster.name}`.toLowerCase().replace(/[^a-z0-9.-]+/g, '-'), token, namespace: bindings[0]!.namespace });
}

// ---------------------------------------------------------------------------------
// Recovery of interrupted operations
// ---------------------------------------------------------------------------------

export const workspaceRecovery: OperationRecovery = {
  async resume(store, operation) {
    const target = { tenantId: operation.tenantId, projectId: operation.projectId ?? '', workspaceId: operation.resourceId };
    const ws = operation.projectId ? await getItem(store, keys.workspace(target.tenantId, target.projectId, target.workspaceId), workspaceItem) : undefined;
    if (!ws || ws.operationId !== operation.id) {
      await transact(store, [finishOperationItem(target.tenantId, operation.id, { status: 'Failed', error: { code: 'Superseded', message: 'the workspace is gone or another operation replaced this one' } })]).catch(() => undefined);
      return false;
    }
    await launchWorkflow(store, operation, workflowInputFor(ws.deleting ? 'delete' : 'apply', ws.clusterIds.length + ws.leaving.length), markStartFailure);
    return true;
  },
  async fail(store, operation, reason) {
    await failWorkspaceOperation(store, { tenantId: operation.tenantId, projectId: operation.projectId ?? '', workspaceId: operation.resourceId }, operation.id, { code: 'OperationInterrupted', message: reason });
  },
};


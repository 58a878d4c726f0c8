import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { ApiError, notFound, validationFailed } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Store } from '../store/client.ts';
import { keys, skPrefix } from '../store/keys.ts';
import { getItem, nowIso, queryPage, transact, TransactionConflict, type TransactItem, versionIs } from '../store/table.ts';
import { newOperation, finishOperation } from '../operations/operations.ts';
import type { OperationItem } from '../store/items.ts';
import { preconditionFailed } from '../tenancy/projects.ts';
import { hostClusterItem, type HostClusterItem, type HostClusterPhase, type NodePool, type PendingChange } from './cluster-items.ts';
import { startWorkflow } from './workflow-starter.ts';
import { POLL_SECONDS } from '../../workflows/names.ts';
import { logger } from '../http/logger.ts';

export const toHostCluster = (item: HostClusterItem) => ({
  id: item.id,
  name: item.name,
  projectId: item.projectId,
  provider: item.provider,
  cloudAccountId: item.cloudAccountId,
  region: item.region,
  profileId: item.profileId,
  kubernetesVersion: item.kubernetesVersion,
  nodePools: item.nodePools,
  hostCluster: item.hostCluster,
  variables: item.variables,
  status: item.status,
  ...(item.endpoint ? { endpoint: item.endpoint } : {}),
  ...(item.operationId ? { operationId: item.operationId } : {}),
  createdAt: item.createdAt,
  updatedAt: item.updatedAt,
  version: item.version,
});

/** How often a workflow polls its provider: EKS takes minutes, the simulated cloud seconds. */
const pollSecondsFor = (provider: HostClusterItem['provider']) => (provider === 'eks' ? 30 : provider === 'sim' ? 1 : POLL_SECONDS);

/**
 * The polling bound, in polls: 45 minutes for EKS (control plane and node groups take
 * 15–25), and for the simulated cloud its configured provisioning time plus a minute.
 */
export function maxPollsFor(provider: HostClusterItem['provider'], simProvisionSeconds = 0) {
  const seconds = provider === 'eks' ? 45 * 60 : provider === 'sim' ? simProvisionSeconds + 60 : 5 * 60;
  return Math.max(3, Math.ceil(seconds / pollSecondsFor(provider)));
}

export interface WorkflowInput {
  tenantId: string;
  projectId: string;
  clusterId: string;
  operationId: string;
  workflow: string;
  pollSeconds: number;
  maxPolls: number;
}

const workflowKind = {
  create: 'host-cluster-create',
  import: 'host-cluster-import',
  scale: 'host-cluster-scale',
  upgrade: 'host-cluster-upgrade',
  delete: 'host-cluster-delete',
} as const satisfies Record<PendingChange['kind'], string>;

function clusterPut(item: HostClusterItem, condition: { ConditionExpression: string; ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Record<string, unknown> }): TransactItem {
  return { Put: { Item: { ...keys.cluster(item.tenantId, item.projectId, item.id), ...item }, ...condition } };
}

/** Starts the workflow for a change already written; a failure to start is recorded, not lost. */
async function launch(store: Store, cluster: HostClusterItem, operationId: string, options: { simProvisionSeconds?: number } = {}) {
  const kind = cluster.pending!.kind;
  const input: WorkflowInput = {
    tenantId: cluster.tenantId,
    projectId: cluster.projectId,
    clusterId: cluster.id,
    operationId,
    workflow: workflowKind[kind],
    pollSeconds: pollSecondsFor(cluster.provider),
    maxPolls: maxPollsFor(cluster.provider, options.simProvisionSeconds),
  };
  try {
    await startWorkflow(workflowKind[kind], operationId, input as unknown as Record<string, unknown>);
  } catch (error) {
    logger.error('could not start workflow', { error: error as Error, workflow: workflowKind[kind], clusterId: cluster.id });
    await markClusterError(store, cluster.tenantId, cluster.projectId, cluster.id, `the ${kind} workflow could not start: ${(error as Error).message}`);
    await finishOperation(store, cluster.tenantId, operationId, { status: 'Failed', error: { code: 'WorkflowStartFailed', message: (error as Error).message } });
    throw new ApiError('internal', 'the workflow could not be started; the cluster is in Error and can be retried');
  }
}

export interface NewClusterSpec {
  name: string;
  provider: HostClusterItem['provider'];
  cloudAccountId: string | null;
  region: string | null;
  profileId: string | null;
  kubernetesVersion: string | null;
  nodePools: NodePool[];
  hostCluster: { enabled: boolean };
  variables: Record<string, string>;
  kubeconfig?: string;
}

/**
 * Writes the cluster (phase Provisioning), its name reservation and its operation in
 * one transaction, then starts the create (or import) workflow. A cluster of the same
 * name left in `Error` is retried in place with the new spec.
 */
export async function createHostCluster(
  store: Store,
  scope: { tenantId: string; projectId: string },
  spec: NewClusterSpec,
  options: { simProvisionSeconds?: number } = {},
) {
  const now = nowIso();
  const kind = spec.provider === 'imported' ? 'import' : 'create';
  const reservation = await getItem(store, keys.clusterName(scope.tenantId, scope.projectId, spec.name), hostClusterItem.pick({ id: true }).partial().passthrough());
  let previous: HostClusterItem | undefined;
  if (reservation?.id) {
    previous = await getItem(store, keys.cluster(scope.tenantId, scope.projectId, reservation.id), hostClusterItem);
    if (previous && previous.status.phase !== 'Error') {
      throw new ApiError('conflict', `a cluster named ${spec.name} already exists in this project (${previous.status.phase})`);
    }
    // Only a failed create is retried by creating again; a cluster that failed a day-2
    // change still exists at its provider and is retried with that change (or deleted).
    if (previous && previous.pending?.kind !== 'create' && previous.pending?.kind !== 'import') {
      throw new ApiError('conflict', `cluster ${spec.name} exists and failed a ${previous.pending?.kind ?? 'change'}; retry that or delete it`);
    }
  }
  const id = previous?.id ?? newId('cluster');
  const { operation, put: operationPut } = newOperation({
    tenantId: scope.tenantId,
    projectId: scope.projectId,
    kind: `cluster.${kind}`,
    resourceType: 'cluster',
    resourceId: id,
  });
  const cluster: HostClusterItem = {
    type: 'cluster',
    id,
    tenantId: scope.tenantId,
    projectId: scope.projectId,
    ...spec,
    status: { phase: 'Provisioning', message: kind === 'import' ? 'validating the kubeconfig' : 'provisioning the control plane' },
    // A retry provisions afresh under a new provider name; the failed attempt is cleaned up.
    providerName: previous ? `palette-${id.slice(3).toLowerCase()}-${previous.version + 1}` : `palette-${id.slice(3).toLowerCase()}`,
    ...(previous && previous.provider !== 'imported' ? { staleProviderName: previous.providerName } : {}),
    pending: { kind },
    operationId: operation.id,
    createdAt: previous?.createdAt ?? now,
    updatedAt: now,
    version: (previous?.version ?? 0) + 1,
  };
  const items: TransactItem[] = previous
    ? [clusterPut(cluster, versionIs(previous.version))]
    : [
        clusterPut(cluster, { ConditionExpression: 'attribute_not_exists(pk)' }),
        {
          Put: {
            Item: { ...keys.clusterName(scope.tenantId, scope.projectId, spec.name), type: 'clustername', id },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      ];
  items.push(operationPut);
  try {
    await transact(store, items);
  } catch (error) {
    if (error instanceof TransactionConflict) throw new ApiError('conflict', `a cluster named ${spec.name} already exists in this project`);
    throw error;
  }
  await launch(store, cluster, operation.id, options);
  return { cluster, operation };
}

export async function getHostCluster(store: Store, tenantId: string, projectId: string, clusterId: string) {
  const cluster = await getItem(store, keys.cluster(tenantId, projectId, clusterId), hostClusterItem);
  if (!cluster) throw notFound(`cluster ${clusterId}`);
  return cluster;
}

export function listHostClusters(
  store: Store,
  tenantId: string,
  projectId: string,
  query: { limit: number; cursor?: string; phase?: HostClusterPhase },
) {
  return queryPage(
    store,
    {
      partition: { attribute: 'pk', value: keys.tenantPartition(tenantId) },
      skBeginsWith: { attribute: 'sk', value: skPrefix.cluster(projectId) },
      limit: query.limit,
      cursor: query.cursor,
      filter: query.phase ? { expression: '#status.#phase = :phase', names: { '#status': 'status', '#phase': 'phase' }, values: { ':phase': query.phase } } : undefined,
    },
    hostClusterItem,
  );
}

const inProgress = (phase: HostClusterPhase) => phase === 'Provisioning' || phase === 'Updating' || phase === 'Deleting' || phase === 'Pending';

/**
 * A day-2 change (scale, upgrade, delete): moves the cluster to its in-progress phase
 * and records the operation in one conditional write, so two changes can never run on
 * the same cluster at once, then starts the workflow.
 */
export async function beginChange(
  store: Store,
  cluster: HostClusterItem,
  change: Exclude<PendingChange, { kind: 'create' } | { kind: 'import' }>,
  options: { ifMatch?: number } = {},
) {
  if (options.ifMatch !== undefined && options.ifMatch !== cluster.version) throw preconditionFailed(cluster.version);
  // From Error: delete always; a failed scale or upgrade may be retried (the cluster exists).
  const retryable = cluster.status.phase === 'Error' && (change.kind === 'delete' || cluster.pending?.kind === 'scale' || cluster.pending?.kind === 'upgrade');
  if (cluster.status.phase !== 'Running' && !retryable) {
    throw new ApiError(
      'invalid_state',
      `cannot ${change.kind} cluster ${cluster.name} while it is ${cluster.status.phase}` +
        (inProgress(cluster.status.phase) ? '; wait for the running operation to finish' : ''),
    );
  }
  const phase: HostClusterPhase = change.kind === 'delete' ? 'Deleting' : 'Updating';
  const { operation, put } = newOperation({
    tenantId: cluster.tenantId,
    projectId: cluster.projectId,
    kind: `cluster.${change.kind}`,
    resourceType: 'cluster',
    resourceId: cluster.id,
  });
  const next: HostClusterItem = {
    ...cluster,
    status: { phase, message: change.kind === 'delete' ? 'deleting' : change.kind === 'scale' ? `scaling node pool ${change.pool.name} to ${change.pool.count}` : `upgrading to Kubernetes ${change.kubernetesVersion}` },
    pending: change,
    operationId: operation.id,
    updatedAt: nowIso(),
    version: cluster.version + 1,
  };
  try {
    await transact(store, [
      clusterPut(
        next,
        // Virtual clusters (App Mode) keep `virtualClusters` on their host; a host that carries any cannot go.
        change.kind === 'delete'
          ? versionIs(cluster.version, { clause: '(attribute_not_exists(virtualClusters) OR virtualClusters = :zero)', values: { ':zero': 0 } })
          : versionIs(cluster.version),
      ),
      put,
    ]);
  } catch (error) {
    if (error instanceof TransactionConflict) {
      const latest = await getItem(store, keys.cluster(cluster.tenantId, cluster.projectId, cluster.id), hostClusterItem);
      if (latest && latest.version === cluster.version && change.kind === 'delete') {
        throw new ApiError('invalid_state', `cluster ${cluster.name} still hosts virtual clusters; delete them first`);
      }
      throw new ApiError('conflict', `cluster ${cluster.name} changed at the same time; retry`);
    }
    throw error;
  }
  await launch(store, next, operation.id);
  return { cluster: next, operation };
}

/** Records a failed lifecycle step: phase Error with a readable reason. */
export async function markClusterError(store: Store, tenantId: string, projectId: string, clusterId: string, message: string) {
  const current = await getItem(store, keys.cluster(tenantId, projectId, clusterId), hostClusterItem);
  if (!current) return;
  const next: HostClusterItem = { ...current, status: { phase: 'Error', message }, updatedAt: nowIso(), version: current.version + 1 };
  await store.doc.send(
    new PutCommand({
      TableName: store.tableName,
      Item: { ...keys.cluster(tenantId, projectId, clusterId), ...next },
      ...versionIs(current.version),
    }),
  );
}

export function assertPoolExists(cluster: HostClusterItem, poolName: string) {
  const pool = cluster.nodePools.find((p) => p.name === poolName);
  if (!pool) throw notFound(`node pool ${poolName} of cluster ${cluster.name}`);
  return pool;
}

export function assertScaleWithinBounds(pool: NodePool, count: number) {
  if ((pool.min !== undefined && count < pool.min) || (pool.max !== undefined && count > pool.max)) {
    throw validationFailed(`node pool ${pool.name} allows ${pool.min ?? 0}–${pool.max ?? '∞'} nodes`, [
      { path: 'count', message: `must be within ${pool.min ?? 0} and ${pool.max ?? 500}` },
    ]);
  }
}

/**
 * The first of a project's clusters that uses a cloud account or a profile version
 * (a Query over the project's clusters, bounded by its size), so that what a
 * cluster still needs is not deleted from under it.
 */
export async function clusterUsing(
  store: Store,
  tenantId: string,
  projectId: string,
  reference: { cloudAccountId: string } | { profileId: string },
): Promise<HostClusterItem | undefined> {
  const [field, value] = Object.entries(reference)[0] as ['cloudAccountId' | 'profileId', string];
  let cursor: string | undefined;
  do {
    const page = await queryPage(
      store,
      {
        partition: { attribute: 'pk', value: keys.tenantPartition(tenantId) },
        skBeginsWith: { attribute: 'sk', value: skPrefix.cluster(projectId) },
        limit: 100,
        cursor,
      },
      hostClusterItem,
    );
    const match = page.items.find((c) => c[field] === value || (field === 'profileId' && c.pending?.kind === 'upgrade' && c.pending.profileId === value));
    if (match) return match;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return undefined;
}

/**
 * Starts again the workflow of a host-cluster operation whose execution was lost (a
 * local runtime stopped mid-workflow). Steps are idempotent, so the workflow simply
 * runs from the top; the execution is named after the operation, so a workflow that
 * is in fact still running is not started twice.
 */
export async function resumeClusterOperation(store: Store, operation: OperationItem): Promise<boolean> {
  if (operation.resourceType !== 'cluster' || !operation.projectId) return false;
  const cluster = await getItem(store, keys.cluster(operation.tenantId, operation.projectId, operation.resourceId), hostClusterItem);
  if (!cluster || cluster.operationId !== operation.id || !cluster.pending) {
    await finishOperation(store, operation.tenantId, operation.id, {
      status: 'Failed',
      error: { code: 'Superseded', message: 'the cluster is gone or another operation replaced this one' },
    });
    return false;
  }
  await launch(store, cluster, operation.id);
  return true;
}

/**
 * Backups of virtual clusters. A backup is a resource of its project (`bk_…`) that
 * outlives its virtual cluster: the `backup-create` workflow snapshots the cluster's
 * objects (snapshot.ts) into the backup store (store.ts) and records the counts; a
 * restore is a virtual cluster create with `restoreFrom` (virtual-clusters.ts), placed
 * and quota-checked in the create's own transaction. Each backup expires after its
 * keepDays, when the run-backups job (job.ts) deletes it with its snapshot.
 */
import { ApiError, assertIfMatch, notFound } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Store } from '../store/client.ts';
import { keys, lists } from '../store/keys.ts';
import { pickFields } from '../store/items.ts';
import { getItem, nowIso, queryPage, transact, TransactionConflict, updateItem, type TransactItem } from '../store/table.ts';
import type { Tx } from '../store/tx.ts';
import { finishOperationItem, launchWorkflow, pollPlan, startOperation, type StartFailure } from '../operations/operations.ts';
import type { OperationRecovery } from '../operations/recovery.ts';
import type { VirtualClusterItem } from '../virtual-clusters/items.ts';
import { POLL_SECONDS, workflowName } from '#workflows/names.ts';
import { backupItem, DEFAULT_KEEP_DAYS, type BackupItem } from './items.ts';
import { backup as backupShape } from './schemas.ts';
import { backupStoreFromEnv, storageKeyOf } from './store.ts';

export const toBackup = (item: BackupItem) => pickFields(backupShape, item);

type Target = { tenantId: string; projectId: string; backupId: string };

const DAY_MS = 24 * 60 * 60 * 1000;

/** `dev-20261130-030000`: the virtual cluster's name and when (UTC). */
const nameOf = (vc: Pick<VirtualClusterItem, 'name'>, at: string) => `${vc.name}-${at.slice(0, 19).replace(/[-:]/g, '').replace('T', '-')}`;

/** The steps read the backup and its virtual cluster from the table; the input only says which. */
export interface BackupContext {
  virtualClusterId: string;
}

export const workflowInputFor = (item: Pick<BackupItem, 'virtualClusterId'>) => ({ ...pollPlan(60, POLL_SECONDS / 5), context: { virtualClusterId: item.virtualClusterId } satisfies BackupContext });

export function ownedBackupUpdate(target: Target, operationId: string, change: Parameters<typeof updateItem>[1]): TransactItem {
  return updateItem(keys.backup(target.tenantId, target.projectId, target.backupId), {
    ...change,
    condition: { expression: 'operationId = :op', values: { ':op': operationId } },
  });
}

/** Failed with the reason and the operation Failed, in one transaction; a backup gone or taken over leaves only the operation to end. */
export async function failBackupOperation(store: Store, target: Target, operationId: string, error: { code: string; message: string }) {
  const fail = finishOperationItem(target.tenantId, operationId, { status: 'Failed', error });
  try {
    await transact(store, [ownedBackupUpdate(target, operationId, { set: { status: { phase: 'Failed', message: error.message } } }), fail]);
  } catch (cancelled) {
    if (!(cancelled instanceof TransactionConflict)) throw cancelled;
    await transact(store, [fail]).catch((again: unknown) => {
      if (!(again instanceof TransactionConflict)) throw again;
    });
  }
}

const markStartFailure: StartFailure = async (store, operation, message) => {
  await failBackupOperation(store, { tenantId: operation.tenantId, projectId: operation.projectId!, backupId: operation.resourceId }, operation.id, { code: 'WorkflowStartFailed', message }).catch(() => undefined);
};

export interface CreateBackupOptions {
  trigger: 'manual' | 'schedule';
  keepDays?: number | undefined;
  requestId?: string | undefined;
  /** A scheduled backup: the cron time it is for, recorded on the virtual cluster in the same transaction (no two for one time). */
  scheduledAt?: string;
}

/**
 * Starts a backup of a Running virtual cluster: the backup (Running) and its operation
 * in one transaction with a check that the virtual cluster is still Running (for a
 * scheduled one, that its schedule was not changed and no backup was started for the
 * same cron time), then the backup workflow. keepDays: the request's, else the
 * virtual cluster's schedule's, else 30.
 */
export async function createBackup(tx: Tx, vc: VirtualClusterItem, options: CreateBackupOptions) {
  if (vc.status.phase !== 'Running' || !vc.access) {
    throw new ApiError('invalid_state', `virtual cluster ${vc.name} is ${vc.status.phase}; it can be backed up while it is Running`);
  }
  const now = nowIso();
  const id = newId('backup');
  const keepDays = options.keepDays ?? vc.backup?.keepDays ?? DEFAULT_KEEP_DAYS;
  const expiresAt = new Date(Date.parse(now) + keepDays * DAY_MS).toISOString();
  const item: BackupItem = {
    type: 'backup',
    id,
    name: nameOf(vc, now),
    tenantId: vc.tenantId,
    projectId: vc.projectId,
    virtualClusterId: vc.id,
    virtualClusterName: vc.name,
    resources: vc.resources,
    trigger: options.trigger,
    keepDays,
    expiresAt,
    storageKey: storageKeyOf({ tenantId: vc.tenantId, projectId: vc.projectId, virtualClusterId: vc.id, id }),
    status: { phase: 'Running', message: `backing up virtual cluster ${vc.name}` },
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
  const vcKey = keys.virtualCluster(vc.tenantId, vc.projectId, vc.id);
  const running = { '#bstatus': 'status', '#bphase': 'phase' };
  const vcCheck: TransactItem = options.scheduledAt
    ? updateItem(vcKey, {
        set: { backupState: { ...(vc.backupState ?? { since: now }), lastScheduledAt: options.scheduledAt } },
        touch: false,
        expectedVersion: vc.version,
        condition: { expression: '#bstatus.#bphase = :brunning', names: running, values: { ':brunning': 'Running' } },
      })
    : { ConditionCheck: { Key: vcKey, ConditionExpression: '#bstatus.#bphase = :brunning', ExpressionAttributeNames: running, ExpressionAttributeValues: { ':brunning': 'Running' } } };
  const operation = await startOperation({
    tx,
    resource: { type: 'backup', tenantId: vc.tenantId, projectId: vc.projectId, id },
    kind: 'backup.create',
    workflow: workflowName('backup', 'create'),
    items: (operationId) => [
      {
        Put: {
          Item: {
            ...keys.backup(vc.tenantId, vc.projectId, id),
            ...keys.backupsOfVirtualClusterIndex(vc.tenantId, vc.id, id),
            ...keys.backupExpiryIndex(vc.tenantId, id, expiresAt),
            ...item,
            operationId,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      vcCheck,
    ],
    input: () => workflowInputFor(item),
    requestId: options.requestId,
    onStartFailure: markStartFailure,
    onConflict: () =>
      new ApiError(
        'invalid_state',
        options.scheduledAt ? `virtual cluster ${vc.name} changed since it was read; its scheduled backup is left to the next run` : `virtual cluster ${vc.name} is no longer Running; it can be backed up while it is Running`,
      ),
  });
  return { backup: { ...item, operationId: operation.id }, operation };
}

type Scope = { tenantId: string; projectId: string };

/** A backup of the project, addressed under its virtual cluster (which may be gone). */
export async function getBackup(store: Store, scope: Scope, virtualClusterId: string, backupId: string) {
  const item = await getItem(store, keys.backup(scope.tenantId, scope.projectId, backupId), backupItem);
  if (!item || item.virtualClusterId !== virtualClusterId) throw notFound(`backup ${backupId}`);
  return item;
}

export function listBackupsOfVirtualCluster(store: Store, scope: Scope, virtualClusterId: string, page: { limit: number; cursor?: string | undefined }) {
  return queryPage(
    store,
    {
      ...lists.backupsOfVirtualCluster(scope.tenantId, virtualClusterId),
      limit: page.limit,
      ...(page.cursor ? { cursor: page.cursor } : {}),
      newestFirst: true,
      // The list is the tenant's; a virtual cluster of another project shows nothing here.
      filter: { expression: '#project = :project', names: { '#project': 'projectId' }, values: { ':project': scope.projectId } },
    },
    backupItem,
  );
}

export function listBackupsOfProject(store: Store, scope: Scope, page: { limit: number; cursor?: string | undefined }) {
  return queryPage(store, { ...lists.backups(scope.tenantId, scope.projectId), limit: page.limit, ...(page.cursor ? { cursor: page.cursor } : {}), newestFirst: true }, backupItem);
}

/** The record's delete: only as it was read (If-Match, or the version read), never while it is being written. */
export const backupDeletionItem = (item: BackupItem, condition?: { expectedVersion?: number }): TransactItem => ({
  Delete: {
    Key: keys.backup(item.tenantId, item.projectId, item.id),
    ConditionExpression: `attribute_exists(pk) AND #status.#phase <> :running${condition?.expectedVersion !== undefined ? ' AND #version = :version' : ''}`,
    ExpressionAttributeNames: { '#status': 'status', '#phase': 'phase', ...(condition?.expectedVersion !== undefined ? { '#version': 'version' } : {}) },
    ExpressionAttributeValues: { ':running': 'Running', ...(condition?.expectedVersion !== undefined ? { ':version': condition.expectedVersion } : {}) },
  },
});

/**
 * Deletes a backup: its snapshot first, then its record (so a record never points at
 * nothing without saying so: a failure between the two leaves the record, and a
 * second delete finishes). Refused while the backup is Running.
 */
export async function deleteBackup(tx: Tx, item: BackupItem, options: { ifMatch?: number | undefined } = {}) {
  assertIfMatch(item, options.ifMatch);
  if (item.status.phase === 'Running') throw new ApiError('invalid_state', `backup ${item.name} is Running; delete it once it has Completed or Failed`);
  await backupStoreFromEnv().delete(item.storageKey);
  try {
    await tx.commit([backupDeletionItem(item, { expectedVersion: item.version })], { resourceId: item.id });
  } catch (error) {
    if (error instanceof TransactionConflict) throw new ApiError('conflict', `backup ${item.name} changed or went at the same moment; read it again`);
    throw error;
  }
}

/**
 * A backup a restore may start from: of this project and Completed. Unknown is a 400
 * at the field (as an unknown cluster group is); one not Completed is `invalid_state`.
 */
export async function restoreSource(store: Store, scope: Scope, backupId: string, path = 'body.restoreFrom.backupId') {
  const item = await getItem(store, keys.backup(scope.tenantId, scope.projectId, backupId), backupItem);
  if (!item) throw new ApiError('validation_failed', `no backup ${backupId} in this project`, [{ path, message: 'unknown backup' }]);
  if (item.status.phase !== 'Completed') throw new ApiError('invalid_state', `backup ${item.name} is ${item.status.phase}; a restore needs a Completed backup`);
  return item;
}

/** The create's check that its backup is still there and Completed when the transaction commits. */
export const restoreSourceCheck = (item: BackupItem): TransactItem => ({
  ConditionCheck: {
    Key: keys.backup(item.tenantId, item.projectId, item.id),
    ConditionExpression: '#status.#phase = :completed',
    ExpressionAttributeNames: { '#status': 'status', '#phase': 'phase' },
    ExpressionAttributeValues: { ':completed': 'Completed' },
  },
});

// ---------------------------------------------------------------------------------
// Recovery of interrupted operations
// ---------------------------------------------------------------------------------

export const backupRecovery: OperationRecovery = {
  async resume(store, operation) {
    const target = { tenantId: operation.tenantId, projectId: operation.projectId ?? '', backupId: operation.resourceId };
    const item = operation.projectId ? await getItem(store, keys.backup(target.tenantId, target.projectId, target.backupId), backupItem) : undefined;
    if (!item || item.operationId !== operation.id || item.status.phase !== 'Running') {
      await transact(store, [finishOperationItem(target.tenantId, operation.id, { status: 'Failed', error: { code: 'Superseded', message: 'the backup is gone or no longer running' } })]).catch(() => undefined);
      return false;
    }
    await launchWorkflow(store, operation, workflowInputFor(item), markStartFailure);
    return true;
  },
  async fail(store, operation, reason) {
    await failBackupOperation(store, { tenantId: operation.tenantId, projectId: operation.projectId ?? '', backupId: operation.resourceId }, operation.id, { code: 'OperationInterrupted', message: reason });
  },
};

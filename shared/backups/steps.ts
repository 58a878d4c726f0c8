/**
 * The steps of the backup workflow (workflows/backup.ts). snapshot lists the virtual
 * cluster's objects through its own credential (read from the table: a credential
 * stays out of execution state), gzips them and puts them in the backup store under
 * the backup's key; putting again is safe (same key, the whole snapshot). finish
 * records Completed with the counts and ends the operation in one transaction. Every
 * write is conditioned on the operation still owning the backup.
 */
import * as z from 'zod';
import { logger } from '../observability/logger.ts';
import type { Store } from '../store/client.ts';
import { keys } from '../store/keys.ts';
import { getItem, nowIso } from '../store/table.ts';
import { commitFinish, finishOperationItem } from '../operations/operations.ts';
import { readableCause } from '../operations/step-errors.ts';
import { stepEventSchema } from '../operations/step-event.ts';
import { kubeClient, type KubeClient } from '../kube/kube-client.ts';
import { PermanentProviderError } from '../providers/provider.ts';
import { virtualClusterItem } from '../virtual-clusters/items.ts';
import { virtualClusterAccess } from '../virtual-clusters/virtual-clusters.ts';
import { backupSteps } from '#workflows/names.ts';
import { backupItem, type BackupItem } from './items.ts';
import { failBackupOperation, ownedBackupUpdate, type BackupContext } from './backups.ts';
import { collectObjects, encodeSnapshot, SNAPSHOT_FORMAT } from './snapshot.ts';
import { backupStoreFromEnv } from './store.ts';

export const backupStepEvent = stepEventSchema({
  resourceType: 'backup',
  steps: backupSteps,
  targets: ['Completed'],
  context: z.object({ virtualClusterId: z.string() }) satisfies z.ZodType<BackupContext>,
  state: {
    /** What snapshot stored. */
    snapshot: z.object({ objects: z.number().int(), bytes: z.number().int() }).optional(),
  },
});
export type BackupStepEvent = z.infer<typeof backupStepEvent>;

type Target = { tenantId: string; projectId: string; backupId: string };

async function ownedBackup(store: Store, target: Target, operationId: string): Promise<BackupItem> {
  const item = await getItem(store, keys.backup(target.tenantId, target.projectId, target.backupId), backupItem);
  if (!item) throw new PermanentProviderError(`backup ${target.backupId} no longer exists`);
  if (item.operationId !== operationId) throw new PermanentProviderError(`another operation (${item.operationId}) took over backup ${item.name}`);
  return item;
}

/** The virtual cluster's API with its own credential. */
async function virtualClusterApi(store: Store, target: Target, virtualClusterId: string): Promise<KubeClient> {
  const vc = await getItem(store, keys.virtualCluster(target.tenantId, target.projectId, virtualClusterId), virtualClusterItem);
  if (!vc) throw new PermanentProviderError(`virtual cluster ${virtualClusterId} no longer exists`);
  if (vc.status.phase !== 'Running') throw new PermanentProviderError(`virtual cluster ${vc.name} is ${vc.status.phase}; back it up again once it is Running`);
  if (!vc.access) throw new PermanentProviderError(`virtual cluster ${vc.name} has no credential yet`);
  return kubeClient(await virtualClusterAccess({ ...vc, access: vc.access }));
}

export async function runBackupStep(store: Store, event: BackupStepEvent): Promise<Record<string, unknown>> {
  const { args } = event;
  const target = { tenantId: args.resource.tenantId, projectId: args.resource.projectId, backupId: args.resource.id };
  logger.appendKeys({ backupId: target.backupId, virtualClusterId: args.context.virtualClusterId, operationId: args.operationId, step: event.step, ...(args.requestId ? { requestId: args.requestId } : {}) });

  switch (event.step) {
    case 'snapshot': {
      const item = await ownedBackup(store, target, args.operationId);
      const client = await virtualClusterApi(store, target, item.virtualClusterId);
      const objects = await collectObjects(client);
      const bytes = encodeSnapshot({ format: SNAPSHOT_FORMAT, virtualCluster: { id: item.virtualClusterId, name: item.virtualClusterName }, takenAt: nowIso(), objects });
      await backupStoreFromEnv().put(item.storageKey, bytes);
      logger.info('virtual cluster backed up', { objects: objects.length, bytes: bytes.byteLength });
      return { objects: objects.length, bytes: bytes.byteLength };
    }

    case 'finish': {
      const snapshot = args.snapshot;
      if (!snapshot) throw new PermanentProviderError('no snapshot was stored');
      const now = nowIso();
      await commitFinish(
        store,
        [
          ownedBackupUpdate(target, args.operationId, { set: { status: { phase: 'Completed', objects: snapshot.objects, bytes: snapshot.bytes }, completedAt: now }, now }),
          finishOperationItem(target.tenantId, args.operationId, { status: 'Succeeded' }),
        ],
        { tenantId: target.tenantId, operationId: args.operationId, what: `backup ${target.backupId}` },
      );
      return { ok: true };
    }

    case 'markError': {
      const message = readableCause(args.error);
      logger.warn('backup workflow failed', { reason: message });
      await failBackupOperation(store, target, args.operationId, { code: args.error?.Error ?? 'WorkflowFailed', message });
      return { ok: true };
    }
  }
}

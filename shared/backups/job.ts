/**
 * The `run-backups` job (every 15 minutes): starts the backup of every Running virtual
 * cluster whose schedule's cron fired since its last scheduled backup (one per cron
 * time: the start records that time on the virtual cluster in the same transaction),
 * and deletes every backup past its keepDays with its snapshot (the expiry list is
 * gsi2, ordered by expiry: a range up to now, never a Scan). The walk over virtual
 * clusters resumes where the last invocation stopped.
 */
import * as z from 'zod';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { auditPut } from '../audit/audit-log.ts';
import { ApiError } from '../errors.ts';
import { logger } from '../observability/logger.ts';
import { BACKUP_SHARDS, keys, KIND_SHARDS, lists } from '../store/keys.ts';
import { getItem, queryPage, TransactionConflict } from '../store/table.ts';
import { createTx } from '../store/tx.ts';
import { mapLimit, outOfBudget, type JobContext, type JobOutcome } from '../jobs/runner.ts';
import { walkLanes, type LaneState } from '../jobs/walk.ts';
import { PAGE_CONCURRENCY } from '../jobs/schedule.ts';
import { virtualClusterItem, type VirtualClusterItem } from '../virtual-clusters/items.ts';
import { backupItem, type BackupItem } from './items.ts';
import { backupDeletionItem, createBackup } from './backups.ts';
import { dueFireTime } from './cron.ts';
import { backupStoreFromEnv } from './store.ts';

const JOB = 'run-backups';
const stateItem = z.object({ lanes: z.record(z.string(), z.object({ cursor: z.string().optional(), page: z.number(), done: z.boolean() })).optional() }).loose();

interface Started {
  tenantId: string;
  virtualClusterId: string;
  backupId: string;
  scheduledAt: string;
}

const jobTx = (context: JobContext, record: { tenantId: string; projectId: string; action: string; resourceId: string; statusCode: number; detail?: string }) =>
  createTx(context.store, {
    audit: (resourceId) =>
      auditPut({
        tenantId: record.tenantId,
        actor: context.actor,
        action: record.action,
        resourceType: 'backup',
        resourceId: resourceId ?? record.resourceId,
        projectId: record.projectId,
        statusCode: record.statusCode,
        requestId: `job:${JOB}:${context.runId}`,
        ...(record.detail ? { detail: record.detail } : {}),
      }),
  });

async function startIfDue(context: JobContext, vc: VirtualClusterItem): Promise<Started | undefined> {
  if (!vc.backup || !vc.backupState || vc.status.phase !== 'Running' || !vc.access) return undefined;
  let due: Date | undefined;
  try {
    due = dueFireTime(vc.backup.cron, vc.backupState, context.now);
  } catch (error) {
    // Checked at the API; a schedule that still cannot be read is skipped, not the whole run.
    logger.warn('backup schedule unreadable', { virtualClusterId: vc.id, cron: vc.backup.cron, error: error as Error });
    return undefined;
  }
  if (!due) return undefined;
  const scheduledAt = due.toISOString();
  const tx = jobTx(context, { tenantId: vc.tenantId, projectId: vc.projectId, action: 'backup.create', resourceId: vc.id, statusCode: 202, detail: `scheduled (${vc.backup.cron}) for ${scheduledAt}` });
  try {
    const { backup } = await createBackup(tx, vc, { trigger: 'schedule', keepDays: vc.backup.keepDays, scheduledAt, requestId: `job:${JOB}:${context.runId}` });
    logger.info('scheduled backup started', { virtualClusterId: vc.id, backupId: backup.id, scheduledAt });
    return { tenantId: vc.tenantId, virtualClusterId: vc.id, backupId: backup.id, scheduledAt };
  } catch (error) {
    // Changed at the same moment (paused, its schedule edited, another run took it): the next run looks again.
    if (error instanceof ApiError && (error.code === 'invalid_state' || error.code === 'conflict')) return undefined;
    throw error;
  }
}

/** Deletes one expired backup: its snapshot, then its record (a second run finishes a half-done one). */
async function expire(context: JobContext, item: BackupItem): Promise<boolean> {
  await backupStoreFromEnv().delete(item.storageKey);
  const tx = jobTx(context, { tenantId: item.tenantId, projectId: item.projectId, action: 'backup.expire', resourceId: item.id, statusCode: 204, detail: `kept ${item.keepDays} day(s), expired ${item.expiresAt}` });
  try {
    // A backup still Running past its expiry has lost its workflow; its record goes all the same.
    const remove = item.status.phase === 'Running' ? { Delete: { Key: keys.backup(item.tenantId, item.projectId, item.id) } } : backupDeletionItem(item);
    await tx.commit([remove], { resourceId: item.id });
    return true;
  } catch (error) {
    if (error instanceof TransactionConflict) return false;
    throw error;
  }
}

async function expireBackups(context: JobContext): Promise<{ expired: string[]; more: boolean }> {
  const before = context.now.toISOString();
  const expired: string[] = [];
  let more = false;
  await mapLimit(
    Array.from({ length: BACKUP_SHARDS }, (_, shard) => shard),
    PAGE_CONCURRENCY,
    async (shard) => {
      // Each expired backup leaves the list as it is deleted: every page starts at the list's head.
      for (let first = true; first || !outOfBudget(context, expired.length, context.maxItems); first = false) {
        const page = await queryPage(context.store, { ...lists.expiredBackups(shard, before), limit: context.pageSize ?? 25 }, backupItem);
        let deleted = 0;
        for (const item of page.items) {
          if (!(await expire(context, item))) continue;
          expired.push(item.id);
          deleted++;
        }
        // The end of the list, or only backups that changed under this run (the next run retries them).
        if (!page.nextCursor || deleted === 0) return;
      }
      more = true;
    },
  );
  return { expired, more };
}

export async function runBackups(context: JobContext): Promise<JobOutcome> {
  const { store } = context;
  const { expired, more: expiryLeft } = await expireBackups(context);
  const stored = stateItem.parse((await getItem(store, keys.jobState(JOB), z.object({}).loose())) ?? {});
  const lanes = Array.from({ length: KIND_SHARDS }, (_, shard) => ({ id: String(shard), list: lists.ofKind('virtualcluster', shard) }));
  const started: Started[] = [];
  const walked = await walkLanes(store, context, lanes, (stored.lanes ?? {}) as Record<string, LaneState>, virtualClusterItem, { pageSize: context.pageSize ?? 50, concurrency: PAGE_CONCURRENCY }, async (items) => {
    for (const result of await mapLimit(items, 4, (vc) => startIfDue(context, vc))) if (result) started.push(result);
  });
  await store.doc.send(new PutCommand({ TableName: store.tableName, Item: { ...keys.jobState(JOB), type: 'jobstate', ...(walked.more ? { lanes: walked.lanes } : {}) } }));
  const more = walked.more || expiryLeft;
  return { summary: { checked: walked.items, started, expired, complete: !more }, more };
}


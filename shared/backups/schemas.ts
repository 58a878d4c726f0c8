/** Backups of virtual clusters (README "Backups"). */
import * as z from 'zod';
import { idOf, pageQuery, resourceFields, timestamp } from '../api/schema-kit.ts';
import { backupPhases, MAX_KEEP_DAYS } from './items.ts';
// The same five-field check as sleep schedules', in UTC.
import { cronProblem } from '../virtual-clusters/sleep-schedule.ts';

export const keepDays = z
  .number()
  .int('whole days')
  .min(1, 'at least 1 day')
  .max(MAX_KEEP_DAYS, `at most ${MAX_KEEP_DAYS} days`)
  .meta({ description: `how long each backup is kept (1–${MAX_KEEP_DAYS} days); the run-backups job deletes it and its snapshot after that` });

/** `backup: { cron, keepDays }` on a virtual cluster's create and PATCH. */
export const backupScheduleBody = z
  .strictObject({
    cron: z
      .string()
      .min(9)
      .max(100)
      .superRefine((value, ctx) => {
        const problem = cronProblem(value);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .meta({ description: 'five-field cron (minute hour day-of-month month day-of-week), UTC, e.g. `0 3 * * *`', example: '0 3 * * *' }),
    keepDays,
  })
  .meta({ id: 'BackupSchedule', description: 'back the virtual cluster up on this schedule (checked every 15 minutes by the run-backups job)' });

export const createBackupBody = z
  .strictObject({
    keepDays: keepDays.optional().meta({ description: 'default: the virtual cluster\'s schedule\'s keepDays, else 30' }),
  })
  .meta({ id: 'CreateBackup' });

export const backup = z
  .object({
    id: idOf('backup'),
    name: z.string(),
    projectId: idOf('project'),
    virtualClusterId: idOf('virtualCluster'),
    virtualClusterName: z.string(),
    resources: z.object({ cpu: z.number(), memoryMiB: z.number(), storageGiB: z.number(), gpu: z.number().int() }),
    trigger: z.enum(['manual', 'schedule']),
    keepDays: z.number().int(),
    expiresAt: timestamp,
    status: z.object({
      phase: z.enum(backupPhases),
      message: z.string().optional(),
      objects: z.number().int().optional().meta({ description: 'objects in the snapshot (namespaces included)' }),
      bytes: z.number().int().optional().meta({ description: 'the snapshot\'s size, gzip\'d' }),
    }),
    completedAt: timestamp.optional(),
    operationId: idOf('operation').optional(),
    ...resourceFields,
  })
  .meta({ id: 'Backup' });

export const backupListQuery = z.strictObject({ ...pageQuery });

/** `restoreFrom` on a virtual cluster's create: a Completed backup of the same project. */
export const restoreFromBody = z
  .strictObject({ backupId: idOf('backup') })
  .meta({ id: 'RestoreFrom', description: 'create the virtual cluster from this backup: once it runs, the backup\'s objects are applied, then it is Running' });

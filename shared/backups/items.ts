import * as z from 'zod';
import { resourceBase } from '../store/items.ts';

export const backupPhases = ['Running', 'Completed', 'Failed'] as const;
export type BackupPhase = (typeof backupPhases)[number];

/** Kept this long when neither the request nor the virtual cluster's schedule says. */
export const DEFAULT_KEEP_DAYS = 30;
/** The bucket's lifecycle removes any snapshot older than this, whatever its record says (the outer bound). */
export const MAX_KEEP_DAYS = 365;

export const backupItem = z.object({
  type: z.literal('backup'),
  ...resourceBase,
  tenantId: z.string(),
  projectId: z.string(),
  virtualClusterId: z.string(),
  virtualClusterName: z.string(),
  /** What the virtual cluster held when it was backed up: a restore asks for the same unless told otherwise. */
  resources: z.object({ cpu: z.number(), memoryMiB: z.number(), storageGiB: z.number(), gpu: z.number().int().default(0) }),
  trigger: z.enum(['manual', 'schedule']),
  keepDays: z.number().int(),
  expiresAt: z.string(),
  /** Where the snapshot is in the backup store (S3 key, or a path under PALETTE_DATA_DIR/backups). */
  storageKey: z.string(),
  status: z.object({
    phase: z.enum(backupPhases),
    message: z.string().optional(),
    objects: z.number().int().optional(),
    bytes: z.number().int().optional(),
  }),
  completedAt: z.string().optional(),
  operationId: z.string().optional(),
});
export type BackupItem = z.infer<typeof backupItem>;

/** A virtual cluster's backup schedule, as the API takes it. */
export const backupScheduleItem = z.object({ cron: z.string(), keepDays: z.number().int() });
export type BackupSchedule = z.infer<typeof backupScheduleItem>;

/**
 * The schedule's bookkeeping on the virtual cluster (not part of the resource): since
 * when it runs, and the last cron time a backup was started for. A backup is due once
 * the cron's latest time up to now is later than both.
 */
export const backupStateItem = z.object({ since: z.string(), lastScheduledAt: z.string().optional() });
export type BackupState = z.infer<typeof backupStateItem>;

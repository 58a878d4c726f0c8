/** Virtual clusters (API.md "App Mode"). */
import * as z from 'zod';
import { idOf, pageQuery, resourceFields, timestamp } from '../api/schema-kit.ts';
import { virtualClusterPhases } from './items.ts';
import { deleteAfterIdleDays, sleepScheduleBody, sleepScheduleItem } from './sleep-schedule.ts';
import { backupScheduleBody, restoreFromBody } from '../backups/schemas.ts';

/** API.md: each virtual cluster needs at least this, and by default gets it. */
export const MINIMUM_RESOURCES = { cpu: 4, memoryMiB: 4096, storageGiB: 2 } as const;

const dnsLabel = z
  .string()
  .min(1)
  .max(40)
  .regex(/^[a-z]([a-z0-9-]*[a-z0-9])?$/, 'must be lowercase letters, digits and hyphens, starting with a letter');

export const clusterGroupRef = z.string().regex(/^(beehive|cg_[0-9A-HJKMNP-TV-Z]{26})$/, 'must be a cluster group id (beehive or cg_…)');

const resourceAmounts = {
  cpu: z.number().int('whole CPUs'),
  memoryMiB: z.number().int(),
  storageGiB: z.number().int(),
  gpu: z.number().int('whole GPUs').min(0).max(64).meta({ description: 'GPUs (nvidia.com/gpu); only cluster groups with GPU hosts have them' }),
};

export const resourcesBody = z
  .strictObject({ ...resourceAmounts, gpu: resourceAmounts.gpu.default(0) })
  .meta({ id: 'VirtualClusterResources', description: `at least ${MINIMUM_RESOURCES.cpu} CPU, ${MINIMUM_RESOURCES.memoryMiB} MiB, ${MINIMUM_RESOURCES.storageGiB} GiB; at most the cluster group's limits` });

export const createVirtualClusterBody = z
  .strictObject({
    name: dnsLabel,
    clusterGroupId: clusterGroupRef.default('beehive'),
    resources: resourcesBody.default({ ...MINIMUM_RESOURCES, gpu: 0 }),
    sleepAfterMinutes: z.number().int().min(5).max(7 * 24 * 60).optional().meta({ description: 'paused by the platform after this long without activity' }),
    sleepSchedule: sleepScheduleBody.optional(),
    preventWake: z.boolean().optional().meta({ description: 'the sleep schedule never resumes it (a manual resume still does); default false' }),
    deleteAfterIdleDays: deleteAfterIdleDays.optional(),
    backup: backupScheduleBody.optional(),
    restoreFrom: restoreFromBody.optional(),
  })
  .meta({ id: 'CreateVirtualCluster' });

/** PATCH: a resize (`resources`, 202) and/or the sleep settings (alone: 200; `null` removes one). */
export const resizeVirtualClusterBody = z
  .strictObject({
    resources: z
      .strictObject({
        cpu: resourceAmounts.cpu.optional(), memoryMiB: resourceAmounts.memoryMiB.optional(), storageGiB: resourceAmounts.storageGiB.optional(), gpu: resourceAmounts.gpu.optional(),
      })
      .refine((r) => Object.keys(r).length > 0, 'give at least one of cpu, memoryMiB, storageGiB, gpu')
      .optional(),
    sleepSchedule: sleepScheduleBody.nullable().optional(),
    preventWake: z.boolean().optional(),
    deleteAfterIdleDays: deleteAfterIdleDays.nullable().optional(),
    backup: backupScheduleBody.nullable().optional().meta({ description: 'the backup schedule (`null` removes it); alone: 200, no operation' }),
  })
  .refine((b) => Object.keys(b).length > 0, 'give resources (a resize) or sleepSchedule, preventWake, deleteAfterIdleDays, backup')
  .meta({ id: 'ResizeVirtualCluster' });

export const virtualCluster = z
  .object({
    id: idOf('virtualCluster'),
    name: z.string(),
    projectId: idOf('project'),
    clusterGroupId: z.string(),
    hostClusterId: idOf('cluster'),
    ownerId: idOf('user'),
    resources: z.object({ cpu: z.number(), memoryMiB: z.number(), storageGiB: z.number(), gpu: z.number().int() }),
    sleepAfterMinutes: z.number().int().optional(),
    sleepSchedule: sleepScheduleItem.optional(),
    preventWake: z.boolean(),
    deleteAfterIdleDays: z.number().int().optional(),
    backup: z.object({ cron: z.string(), keepDays: z.number().int() }).optional().meta({ description: 'its backup schedule (README "Backups")' }),
    restoredFrom: z.object({ backupId: idOf('backup'), virtualClusterId: idOf('virtualCluster') }).optional().meta({ description: 'the backup it was created from' }),
    lastActivityAt: timestamp,
    status: z.object({ phase: z.enum(virtualClusterPhases), message: z.string().optional() }),
    endpoint: z.string().optional().meta({ description: 'where its API server is reached from outside its host (Ingress host or LoadBalancer address)' }),
    operationId: idOf('operation').optional(),
    ...resourceFields,
  })
  .meta({ id: 'VirtualCluster' });

export const virtualClusterListQuery = z.strictObject({ ...pageQuery, phase: z.enum(virtualClusterPhases).optional() });

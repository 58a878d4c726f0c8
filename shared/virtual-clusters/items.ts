import * as z from 'zod';
import { resourceBase } from '../store/items.ts';
import { sleepScheduleAppliedItem, sleepScheduleItem } from './sleep-schedule.ts';
import { backupScheduleItem, backupStateItem } from '../backups/items.ts';

export const virtualClusterPhases = ['Pending', 'Provisioning', 'Running', 'Pausing', 'Paused', 'Resuming', 'Deleting', 'Error'] as const;
export type VirtualClusterPhase = (typeof virtualClusterPhases)[number];

/** GPUs are whole devices (`nvidia.com/gpu`), 0 for records made before they were counted. */
export const resourcesItem = z.object({ cpu: z.number(), memoryMiB: z.number(), storageGiB: z.number(), gpu: z.number().int().default(0) });
export type Resources = z.infer<typeof resourcesItem>;

export const hostRef = z.object({ tenantId: z.string(), projectId: z.string(), clusterId: z.string() });
export type HostRef = z.infer<typeof hostRef>;

/**
 * What the counters hold for this virtual cluster right now: the host's allocation
 * and, in beehive, the owner's quota use. Released exactly once (the release removes
 * it in the same transaction that moves the counters back).
 */
export const reservationItem = resourcesItem.extend({ host: hostRef, quota: z.boolean() });
export type Reservation = z.infer<typeof reservationItem>;

export const pendingVirtualClusterChange = z.discriminatedUnion('kind', [
  // A create from a backup (restoreFrom) carries where its snapshot is: the restore step applies it.
  z.object({ kind: z.literal('create'), restore: z.object({ backupId: z.string(), storageKey: z.string() }).optional() }),
  z.object({ kind: z.literal('pause') }),
  z.object({ kind: z.literal('resume') }),
  z.object({ kind: z.literal('resize'), previous: resourcesItem }),
  z.object({ kind: z.literal('delete') }),
]);
export type PendingVirtualClusterChange = z.infer<typeof pendingVirtualClusterChange>;

/**
 * How to reach the virtual cluster's API server: the address, CA and server name in
 * the clear, the credential (vcluster's admin token or client certificate) sealed.
 */
export const accessItem = z.object({
  server: z.string(),
  caData: z.string().optional(),
  tlsServerName: z.string().optional(),
  sealedCredentials: z.string(),
});
export type AccessItem = z.infer<typeof accessItem>;

/** What the sealed credential holds. */
export const credentialsItem = z.object({
  token: z.string().optional(),
  clientCertificateData: z.string().optional(),
  clientKeyData: z.string().optional(),
});

export const virtualClusterItem = z.object({
  type: z.literal('virtualcluster'),
  ...resourceBase,
  tenantId: z.string(),
  projectId: z.string(),
  ownerId: z.string(),
  clusterGroupId: z.string(),
  host: hostRef,
  /** The host namespace the virtual cluster lives in (`vc-<id>`). */
  namespace: z.string(),
  endpointType: z.enum(['Ingress', 'LoadBalancer']),
  /** Ingress only: the host name its API server is routed by (TLS passthrough, by SNI). */
  ingressHost: z.string().optional(),
  resources: resourcesItem,
  reservation: reservationItem.optional(),
  sleepAfterMinutes: z.number().int().optional(),
  /** Sleep schedules (sleep-schedule.ts): paused and resumed by cron, deleted when idle this many days. */
  sleepSchedule: sleepScheduleItem.optional(),
  sleepScheduleApplied: sleepScheduleAppliedItem.optional(),
  preventWake: z.boolean().default(false),
  deleteAfterIdleDays: z.number().int().optional(),
  /** Backups on a schedule (shared/backups): the schedule, and the run-backups job's bookkeeping of it. */
  backup: backupScheduleItem.optional(),
  backupState: backupStateItem.optional(),
  /** The backup it was created from. */
  restoredFrom: z.object({ backupId: z.string(), virtualClusterId: z.string() }).optional(),
  lastActivityAt: z.string(),
  status: z.object({ phase: z.enum(virtualClusterPhases), message: z.string().optional() }),
  endpoint: z.string().optional(),
  access: accessItem.optional(),
  pending: pendingVirtualClusterChange.optional(),
  operationId: z.string().optional(),
  /** Apps deployed into it (kept by the apps feature); a virtual cluster's delete removes them. */
  apps: z.number().int().default(0),
});
export type VirtualClusterItem = z.infer<typeof virtualClusterItem>;

export const virtualClusterNameItem = z.object({ id: z.string() });

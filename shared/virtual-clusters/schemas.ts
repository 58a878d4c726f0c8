/** Virtual clusters (API.md "App Mode"). */
import * as z from 'zod';
import { idOf, pageQuery, resourceFields, timestamp } from '../api/schema-kit.ts';
import { virtualClusterPhases } from './items.ts';

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
  })
  .meta({ id: 'CreateVirtualCluster' });

export const resizeVirtualClusterBody = z
  .strictObject({
    resources: z
      .strictObject({
        cpu: resourceAmounts.cpu.optional(), memoryMiB: resourceAmounts.memoryMiB.optional(), storageGiB: resourceAmounts.storageGiB.optional(), gpu: resourceAmounts.gpu.optional(),
      })
      .refine((r) => Object.keys(r).length > 0, 'give at least one of cpu, memoryMiB, storageGiB, gpu'),
  })
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
    lastActivityAt: timestamp,
    status: z.object({ phase: z.enum(virtualClusterPhases), message: z.string().optional() }),
    endpoint: z.string().optional().meta({ description: 'where its API server is reached from outside its host (Ingress host or LoadBalancer address)' }),
    operationId: idOf('operation').optional(),
    ...resourceFields,
  })
  .meta({ id: 'VirtualCluster' });

export const virtualClusterListQuery = z.strictObject({ ...pageQuery, phase: z.enum(virtualClusterPhases).optional() });

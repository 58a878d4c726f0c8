/** Cluster groups (API.md "Cluster Mode"): host clusters that accept virtual clusters, and the system group beehive. */
import * as z from 'zod';
import { displayName, idOf, resourceFields } from '../api/schema-kit.ts';
import { endpointTypes } from './items.ts';

const limits = z.strictObject({
  maxCpu: z.number().int().min(1).max(10_000),
  maxMemoryMiB: z.number().int().min(512).max(10_000_000),
  maxStorageGiB: z.number().int().min(1).max(1_000_000),
});

const groupMembers = z
  .array(z.strictObject({ projectId: z.string().min(1).max(64), clusterId: idOf('cluster') }))
  .max(50)
  .refine((list) => new Set(list.map((m) => m.clusterId)).size === list.length, 'a cluster can be listed once');

export const createClusterGroupBody = z
  .strictObject({
    name: displayName,
    hostClusters: groupMembers,
    endpointType: z.enum(endpointTypes).default('Ingress'),
    limits: limits.optional(),
    oversubscriptionPercent: z.number().int().min(100).max(1000).default(120),
  })
  .meta({ id: 'CreateClusterGroup' });

export const updateClusterGroupBody = z
  .strictObject({
    name: displayName.optional(),
    hostClusters: groupMembers.optional(),
    endpointType: z.enum(endpointTypes).optional(),
    limits: limits.optional(),
    oversubscriptionPercent: z.number().int().min(100).max(1000).optional(),
  })
  .meta({ id: 'UpdateClusterGroup' });

const resources = z.object({ cpu: z.number(), memoryMiB: z.number(), storageGiB: z.number(), gpu: z.number().int() });

export const clusterGroup = z
  .object({
    id: z.string(),
    name: z.string(),
    system: z.boolean(),
    hostClusters: z.array(z.object({ projectId: z.string(), clusterId: z.string() })),
    endpointType: z.enum(endpointTypes),
    limits: z.object({ maxCpu: z.number(), maxMemoryMiB: z.number(), maxStorageGiB: z.number() }),
    oversubscriptionPercent: z.number().int(),
    capacity: resources.extend({ allocated: resources.extend({ virtualClusters: z.number().int() }) }),
    ...resourceFields,
  })
  .meta({ id: 'ClusterGroup' });

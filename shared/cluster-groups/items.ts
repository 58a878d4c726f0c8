import * as z from 'zod';
import { resourceBase } from '../store/items.ts';

export const endpointTypes = ['Ingress', 'LoadBalancer'] as const;

export const clusterGroupItem = z.object({
  type: z.literal('clustergroup'),
  ...resourceBase,
  tenantId: z.string(),
  system: z.boolean(),
  hostClusters: z.array(z.object({ tenantId: z.string(), projectId: z.string(), clusterId: z.string() })),
  endpointType: z.enum(endpointTypes),
  limits: z.object({ maxCpu: z.number(), maxMemoryMiB: z.number(), maxStorageGiB: z.number() }),
  oversubscriptionPercent: z.number().int(),
});
export type ClusterGroupItem = z.infer<typeof clusterGroupItem>;
export type GroupMember = ClusterGroupItem['hostClusters'][number];

/** The group name reservation (lower case, per tenant). */
export const clusterGroupNameItem = z.object({ id: z.string() });

import { z } from 'zod';

export const hostClusterPhases = ['Pending', 'Provisioning', 'Running', 'Updating', 'Deleting', 'Error'] as const;
export type HostClusterPhase = (typeof hostClusterPhases)[number];

export const nodePoolItem = z.object({
  name: z.string(),
  instanceType: z.string(),
  count: z.number().int(),
  min: z.number().int().optional(),
  max: z.number().int().optional(),
});
export type NodePool = z.infer<typeof nodePoolItem>;

/** What a running workflow is about to change; applied to the cluster when it finishes. */
export const pendingChange = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('create') }),
  z.object({ kind: z.literal('import') }),
  z.object({ kind: z.literal('delete') }),
  z.object({ kind: z.literal('scale'), pool: nodePoolItem }),
  z.object({ kind: z.literal('upgrade'), profileId: z.string(), kubernetesVersion: z.string(), variables: z.record(z.string(), z.string()) }),
]);
export type PendingChange = z.infer<typeof pendingChange>;

export const hostClusterItem = z.object({
  type: z.literal('cluster'),
  id: z.string(),
  name: z.string(),
  tenantId: z.string(),
  projectId: z.string(),
  provider: z.enum(['sim', 'eks', 'imported']),
  cloudAccountId: z.string().nullable(),
  region: z.string().nullable(),
  profileId: z.string().nullable(),
  kubernetesVersion: z.string().nullable(),
  nodePools: z.array(nodePoolItem),
  hostCluster: z.object({ enabled: z.boolean() }),
  variables: z.record(z.string(), z.string()),
  status: z.object({ phase: z.enum(hostClusterPhases), message: z.string().optional() }),
  providerName: z.string(),
  /** A failed earlier attempt's provider resource, removed by the next provision step. */
  staleProviderName: z.string().optional(),
  endpoint: z.string().optional(),
  /** Imported clusters only: how to reach them. */
  kubeconfig: z.string().optional(),
  pending: pendingChange.optional(),
  operationId: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  version: z.number().int().min(1),
});
export type HostClusterItem = z.infer<typeof hostClusterItem>;

export const clusterGroupItem = z.object({
  type: z.literal('clustergroup'),
  id: z.string(),
  name: z.string(),
  tenantId: z.string(),
  system: z.boolean(),
  hostClusters: z.array(z.object({ tenantId: z.string(), projectId: z.string(), clusterId: z.string() })),
  endpointType: z.enum(['Ingress', 'LoadBalancer']),
  limits: z.object({ maxCpu: z.number(), maxMemoryMiB: z.number(), maxStorageGiB: z.number() }),
  oversubscriptionPercent: z.number().int(),
  /** What virtual clusters hold; App Mode's quota transactions keep it exact. */
  allocated: z.object({ cpu: z.number(), memoryMiB: z.number(), storageGiB: z.number(), virtualClusters: z.number().int() }),
  createdAt: z.string(),
  updatedAt: z.string(),
  version: z.number().int().min(1),
});
export type ClusterGroupItem = z.infer<typeof clusterGroupItem>;

import { idOf, resourceFields, displayName, z } from './schema-kit.ts';
import { hostClusterPhases } from '../clusters/cluster-items.ts';
import { isKnownInstanceType } from '../clusters/instance-types.ts';

/** Cluster and pool names end up in provider resource names and Kubernetes labels. */
const dnsLabel = z
  .string()
  .min(1)
  .max(40)
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'must be lowercase letters, digits and hyphens');

export const nodePoolBody = z
  .strictObject({
    name: dnsLabel,
    instanceType: z.string().refine(isKnownInstanceType, 'is not a known instance type'),
    count: z.number().int().min(0).max(500),
    min: z.number().int().min(0).max(500).optional(),
    max: z.number().int().min(1).max(500).optional(),
  })
  .superRefine((pool, ctx) => {
    if (pool.min !== undefined && pool.count < pool.min) ctx.addIssue({ code: 'custom', path: ['count'], message: 'must be ≥ min' });
    if (pool.max !== undefined && pool.count > pool.max) ctx.addIssue({ code: 'custom', path: ['count'], message: 'must be ≤ max' });
  })
  .openapi('NodePool');

export const hostCluster = z
  .object({
    id: idOf('cluster'),
    name: z.string(),
    projectId: idOf('project'),
    provider: z.enum(['sim', 'eks', 'imported']),
    cloudAccountId: z.string().nullable(),
    region: z.string().nullable(),
    profileId: z.string().nullable(),
    kubernetesVersion: z.string().nullable(),
    nodePools: z.array(z.object({ name: z.string(), instanceType: z.string(), count: z.number(), min: z.number().optional(), max: z.number().optional() })),
    hostCluster: z.object({ enabled: z.boolean() }),
    variables: z.record(z.string(), z.string()),
    status: z.object({ phase: z.enum(hostClusterPhases), message: z.string().optional() }),
    endpoint: z.string().optional(),
    operationId: z.string().optional(),
    ...resourceFields,
  })
  .openapi('HostCluster');

export const acceptedCluster = hostCluster.extend({ operationId: idOf('operation') }).openapi('AcceptedHostCluster');

export const createClusterBody = z
  .strictObject({
    name: dnsLabel,
    cloudAccountId: z.string().min(1).max(64),
    region: z.string().regex(/^[a-z0-9-]{2,32}$/, 'must be a region name such as us-east-1'),
    profileId: z.string().min(1).max(64),
    variables: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
    kubernetesVersion: z.string().regex(/^\d+\.\d+(\.\d+)?$/, 'must look like 1.31').optional(),
    nodePools: z
      .array(nodePoolBody)
      .min(1)
      .max(10)
      .refine((pools) => new Set(pools.map((p) => p.name)).size === pools.length, 'node pool names must be unique'),
    hostCluster: z.strictObject({ enabled: z.boolean() }).default({ enabled: false }),
  })
  .openapi('CreateHostCluster');

export const importClusterBody = z
  .strictObject({
    name: dnsLabel,
    kubeconfig: z.string().min(1).max(64 * 1024),
    hostCluster: z.strictObject({ enabled: z.boolean() }).default({ enabled: false }),
  })
  .openapi('ImportHostCluster');

export const scaleNodePoolBody = z.strictObject({ count: z.number().int().min(0).max(500) }).openapi('ScaleNodePool');
export const upgradeClusterBody = z
  .strictObject({ profileId: z.string().min(1).max(64), variables: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional() })
  .openapi('UpgradeHostCluster');

export const clusterListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(25).openapi({ type: 'integer' }),
  cursor: z.string().min(1).max(2048).optional(),
  phase: z.enum(hostClusterPhases).optional(),
});

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
    endpointType: z.enum(['Ingress', 'LoadBalancer']).default('Ingress'),
    limits: limits.optional(),
    oversubscriptionPercent: z.number().int().min(100).max(1000).default(120),
  })
  .openapi('CreateClusterGroup');

export const updateClusterGroupBody = z
  .strictObject({
    name: displayName.optional(),
    hostClusters: groupMembers.optional(),
    endpointType: z.enum(['Ingress', 'LoadBalancer']).optional(),
    limits: limits.optional(),
    oversubscriptionPercent: z.number().int().min(100).max(1000).optional(),
  })
  .openapi('UpdateClusterGroup');

const resources = z.object({ cpu: z.number(), memoryMiB: z.number(), storageGiB: z.number() });

export const clusterGroup = z
  .object({
    id: z.string(),
    name: z.string(),
    system: z.boolean(),
    hostClusters: z.array(z.object({ projectId: z.string(), clusterId: z.string() })),
    endpointType: z.enum(['Ingress', 'LoadBalancer']),
    limits: z.object({ maxCpu: z.number(), maxMemoryMiB: z.number(), maxStorageGiB: z.number() }),
    oversubscriptionPercent: z.number().int(),
    capacity: resources.extend({ allocated: resources.extend({ virtualClusters: z.number().int() }) }),
    ...resourceFields,
  })
  .openapi('ClusterGroup');

import * as z from 'zod';
import { idOf, pageQuery, resourceFields } from '../api/schema-kit.ts';
import { hostClusterPhases, hostClusterProviders } from './items.ts';
import { isKnownInstanceType } from './instance-types.ts';

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
  .meta({ id: 'NodePool' });

export const clusterNetwork = z
  .strictObject({
    subnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, 'must be a subnet id like subnet-0123456789abcdef0')).min(2).max(16)
      .refine((ids) => new Set(ids).size === ids.length, 'subnet ids must be distinct'),
    securityGroupIds: z.array(z.string().regex(/^sg-[0-9a-f]{8,17}$/, 'must be a security group id like sg-0123456789abcdef0')).max(5).optional(),
    endpointPublicAccess: z.boolean().optional(),
    endpointPrivateAccess: z.boolean().optional(),
  })
  .refine((n) => n.endpointPublicAccess !== false || n.endpointPrivateAccess !== false, {
    message: 'the API endpoint needs public or private access', path: ['endpointPrivateAccess'],
  })
  .meta({ id: 'ClusterNetwork', description: 'Where an EKS cluster lives: its VPC subnets, security groups and API endpoint access' });

export const hostCluster = z
  .object({
    id: idOf('cluster'),
    name: z.string(),
    projectId: idOf('project'),
    provider: z.enum(hostClusterProviders),
    cloudAccountId: z.string().nullable(),
    region: z.string().nullable(),
    profileId: z.string().nullable(),
    kubernetesVersion: z.string().nullable(),
    nodePools: z.array(z.object({ name: z.string(), instanceType: z.string(), count: z.number(), min: z.number().optional(), max: z.number().optional() })),
    hostCluster: z.object({ enabled: z.boolean() }),
    variables: z.record(z.string(), z.string()),
    network: clusterNetwork.optional(),
    status: z.object({ phase: z.enum(hostClusterPhases), message: z.string().optional() }),
    endpoint: z.string().optional(),
    operationId: z.string().optional(),
    ...resourceFields,
  })
  .meta({ id: 'HostCluster' });

export const acceptedCluster = hostCluster.extend({ operationId: idOf('operation') }).meta({ id: 'AcceptedHostCluster' });

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
    network: clusterNetwork.optional().meta({ description: 'required (at least two subnets) when the cloud account is aws; ignored for sim' }),
  })
  .meta({ id: 'CreateHostCluster' });

export const importClusterBody = z
  .strictObject({
    name: dnsLabel,
    kubeconfig: z.string().min(1).max(64 * 1024),
    hostCluster: z.strictObject({ enabled: z.boolean() }).default({ enabled: false }),
  })
  .meta({ id: 'ImportHostCluster' });

export const scaleNodePoolBody = z.strictObject({ count: z.number().int().min(0).max(500) }).meta({ id: 'ScaleNodePool' });
export const upgradeClusterBody = z
  .strictObject({ profileId: z.string().min(1).max(64), variables: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional() })
  .meta({ id: 'UpgradeHostCluster' });

export const clusterListQuery = z.strictObject({
  ...pageQuery,
  phase: z.enum(hostClusterPhases).optional(),
});


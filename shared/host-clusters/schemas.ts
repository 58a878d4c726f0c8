import * as z from 'zod';
import { idOf, pageQuery, resourceFields } from '../api/schema-kit.ts';
import { hostClusterPhases, hostClusterProviders } from './items.ts';
import { isKnownInstanceType } from './instance-types.ts';

const gpuSpec = z.object({ count: z.number().int(), model: z.string() }).meta({ id: 'GpuSpec' });

export const deleteClusterQuery = z.strictObject({
  force: z.enum(['true', 'false']).optional().transform((v) => v === 'true')
    .meta({ description: 'project.admin: the record goes whatever the cloud answers (what may be left is named in the audit entry)' }),
});

export const instanceTypeQuery = z.strictObject({
  provider: z.enum(['eks', 'aks', 'gke', 'vsphere', 'sim']).optional(),
  region: z.string().regex(/^[a-z0-9-]{2,32}$/, 'must be a region name such as us-east-1').optional(),
});

export const instanceTypeList = z
  .object({
    items: z.array(
      z.object({ name: z.string(), provider: z.string(), cpu: z.number(), memoryMiB: z.number(), storageGiB: z.number(), gpu: gpuSpec.nullable(), pricePerHour: z.number() }),
    ),
  })
  .meta({ id: 'InstanceTypeList' });

/** Cluster and pool names end up in provider resource names and Kubernetes labels. */
const dnsLabel = z
  .string()
  .min(1)
  .max(40)
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'must be lowercase letters, digits and hyphens');

/** A Kubernetes label or taint key: an optional DNS-subdomain prefix and a name of at most 63 characters. */
const labelKey = z
  .string()
  .max(316)
  .regex(
    /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/,
    'must be a Kubernetes label key such as example.com/team',
  );
const labelValue = z.string().regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/, 'must be a Kubernetes label value (at most 63 letters, digits, -, _ and .)');

export const nodeTaint = z
  .strictObject({ key: labelKey, value: labelValue.optional(), effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']) })
  .meta({ id: 'NodeTaint' });

export const nodePoolBody = z
  .strictObject({
    name: dnsLabel,
    instanceType: z.string().refine(isKnownInstanceType, 'is not a known instance type (GET /v1/instancetypes lists them)'),
    count: z.number().int().min(0).max(500),
    min: z.number().int().min(0).max(500).optional(),
    max: z.number().int().min(1).max(500).optional(),
    labels: z.record(labelKey, labelValue).optional().refine((l) => !l || Object.keys(l).length <= 32, 'at most 32 labels'),
    taints: z.array(nodeTaint).max(16).optional(),
  })
  .superRefine((pool, ctx) => {
    if (pool.min !== undefined && pool.count < pool.min) ctx.addIssue({ code: 'custom', path: ['count'], message: 'must be ≥ min' });
    if (pool.max !== undefined && pool.count > pool.max) ctx.addIssue({ code: 'custom', path: ['count'], message: 'must be ≤ max' });
  })
  .meta({ id: 'NodePool' });

export const eksNetwork = z
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
  .meta({ id: 'EksNetwork', description: 'Where an EKS cluster lives: its VPC subnets, security groups and API endpoint access' });

export const aksNetwork = z
  .strictObject({
    vnetSubnetId: z
      .string()
      .max(1024)
      .regex(
        /^\/subscriptions\/[0-9a-fA-F-]{36}\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+\/subnets\/[^/]+$/,
        'must be a subnet resource id like /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>',
      ),
  })
  .meta({ id: 'AksNetwork', description: 'The subnet of an existing virtual network the AKS nodes join' });

export const gkeNetwork = z
  .strictObject({
    network: z.string().regex(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a VPC network name'),
    subnetwork: z.string().regex(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a subnetwork name'),
  })
  .meta({ id: 'GkeNetwork', description: 'The VPC network and subnetwork of a GKE cluster' });

export const clusterNetwork = z.union([eksNetwork, aksNetwork, gkeNetwork]).meta({ id: 'ClusterNetwork' });

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
    nodePools: z.array(
      z.object({
        name: z.string(), instanceType: z.string(), count: z.number(), min: z.number().optional(), max: z.number().optional(),
        labels: z.record(z.string(), z.string()).optional(),
        taints: z.array(nodeTaint).optional(),
        gpu: gpuSpec.nullable().meta({ description: 'GPUs per node of the instance type' }),
      }),
    ),
    hostCluster: z.object({ enabled: z.boolean() }),
    variables: z.record(z.string(), z.string()),
    network: clusterNetwork.optional(),
    edge: z.object({ hosts: z.array(z.object({ hostId: z.string(), role: z.enum(['control-plane', 'worker']), name: z.string() })) }).optional(),
    vsphere: z.object({ folder: z.string().optional(), resourcePool: z.string().optional() }).optional(),
    status: z.object({ phase: z.enum(hostClusterPhases), message: z.string().optional() }),
    capacity: z
      .object({ cpu: z.number(), memoryMiB: z.number(), storageGiB: z.number(), gpu: z.number().int() })
      .meta({ description: "what the node pools offer, from the instance types' sizes" }),
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
      .max(10)
      .refine((pools) => new Set(pools.map((p) => p.name)).size === pools.length, 'node pool names must be unique')
      .default([])
      .meta({ description: 'at least one, except on an edge account (whose clusters name edge.hosts instead)' }),
    edge: z
      .strictObject({
        hosts: z
          .array(z.strictObject({ hostId: idOf('agent'), role: z.enum(['control-plane', 'worker']) }))
          .min(1)
          .max(100)
          .refine((hosts) => new Set(hosts.map((h) => h.hostId)).size === hosts.length, 'a host may be named once')
          .refine((hosts) => hosts.filter((h) => h.role === 'control-plane').length === 1, 'exactly one host has the control-plane role'),
      })
      .optional()
      .meta({ description: 'edge accounts only: the registered edge hosts the cluster is made of' }),
    vsphere: z
      .strictObject({ folder: z.string().min(1).max(255).optional(), resourcePool: z.string().min(1).max(255).optional() })
      .optional()
      .meta({ description: 'vsphere accounts only: the VM folder and resource pool' }),
    hostCluster: z.strictObject({ enabled: z.boolean() }).default({ enabled: false }),
    network: clusterNetwork.optional().meta({ description: 'aws: subnetIds (required, at least two); azure: vnetSubnetId; gcp: network and subnetwork; refused for sim' }),
  })
  .meta({ id: 'CreateHostCluster' });

export const importClusterBody = z
  .strictObject({
    name: dnsLabel,
    kubeconfig: z.string().min(1).max(64 * 1024),
    hostCluster: z.strictObject({ enabled: z.boolean() }).default({ enabled: false }),
  })
  .meta({ id: 'ImportHostCluster' });

export const scaleNodePoolBody = z
  .strictObject({
    count: z.number().int().min(0).max(500),
    hostIds: z
      .array(z.string().min(1).max(64))
      .max(100)
      .optional()
      .meta({ description: "edge clusters' `worker` pool only: the edge hosts that join (growing) or leave (shrinking); without it free Ready hosts join by name and the last workers leave" }),
  })
  .meta({ id: 'ScaleNodePool' });
export const upgradeClusterBody = z
  .strictObject({ profileId: z.string().min(1).max(64), variables: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional() })
  .meta({ id: 'UpgradeHostCluster' });

export const clusterListQuery = z.strictObject({
  ...pageQuery,
  phase: z.enum(hostClusterPhases).optional(),
});


import * as z from 'zod';
import { resourceBase } from '../store/items.ts';

export const hostClusterPhases = ['Pending', 'Provisioning', 'Running', 'Updating', 'Deleting', 'Error'] as const;
export type HostClusterPhase = (typeof hostClusterPhases)[number];

export const hostClusterProviders = ['sim', 'eks', 'aks', 'gke', 'vsphere', 'edge', 'imported'] as const;

export const nodePoolItem = z.object({
  name: z.string(),
  instanceType: z.string(),
  count: z.number().int(),
  min: z.number().int().optional(),
  max: z.number().int().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  taints: z.array(z.object({ key: z.string(), value: z.string().optional(), effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']) })).optional(),
});
export type NodePool = z.infer<typeof nodePoolItem>;

export const clusterNetworkItem = z.union([
  z.object({
    subnetIds: z.array(z.string()),
    securityGroupIds: z.array(z.string()).optional(),
    endpointPublicAccess: z.boolean().optional(),
    endpointPrivateAccess: z.boolean().optional(),
  }),
  z.object({ vnetSubnetId: z.string() }),
  z.object({ network: z.string(), subnetwork: z.string() }),
]);

export const edgeHostRef = z.object({
  hostId: z.string(),
  role: z.enum(['control-plane', 'worker']),
  name: z.string(),
  /** Where the host's agent item is (its key's hash): tasks are added there. */
  keyHash: z.string(),
  hardware: z.object({ cpu: z.number(), memoryMiB: z.number(), storageGiB: z.number(), arch: z.string(), gpus: z.array(z.object({ model: z.string() })).optional() }).optional(),
});
export type EdgeHostRef = z.infer<typeof edgeHostRef>;
export const edgeClusterItem = z.object({ hosts: z.array(edgeHostRef) });

/** What a running workflow is about to change; applied to the cluster when it finishes. */
export const pendingChange = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('create') }),
  z.object({ kind: z.literal('import') }),
  z.object({
    kind: z.literal('delete'),
    /**
     * How the cloud is left: `never-created` (the create never reached it: nothing to
     * remove, it is not called), `forced` (?force=true: asked to delete once, whatever it
     * answers the record goes). Absent: deleted at the cloud until it is gone.
     */
    cloud: z.enum(['never-created', 'forced']).optional(),
  }),
  z.object({
    kind: z.literal('scale'),
    pool: nodePoolItem,
    /** An edge cluster's scale: the hosts that join (held from the request on) and the workers that leave (freed when it finishes). */
    edge: z.object({ join: z.array(edgeHostRef), leave: z.array(edgeHostRef) }).optional(),
  }),
  z.object({ kind: z.literal('upgrade'), profileId: z.string(), kubernetesVersion: z.string(), variables: z.record(z.string(), z.string()) }),
]);
export type PendingChange = z.infer<typeof pendingChange>;

export const hostClusterItem = z.object({
  type: z.literal('cluster'),
  ...resourceBase,
  tenantId: z.string(),
  projectId: z.string(),
  provider: z.enum(hostClusterProviders),
  cloudAccountId: z.string().nullable(),
  region: z.string().nullable(),
  profileId: z.string().nullable(),
  kubernetesVersion: z.string().nullable(),
  nodePools: z.array(nodePoolItem),
  hostCluster: z.object({ enabled: z.boolean() }),
  variables: z.record(z.string(), z.string()),
  network: clusterNetworkItem.optional(),
  /** Edge clusters: the registered hosts they are made of (taken in the create's transaction). */
  edge: edgeClusterItem.optional(),
  /** vSphere clusters: the folder and resource pool their VMs go in. */
  vsphere: z.object({ folder: z.string().optional(), resourcePool: z.string().optional() }).optional(),
  status: z.object({ phase: z.enum(hostClusterPhases), message: z.string().optional() }),
  providerName: z.string(),
  /** A failed earlier attempt's provider resource, removed by the next provision step. */
  staleProviderName: z.string().optional(),
  endpoint: z.string().optional(),
  /** When the provider first accepted this cluster's create: from then on a resource may exist at the cloud. */
  cloudResourceAt: z.string().optional(),
  /** Imported clusters only: how to reach them. */
  kubeconfig: z.string().optional(),
  pending: pendingChange.optional(),
  operationId: z.string().optional(),
  /**
   * Counters kept by App Mode's quota transactions (ADD with conditions, never part of
   * `version`): the virtual clusters placed on this host and what they hold. A host
   * that carries any cannot be deleted.
   */
  virtualClusters: z.number().int().default(0),
  allocatedCpu: z.number().default(0),
  allocatedMemoryMiB: z.number().default(0),
  allocatedStorageGiB: z.number().default(0),
  allocatedGpu: z.number().int().default(0),
});
export type HostClusterItem = z.infer<typeof hostClusterItem>;

/** The cluster name reservation: points at the cluster holding the name. */
export const clusterNameItem = z.object({ id: z.string() });

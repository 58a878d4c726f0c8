import type { ClusterAccess } from '../kube/kubeconfig.ts';

/**
 * One interface over every place a host cluster can live (EKS, an imported cluster,
 * the simulated cloud). Every method is idempotent: step Lambdas call them again on
 * retry, so "already exists" / "already gone" are successes, not errors.
 */
export type ProviderPhase = 'Provisioning' | 'Running' | 'Updating' | 'Deleting' | 'Deleted' | 'Failed';

export type TaintEffect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';

export interface NodeTaint {
  key: string;
  value?: string;
  effect: TaintEffect;
}

export interface NodePoolSpec {
  name: string;
  instanceType: string;
  count: number;
  min?: number;
  max?: number;
  /** Kubernetes labels every node of the pool carries. */
  labels?: Record<string, string>;
  /** Kubernetes taints every node of the pool carries. */
  taints?: NodeTaint[];
  /** GPUs per node (from the instance-type catalog): the pool provisions with the provider's GPU image or driver. */
  gpu?: { count: number; model: string };
}

/** What a provider needs to find a cluster again. */
export interface ClusterRef {
  /** Our id (`cl_…`). */
  clusterId: string;
  /** The cluster's name at the provider (unique per account and region). */
  providerName: string;
  region: string;
}

/** Where a cloud cluster lives in the customer's network (EKS: the VPC subnets and endpoint access). */
export interface EksNetwork {
  subnetIds: string[];
  securityGroupIds?: string[];
  endpointPublicAccess?: boolean;
  endpointPrivateAccess?: boolean;
}

/** AKS: the subnet of an existing virtual network the nodes join (else AKS makes its own network). */
export interface AksNetwork {
  vnetSubnetId: string;
}

/** GKE: the VPC network and subnetwork (else the project's `default` network). */
export interface GkeNetwork {
  network: string;
  subnetwork: string;
}

export type ClusterNetwork = EksNetwork | AksNetwork | GkeNetwork;

export interface CreateClusterInput extends ClusterRef {
  kubernetesVersion: string;
  nodePools: NodePoolSpec[];
  /** Cloud tags/labels on every resource the provider creates (keys like `palette:cluster`; a provider rewrites them to its own rules). */
  tags: Record<string, string>;
  network?: ClusterNetwork;
}

export interface ProviderClusterStatus {
  phase: ProviderPhase;
  /** Why the cluster is Failed (or what it is doing), in words a user can act on. */
  message?: string;
  kubernetesVersion?: string;
  endpoint?: string;
  nodePools: Array<{ name: string; instanceType: string; count: number; phase: ProviderPhase }>;
}

export interface ClusterProvider {
  readonly kind: 'eks' | 'aks' | 'gke' | 'vsphere' | 'edge' | 'sim' | 'imported';
  create(input: CreateClusterInput): Promise<void>;
  /** `phase: 'Deleted'` when the provider no longer knows the cluster. */
  describe(ref: ClusterRef): Promise<ProviderClusterStatus>;
  scaleNodePool(ref: ClusterRef, pool: NodePoolSpec): Promise<void>;
  upgrade(ref: ClusterRef, kubernetesVersion: string): Promise<void>;
  delete(ref: ClusterRef): Promise<void>;
  /** How to reach the cluster's Kubernetes API (a kubeconfig as data). */
  clusterAccess(ref: ClusterRef): Promise<ClusterAccess>;
}

/**
 * Errors the workflows tell apart by name: a transient one (throttling, 5xx, a
 * resource busy with another update) is retried with backoff by the state machine; a
 * permanent one (access denied, invalid request, FAILED at the provider) moves the
 * cluster to `Error` with the message.
 */
export class TransientProviderError extends Error {
  override readonly name = 'TransientProviderError';
}

export class PermanentProviderError extends Error {
  override readonly name = 'PermanentProviderError';
}

/** The cluster no longer exists at its provider: there is nothing left to reach or remove. */
export class ClusterGoneError extends PermanentProviderError {}

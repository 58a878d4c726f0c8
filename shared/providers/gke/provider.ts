import type { ClusterManagerClient } from '@google-cloud/container';
import type { ClusterAccess } from '../../kube/kubeconfig.ts';
import {
  ClusterGoneError,
  PermanentProviderError,
  TransientProviderError,
  type ClusterProvider,
  type ClusterRef,
  type CreateClusterInput,
  type NodePoolSpec,
  type ProviderClusterStatus,
  type ProviderPhase,
} from '../provider.ts';
import { classifyGoogleError, isGoogleAlreadyExists, isGoogleNotFound } from './errors.ts';
import {
  compareToTarget,
  gcpLabels,
  gkePoolName,
  hasAutoscaling,
  inheritableLabels,
  NODEPOOL_LABEL,
  nodePoolFor,
  nodePoolPhase,
  poolFailure,
  poolName,
  poolStatus,
  scalingFor,
  validatePool,
  validatePools,
  type GkeCluster,
  type GkeNodePool,
} from './node-pools.ts';
import { CALL_OPTIONS, createGkeSession, type GkeAccountSettings, type GkeSessionOptions } from './session.ts';

export type { GkeAccountSettings, GkeServiceAccountKey, GoogleRetryOptions } from './session.ts';

/**
 * The `gke` provider: host clusters are Google Kubernetes Engine (Standard) clusters in
 * the customer's own project, reached as the account's service account.
 *
 * ## Account access
 * The parsed JSON key of a service account (client_email, private_key) and the project
 * id; one GKE API client per provider (session.ts). API calls carry self-signed JWTs, so
 * they need no token exchange; kubeconfig tokens come from `POST
 * oauth2.googleapis.com/token`. The service account needs Kubernetes Engine Admin
 * (`roles/container.admin`, which also makes it cluster-admin inside each cluster) and
 * Service Account User (`roles/iam.serviceAccountUser`) on the nodes' service account
 * (the project's Compute Engine default one).
 *
 * ## Where clusters go
 * - location: the cluster's `region`, as a regional cluster (control plane and nodes
 *   replicated over the region's zones, three by default); name `ref.providerName`.
 * - version: `initialClusterVersion` = the requested Kubernetes version (`1.31` gets
 *   GKE's default patch of 1.31), release channel `UNSPECIFIED` ("no channel"), node
 *   auto-upgrade off: versions only move when `upgrade` asks (GKE still upgrades a
 *   control plane whose version reaches its end of support).
 * - network: `network.network` / `network.subnetwork` when given, else the project's
 *   `default` network; VPC-native (alias IPs), with secondary ranges GKE makes.
 * - labels: the input's tags as GCP labels (gcpLabels in node-pools.ts) on the cluster
 *   (`resourceLabels`) and on each pool's VMs.
 *
 * ## Node pools: created with the cluster, sized per zone
 * One `createCluster` creates the control plane and every node pool. Our pool names
 * become GKE node pool names (gkePoolName in node-pools.ts); each pool keeps our name
 * as node label `palette.io/node-pool`, which `describe` reports. **`count`, `min` and
 * `max` are per zone**, the way GKE sizes the pools of a regional cluster (and `gcloud
 * --num-nodes` does): `count: 2` in a three-zone region is six nodes. `describe`
 * reports `initialNodeCount` × the pool's zones: the size the pool was created with,
 * as GKE keeps no current size of a pool (see poolStatus). `scaleNodePool` calls
 * setNodePoolSize (or setNodePoolAutoscaling for autoscaled pools), or creates a
 * missing pool.
 *
 * ## Long-running operations: started, never awaited
 * Every create, update and delete returns a GKE Operation at once; the provider never
 * polls it: the workflow's Wait → Describe → Choice loop is the poller, and `describe`
 * reads the cluster's and node pools' `status`. GKE runs one operation per cluster at a
 * time and refuses another with FAILED_PRECONDITION ("incompatible operation …"): a
 * TransientProviderError, so the workflow retries once the running one is done.
 *
 * ## Upgrades: control plane first, node pools from `describe`
 * `upgrade` calls updateMaster with the version. `describe` reports `Updating` while
 * the cluster is RECONCILING, and once it is RUNNING, calls updateNodePool (one pool
 * per poll: one operation at a time) for every pool on a version below the control
 * plane's, with the control plane's exact version, reporting `Updating` until all are
 * current. Pools follow the control plane whichever way it moved (node auto-upgrade is
 * off, so this is the only way they do).
 *
 * ## Deletion
 * `delete` starts deleteCluster (which takes the node pools with it) and returns;
 * `describe` reports `Deleting` (STOPPING) until GKE no longer knows the cluster, then
 * `Deleted`. Calling `delete` again is harmless.
 *
 * ## Cluster access
 * `clusterAccess` builds the kubeconfig data from the cluster's endpoint and
 * `masterAuth.clusterCaCertificate`, with an OAuth access token of the service account
 * as bearer token (what `gke-gcloud-auth-plugin` hands kubectl). Google issues it for
 * an hour; the token returned is good for at least 15 minutes (session.ts). A caller
 * that keeps the access longer calls `clusterAccess` again.
 */

export type GkeProviderOptions = GkeSessionOptions & {
  /** Accepted like the other providers' `now`; GKE keeps no timestamps of ours. */
  now?: () => Date;
};

export interface GkeClusterProvider extends ClusterProvider {
  readonly kind: 'gke';
}

/** GKE: 1–40 lowercase letters, digits or `-`, starting with a letter and not ending with `-`. */
const CLUSTER_NAME = /^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/;
/** GCP regions: `europe-west1`, `us-central1`, `me-central2`. */
const REGION = /^[a-z]+-[a-z]+\d+$/;
/** A network or subnetwork: a name, or a (partial) resource URL / path. */
const NETWORK_REF = /^([a-z]([-a-z0-9]{0,61}[a-z0-9])?|(https:\/\/www\.googleapis\.com\/compute\/v1\/)?projects\/[^/]+\/(global\/networks|regions\/[^/]+\/subnetworks)\/[a-z]([-a-z0-9]{0,61}[a-z0-9])?)$/;

function list(names: string[]): string {
  return names.join(', ');
}

function plural(word: string, n: number): string {
  return n === 1 ? word : `${word}s`;
}

export function createGkeProvider(account: GkeAccountSettings, options: GkeProviderOptions = {}): GkeClusterProvider {
  const session = createGkeSession(account, options);
  const errorContext = { serviceAccount: account.serviceAccountKey?.client_email, projectId: account.projectId, redact: session.secrets };
  const fail = (error: unknown, operation: string) => classifyGoogleError(error, operation, errorContext);
  const locationPath = (ref: Pick<ClusterRef, 'region'>) => `projects/${account.projectId}/locations/${ref.region}`;
  const clusterPath = (ref: ClusterRef) => `${locationPath(ref)}/clusters/${ref.providerName}`;
  const poolPath = (ref: ClusterRef, gkeName: string) => `${clusterPath(ref)}/nodePools/${gkeName}`;

  function gone(ref: ClusterRef): ClusterGoneError {
    return new ClusterGoneError(`GKE cluster ${ref.providerName} no longer exists in ${ref.region} of project ${account.projectId}`);
  }

  /** A GKE call whose failures come back classified. */
  async function gke<T>(operation: string, fn: (c: ClusterManagerClient) => Promise<T>, idempotent: boolean): Promise<T> {
    try {
      return await session.call(fn, idempotent);
    } catch (error) {
      throw fail(error, operation);
    }
  }

  /** The cluster, or undefined when GKE doesn't know it. */
  async function findCluster(ref: ClusterRef): Promise<GkeCluster | undefined> {
    try {
      const [cluster] = await session.call((c) => c.getCluster({ name: clusterPath(ref) }, CALL_OPTIONS), true);
      return cluster;
    } catch (error) {
      if (isGoogleNotFound(error)) return undefined;
      throw fail(error, `get cluster ${ref.providerName}`);
    }
  }

  async function requireCluster(ref: ClusterRef): Promise<GkeCluster> {
    const cluster = await findCluster(ref);
    if (!cluster) throw gone(ref);
    return cluster;
  }

  async function findPool(ref: ClusterRef, gkeName: string): Promise<GkeNodePool | undefined> {
    try {
      const [pool] = await session.call((c) => c.getNodePool({ name: poolPath(ref, gkeName) }, CALL_OPTIONS), true);
      return pool;
    } catch (error) {
      if (isGoogleNotFound(error)) return undefined;
      throw fail(error, `get node pool ${gkeName} of ${ref.providerName}`);
    }
  }

  /** A write on the cluster (or one of its pools): a 404 means the cluster is gone. */
  async function write(ref: ClusterRef, operation: string, fn: (c: ClusterManagerClient) => Promise<unknown>): Promise<void> {
    try {
      await session.call(fn, false);
    } catch (error) {
      if (isGoogleNotFound(error)) throw gone(ref);
      throw fail(error, operation);
    }
  }

  /** Why an ERROR / DEGRADED cluster is, from its own status message, conditions and failed pools. */
  function failureMessage(ref: ClusterRef, cluster: GkeCluster, pools: GkeNodePool[]): string {
    const parts: string[] = [];
    if (cluster.statusMessage) parts.push(cluster.statusMessage);
    for (const condition of cluster.conditions ?? []) {
      if (condition.message && !parts.includes(condition.message)) parts.push(`${condition.code && condition.code !== 'UNKNOWN' ? `${condition.code}: ` : ''}${condition.message}`);
    }
    for (const pool of pools) if (nodePoolPhase(pool) === 'Failed') parts.push(poolFailure(pool));
    if (parts.length) return `GKE cluster ${ref.providerName} is ${cluster.status}: ${parts.join('; ')}`;
    return `GKE reports cluster ${ref.providerName} as ${cluster.status ?? 'failed'}; its operations in the Google Cloud console say why`;
  }

  /** What a busy cluster is doing, in words: the pools at work first, else the control plane. */
  function activity(ref: ClusterRef, cluster: GkeCluster, pools: GkeNodePool[]): string {
    const byStatus = (status: string) => pools.filter((p) => p.status === status).map(poolName);
    const provisioning = byStatus('PROVISIONING');
    if (provisioning.length) return `creating ${plural('node pool', provisioning.length)} ${list(provisioning)}`;
    const reconciling = byStatus('RECONCILING');
    if (reconciling.length) return `updating ${plural('node pool', reconciling.length)} ${list(reconciling)}`;
    const stopping = byStatus('STOPPING');
    if (stopping.length) return `deleting ${plural('node pool', stopping.length)} ${list(stopping)}`;
    return cluster.statusMessage || `GKE is updating cluster ${ref.providerName}`;
  }

  async function describe(ref: ClusterRef): Promise<ProviderClusterStatus> {
    const cluster = await findCluster(ref);
    if (!cluster) return { phase: 'Deleted', nodePools: [] };

    const state = cluster.status ?? 'STATUS_UNSPECIFIED';
    const version = cluster.currentMasterVersion || cluster.initialClusterVersion || undefined;
    const endpoint = cluster.endpoint ? `https://${cluster.endpoint}` : undefined;
    const pools = cluster.nodePools ?? [];
    const zones = cluster.locations?.length ?? 0;
    const nodePools = pools.map((p) => {
      const s = poolStatus(p, zones);
      return state === 'STOPPING' ? { ...s, phase: 'Deleting' as const } : s;
    });
    const status = (phase: ProviderPhase, message?: string): ProviderClusterStatus => ({
      phase,
      ...(message !== undefined ? { message } : {}),
      ...(version ? { kubernetesVersion: version } : {}),
      ...(endpoint ? { endpoint } : {}),
      nodePools,
    });

    switch (state) {
      case 'STOPPING':
        return status('Deleting', `deleting GKE cluster ${ref.providerName}`);
      case 'ERROR':
      case 'DEGRADED':
        return status('Failed', failureMessage(ref, cluster, pools));
      case 'RECONCILING':
        return status('Updating', activity(ref, cluster, pools));
      case 'RUNNING':
        break;
      default: {
        // PROVISIONING (or a status GKE has not named yet).
        if (!endpoint) return status('Provisioning', 'creating the GKE control plane');
        const waiting = pools.filter((p) => p.status !== 'RUNNING').map(poolName);
        return status('Provisioning', waiting.length ? `creating ${plural('node pool', waiting.length)} ${list(waiting)}` : 'creating the GKE cluster');
      }
    }

    // RUNNING: the control plane is up; now the node pools decide.
    const failed = pools.filter((p) => nodePoolPhase(p) === 'Failed');
    if (failed.length) return status('Failed', failed.map(poolFailure).join('; '));
    if (pools.some((p) => p.status === 'PROVISIONING')) return status('Provisioning', activity(ref, cluster, pools));
    if (pools.some((p) => nodePoolPhase(p) !== 'Running')) return status('Updating', activity(ref, cluster, pools));

    const master = cluster.currentMasterVersion;
    if (master) {
      const behind = pools.filter((p) => p.version && compareToTarget(p.version, master) < 0);
      const [first] = behind;
      if (first) {
        // One at a time: GKE refuses a second operation on the cluster while one runs.
        await write(ref, `upgrade node pool ${poolName(first)} to ${master}`, (c) =>
          c.updateNodePool(
            { name: poolPath(ref, first.name ?? ''), nodeVersion: master, ...(first.config?.imageType ? { imageType: first.config.imageType } : {}) },
            CALL_OPTIONS,
          ),
        ).catch((error: unknown) => {
          // Another operation runs (a describe raced this one): the next poll sees it.
          if (error instanceof TransientProviderError) return;
          throw error;
        });
        const names = new Set(behind.map(poolName));
        for (const p of nodePools) if (names.has(p.name)) p.phase = 'Updating';
        return status('Updating', `upgrading ${plural('node pool', behind.length)} ${list([...names])} to ${master}`);
      }
    }
    return status('Running');
  }

  /** Whether GKE is running an upgrade of this cluster's control plane right now. */
  async function masterUpgradeRunning(ref: ClusterRef): Promise<boolean> {
    const [out] = await gke(`list operations in ${ref.region}`, (c) => c.listOperations({ parent: locationPath(ref) }, CALL_OPTIONS), true);
    return (out.operations ?? []).some(
      (op) => op.operationType === 'UPGRADE_MASTER' && op.status !== 'DONE' && (op.targetLink ?? '').endsWith(`/clusters/${ref.providerName}`),
    );
  }

  return {
    kind: 'gke',

    async create(input: CreateClusterInput): Promise<void> {
      if (!CLUSTER_NAME.test(input.providerName)) {
        throw new PermanentProviderError(
          `'${input.providerName}' is not a valid GKE cluster name (1-40 lowercase letters, digits or '-', starting with a letter and ending with a letter or digit)`,
        );
      }
      if (!REGION.test(input.region)) {
        throw new PermanentProviderError(`'${input.region}' is not a Google Cloud region (e.g. europe-west1); GKE clusters here are regional`);
      }
      if (!input.nodePools.length) throw new PermanentProviderError('a GKE cluster needs at least one node pool');
      validatePools(input.nodePools);
      if (!input.nodePools.some((p) => p.count > 0)) {
        throw new PermanentProviderError('a GKE cluster needs at least one node pool with nodes (count ≥ 1) for its system workloads');
      }
      const network = input.network && 'subnetwork' in input.network ? input.network : undefined;
      if (input.network && !network) {
        throw new PermanentProviderError('a GKE cluster takes network.network and network.subnetwork (a VPC network and its subnetwork), not the network of another cloud');
      }
      for (const [field, value] of network ? ([['network', network.network], ['subnetwork', network.subnetwork]] as const) : []) {
        if (!NETWORK_REF.test(value)) {
          throw new PermanentProviderError(`network.${field} '${value}' is not a VPC ${field} name or resource path (projects/…/${field === 'network' ? 'global/networks' : 'regions/…/subnetworks'}/…)`);
        }
      }

      const resourceLabels = gcpLabels(input.tags);
      const cluster: GkeCluster = {
        name: input.providerName,
        initialClusterVersion: input.kubernetesVersion,
        releaseChannel: { channel: 'UNSPECIFIED' },
        resourceLabels,
        ...(network ? { network: network.network, subnetwork: network.subnetwork } : {}),
        ipAllocationPolicy: { useIpAliases: true },
        nodePools: input.nodePools.map((pool) => nodePoolFor(pool, resourceLabels)),
      };
      try {
        await session.call((c) => c.createCluster({ parent: locationPath(input), cluster }, CALL_OPTIONS), false);
      } catch (error) {
        // A retry, or a concurrent attempt got there first: its cluster is on its way.
        if (isGoogleAlreadyExists(error)) return;
        throw fail(error, `create cluster ${input.providerName}`);
      }
    },

    describe,

    async scaleNodePool(ref: ClusterRef, pool: NodePoolSpec): Promise<void> {
      validatePool(pool);
      const gkeName = gkePoolName(pool.name);
      const want = scalingFor(pool);
      const existing = await findPool(ref, gkeName);
      if (existing) {
        const owner = existing.config?.labels?.[NODEPOOL_LABEL];
        if (owner && owner !== pool.name) {
          throw new PermanentProviderError(`GKE node pool ${gkeName} of cluster ${ref.providerName} belongs to node pool '${owner}', not '${pool.name}'`);
        }
        const name = poolPath(ref, gkeName);
        if (!hasAutoscaling(existing, want)) {
          await write(ref, `set the autoscaling of node pool ${pool.name}`, (c) =>
            c.setNodePoolAutoscaling({ name, autoscaling: want.autoscaling ?? { enabled: false } }, CALL_OPTIONS),
          );
          if (want.autoscaling) return;
          // The size can only be set once GKE has turned the autoscaler off.
          throw new TransientProviderError(`turning off the autoscaling of node pool ${pool.name}; its size is set once that finishes`);
        }
        // An autoscaled pool's size belongs to the cluster autoscaler.
        if (want.autoscaling) return;
        // GKE keeps no current size to compare with; the same size again is a no-op resize.
        await write(ref, `scale node pool ${pool.name}`, (c) => c.setNodePoolSize({ name, nodeCount: want.count }, CALL_OPTIONS));
        return;
      }

      const cluster = await requireCluster(ref);
      if (cluster.status !== 'RUNNING') {
        throw new TransientProviderError(`GKE cluster ${ref.providerName} is ${cluster.status}; node pool ${pool.name} can be added once that operation finishes`);
      }
      const nodePool: GkeNodePool = {
        ...nodePoolFor(pool, inheritableLabels(cluster.resourceLabels)),
        // On the control plane's version: a new pool may not pass it.
        ...(cluster.currentMasterVersion ? { version: cluster.currentMasterVersion } : {}),
      };
      try {
        await session.call((c) => c.createNodePool({ parent: clusterPath(ref), nodePool }, CALL_OPTIONS), false);
      } catch (error) {
        if (isGoogleAlreadyExists(error)) return;
        if (isGoogleNotFound(error)) throw gone(ref);
        throw fail(error, `create node pool ${pool.name}`);
      }
    },

    async upgrade(ref: ClusterRef, kubernetesVersion: string): Promise<void> {
      const cluster = await requireCluster(ref);
      const current = cluster.currentMasterVersion ?? '';
      const cmp = current ? compareToTarget(current, kubernetesVersion) : -1;
      if (cmp > 0) {
        throw new PermanentProviderError(`GKE cluster ${ref.providerName} runs Kubernetes ${current}; GKE cannot downgrade it to ${kubernetesVersion}`);
      }
      // At the version already: the pools follow from describe.
      if (cmp === 0) return;
      if (cluster.status !== 'RUNNING') {
        // A retry while the upgrade runs is done; anything else must finish first.
        if (cluster.status === 'RECONCILING' && (await masterUpgradeRunning(ref))) return;
        throw new TransientProviderError(
          `GKE cluster ${ref.providerName} is ${cluster.status}; its upgrade to ${kubernetesVersion} starts once that operation finishes`,
        );
      }
      await write(ref, `upgrade cluster ${ref.providerName} to ${kubernetesVersion}`, (c) =>
        c.updateMaster({ name: clusterPath(ref), masterVersion: kubernetesVersion }, CALL_OPTIONS),
      );
    },

    async delete(ref: ClusterRef): Promise<void> {
      const cluster = await findCluster(ref);
      if (!cluster || cluster.status === 'STOPPING') return;
      try {
        await session.call((c) => c.deleteCluster({ name: clusterPath(ref) }, CALL_OPTIONS), false);
      } catch (error) {
        if (isGoogleNotFound(error)) return;
        throw fail(error, `delete cluster ${ref.providerName}`);
      }
    },

    async clusterAccess(ref: ClusterRef): Promise<ClusterAccess> {
      const cluster = await requireCluster(ref);
      const caData = cluster.masterAuth?.clusterCaCertificate;
      if (!cluster.endpoint || !caData) {
        throw new TransientProviderError(`GKE cluster ${ref.providerName} has no API endpoint yet (status ${cluster.status ?? 'unknown'})`);
      }
      let token: string;
      try {
        token = await session.accessToken();
      } catch (error) {
        throw fail(error, `get an access token for cluster ${ref.providerName}`);
      }
      return { name: ref.providerName, server: `https://${cluster.endpoint}`, caData, token };
    },
  };
}

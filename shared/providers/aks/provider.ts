import type { AgentPool, ContainerServiceClient, ManagedCluster } from '@azure/arm-containerservice';
import { KubeconfigError, parseKubeconfig, type ClusterAccess } from '../../kube/kubeconfig.ts';
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
import {
  agentPoolPhase,
  agentPoolSettings,
  aksPoolName,
  azureTags,
  compareToTarget,
  hasScaling,
  inheritableTags,
  isBusy,
  NODEPOOL_TAG,
  poolFailure,
  poolName,
  poolStatus,
  poolVersion,
  scalingFor,
  TARGET_VERSION_TAG,
  validatePool,
  validatePools,
} from './agent-pools.ts';
import { azureErrorStatus, classifyAzureError, isAzureNotFound } from './errors.ts';
import { createAksSession, type AksAccountSettings, type AksSessionOptions } from './session.ts';

export type { AksAccountSettings, AzureRetryOptions } from './session.ts';

/**
 * The `aks` provider: host clusters are Azure Kubernetes Service clusters in the
 * customer's own subscription, reached as the account's service principal.
 *
 * ## Account access
 * A ClientSecretCredential of the account's service principal (tenant, client id,
 * secret), one per provider, and one ARM client per subscription (session.ts). Sign-in
 * only calls `POST login.microsoftonline.com/<tenant>/oauth2/v2.0/token`: MSAL carries
 * that authority's metadata, so there is no discovery round trip.
 *
 * ## Where clusters go
 * - resource group: the account's `resourceGroup`, else `palette-<region>`; `create`
 *   makes it in the cluster's region when it is missing (and never deletes it: it is
 *   shared by every cluster of the account in that region). AKS makes and removes the
 *   `MC_…` node resource group itself.
 * - identity: `SystemAssigned`. A service principal profile would hand the account's
 *   client secret to the cluster as its cloud identity: the cluster would break when
 *   the secret expires or is rotated, and AKS has deprecated it. With a managed
 *   identity our principal only needs to create the cluster (Contributor on the
 *   resource group). With `network.vnetSubnetId`, AKS grants that identity Network
 *   Contributor on the subnet, which needs our principal to be allowed to assign roles
 *   there (Owner or User Access Administrator).
 * - network: Azure CNI overlay, the nodes in `network.vnetSubnetId` when given (every
 *   agent pool), else in a virtual network AKS makes.
 *
 * ## Agent pools: created with the cluster
 * Unlike EKS, one PUT of the managed cluster creates the control plane and every agent
 * pool (`agentPoolProfiles`; the first pool is the `System` pool, which AKS requires,
 * the others `User` pools). Our pool names become agent pool names AKS accepts (1–12
 * lowercase alphanumerics: see aksPoolName in agent-pools.ts); each agent pool keeps our
 * name in tag `palette:nodepool`, which `describe` reports. `scaleNodePool` PUTs the
 * agent pool with its new size, or creates a missing one as a `User` pool.
 *
 * ## Long-running operations: started, never awaited
 * Every create, update and delete is an ARM long-running operation. The provider sends
 * the request (`begin…`, which returns once ARM accepted it) and never polls: the
 * workflow's Wait → Describe → Choice loop is the poller, and `describe` reads the
 * cluster's and agent pools' `provisioningState`.
 *
 * ## Upgrades: control plane first, agent pools from `describe`
 * `upgrade` PUTs the managed cluster as it is with the new `kubernetesVersion` — its
 * agent pool profiles keep their `orchestratorVersion`, which makes it a control-plane
 * only upgrade — and records the target in tag `palette:target-version` in the same
 * PUT. `describe` reports `Updating` while the control plane is below the target, and
 * once it has reached it, PUTs every agent pool still behind with the control plane's
 * version as `orchestratorVersion` and reports `Updating` until they are all current.
 *
 * ## Deletion
 * `delete` starts the managed cluster's deletion (which takes its agent pools and node
 * resource group with it) and returns; `describe` reports `Deleting` until ARM no
 * longer knows the cluster, then `Deleted`. Calling `delete` again is harmless.
 */

export interface AksProviderOptions extends AksSessionOptions {
  /** Accepted like the other providers' `now`; AKS keeps no timestamps of ours. */
  now?: () => Date;
}

export interface AksClusterProvider extends ClusterProvider {
  readonly kind: 'aks';
}

/** AKS: 1–63 alphanumerics, `-` or `_`, starting and ending with an alphanumeric. */
const CLUSTER_NAME = /^[A-Za-z0-9]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$/;
const SUBNET_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+\/subnets\/[^/]+$/i;

/** AKS dnsPrefix: 1–54 alphanumerics or `-`, starting and ending with an alphanumeric. */
function dnsPrefixFor(name: string): string {
  const prefix = name.replace(/[^A-Za-z0-9-]/g, '-').replace(/^-+/, '').slice(0, 54).replace(/-+$/, '');
  return prefix || 'palette';
}

function list(names: string[]): string {
  return names.join(', ');
}

function plural(word: string, n: number): string {
  return n === 1 ? word : `${word}s`;
}

export function createAksProvider(account: AksAccountSettings, options: AksProviderOptions = {}): AksClusterProvider {
  const session = createAksSession(account, options);
  const errorContext = { clientId: account.clientId, redact: session.secrets };
  const fail = (error: unknown, operation: string) => classifyAzureError(error, operation, errorContext);
  const resourceGroupFor = (region: string): string => account.resourceGroup ?? `palette-${region}`;
  /** Resource groups this provider saw or made: `create` checks each once. */
  const knownGroups = new Set<string>();

  async function ensureResourceGroup(region: string): Promise<string> {
    const name = resourceGroupFor(region);
    if (knownGroups.has(name)) return name;
    const client = await session.arm();
    try {
      await client.resourceGroups.get(name);
    } catch (error) {
      if (!isAzureNotFound(error)) throw fail(error, `get resource group ${name}`);
      try {
        // Only when missing: a PUT of an existing group in another region fails.
        await client.resourceGroups.createOrUpdate(name, { location: region, tags: { 'palette:managed-by': 'palette' } });
      } catch (createError) {
        throw fail(createError, `create resource group ${name} in ${region}`);
      }
    }
    knownGroups.add(name);
    return name;
  }

  /** The managed cluster, or undefined when ARM doesn't know it (nor its resource group). */
  async function findCluster(client: ContainerServiceClient, ref: ClusterRef): Promise<ManagedCluster | undefined> {
    try {
      return await client.managedClusters.get(resourceGroupFor(ref.region), ref.providerName);
    } catch (error) {
      if (isAzureNotFound(error)) return undefined;
      throw fail(error, `get cluster ${ref.providerName}`);
    }
  }

  function gone(ref: ClusterRef): ClusterGoneError {
    return new ClusterGoneError(`AKS cluster ${ref.providerName} no longer exists in resource group ${resourceGroupFor(ref.region)}`);
  }

  async function requireCluster(client: ContainerServiceClient, ref: ClusterRef): Promise<ManagedCluster> {
    const cluster = await findCluster(client, ref);
    if (!cluster) throw gone(ref);
    return cluster;
  }

  async function listPools(client: ContainerServiceClient, ref: ClusterRef): Promise<AgentPool[]> {
    const pools: AgentPool[] = [];
    try {
      for await (const pool of client.agentPools.list(resourceGroupFor(ref.region), ref.providerName)) pools.push(pool);
    } catch (error) {
      if (isAzureNotFound(error)) return pools;
      throw fail(error, `list agent pools of ${ref.providerName}`);
    }
    return pools;
  }

  async function findPool(client: ContainerServiceClient, ref: ClusterRef, aksName: string): Promise<AgentPool | undefined> {
    try {
      return await client.agentPools.get(resourceGroupFor(ref.region), ref.providerName, aksName);
    } catch (error) {
      if (isAzureNotFound(error)) return undefined;
      throw fail(error, `get agent pool ${aksName} of ${ref.providerName}`);
    }
  }

  async function putPool(client: ContainerServiceClient, ref: ClusterRef, aksName: string, pool: AgentPool, operation: string): Promise<void> {
    try {
      await client.agentPools.beginCreateOrUpdate(resourceGroupFor(ref.region), ref.providerName, aksName, pool);
    } catch (error) {
      if (isAzureNotFound(error)) throw gone(ref);
      throw fail(error, operation);
    }
  }

  /** Why a Failed / Canceled cluster is, from its own provisioning error and its agent pools'. */
  function failureMessage(ref: ClusterRef, cluster: ManagedCluster, pools: AgentPool[]): string {
    const parts: string[] = [];
    const error = cluster.status?.provisioningError;
    if (error?.message) parts.push(`${error.code ? `${error.code}: ` : ''}${error.message}`);
    for (const pool of pools) if (agentPoolPhase(pool) === 'Failed') parts.push(poolFailure(pool));
    if (parts.length) return `AKS cluster ${ref.providerName} is ${cluster.provisioningState}: ${parts.join('; ')}`;
    if (cluster.provisioningState === 'Canceled') {
      return `the last operation on AKS cluster ${ref.providerName} was canceled; run it again`;
    }
    return `AKS reports cluster ${ref.providerName} as ${cluster.provisioningState ?? 'failed'}; its activity log in the Azure portal says why`;
  }

  /** What a busy cluster is doing, in words: the pools at work first, else the control plane. */
  function activity(cluster: ManagedCluster, pools: AgentPool[], target: string | undefined): string {
    const byState = (state: string) => pools.filter((p) => p.provisioningState === state);
    const upgrading = byState('Upgrading');
    if (upgrading.length) {
      const version = upgrading[0]?.orchestratorVersion ?? target ?? cluster.kubernetesVersion ?? '';
      return `upgrading ${plural('agent pool', upgrading.length)} ${list(upgrading.map(poolName))} to ${version}`;
    }
    if (cluster.provisioningState === 'Upgrading') return `upgrading the AKS control plane to ${target ?? cluster.kubernetesVersion ?? ''}`;
    const scaling = byState('Scaling');
    if (scaling.length) return `scaling ${plural('agent pool', scaling.length)} ${list(scaling.map((p) => `${poolName(p)} to ${p.count ?? 0} nodes`))}`;
    const creating = byState('Creating');
    if (creating.length) return `creating ${plural('agent pool', creating.length)} ${list(creating.map(poolName))}`;
    const deleting = byState('Deleting');
    if (deleting.length) return `deleting ${plural('agent pool', deleting.length)} ${list(deleting.map(poolName))}`;
    const updating = pools.filter((p) => isBusy(p.provisioningState));
    if (updating.length) return `updating ${plural('agent pool', updating.length)} ${list(updating.map(poolName))}`;
    return `AKS is ${(cluster.provisioningState ?? 'updating').toLowerCase()} the cluster`;
  }

  async function describe(ref: ClusterRef): Promise<ProviderClusterStatus> {
    const client = await session.aks();
    const cluster = await findCluster(client, ref);
    if (!cluster) return { phase: 'Deleted', nodePools: [] };

    const state = cluster.provisioningState ?? '';
    const version = cluster.currentKubernetesVersion ?? cluster.kubernetesVersion;
    const fqdn = cluster.fqdn ?? cluster.privateFqdn;
    const target = cluster.tags?.[TARGET_VERSION_TAG];
    // A cluster being deleted may no longer list its pools: its profiles say enough.
    const pools = state === 'Deleting' ? [] : await listPools(client, ref);
    const nodePools =
      state === 'Deleting'
        ? (cluster.agentPoolProfiles ?? []).map((p) => ({ name: poolName(p), instanceType: p.vmSize ?? '', count: p.count ?? 0, phase: 'Deleting' as const }))
        : pools.map(poolStatus);
    const status = (phase: ProviderPhase, message?: string): ProviderClusterStatus => ({
      phase,
      ...(message !== undefined ? { message } : {}),
      ...(version ? { kubernetesVersion: version } : {}),
      ...(fqdn ? { endpoint: `https://${fqdn}:443` } : {}),
      nodePools,
    });

    switch (state) {
      case 'Deleting':
        return status('Deleting', `deleting AKS cluster ${ref.providerName}`);
      case 'Creating': {
        if (!fqdn) return status('Provisioning', 'creating the AKS control plane');
        const waiting = pools.filter((p) => p.provisioningState !== 'Succeeded');
        return status('Provisioning', waiting.length ? `creating ${plural('agent pool', waiting.length)} ${list(waiting.map(poolName))}` : 'creating the AKS cluster');
      }
      case 'Failed':
      case 'Canceled':
        return status('Failed', failureMessage(ref, cluster, pools));
      case 'Succeeded':
        break;
      default:
        return status('Updating', activity(cluster, pools, target));
    }

    // Succeeded: the last cluster operation is done; now the agent pools decide.
    if (cluster.powerState?.code === 'Stopped') {
      return status('Failed', `AKS cluster ${ref.providerName} is stopped; start it (az aks start) to use it again`);
    }
    const failed = pools.filter((p) => agentPoolPhase(p) === 'Failed');
    if (failed.length) return status('Failed', failed.map(poolFailure).join('; '));
    const creating = pools.filter((p) => p.provisioningState === 'Creating');
    if (creating.length) return status('Provisioning', activity(cluster, pools, target));
    if (pools.some((p) => isBusy(p.provisioningState))) return status('Updating', activity(cluster, pools, target));

    if (target && version && compareToTarget(version, target) < 0) {
      return status('Updating', `upgrading the AKS control plane to ${target}`);
    }
    if (target && version) {
      const behind = pools.filter((p) => {
        const v = poolVersion(p);
        return v !== undefined && compareToTarget(v, target) < 0;
      });
      for (const pool of behind) {
        // The control plane's exact version: a pool may not pass it, and `1.31` could.
        await putPool(client, ref, pool.name ?? '', { ...pool, orchestratorVersion: version }, `upgrade agent pool ${poolName(pool)} to ${version}`).catch(
          (error: unknown) => {
            // Already upgrading (a describe raced this one): the next poll sees it.
            if (error instanceof TransientProviderError) return;
            throw error;
          },
        );
      }
      if (behind.length) {
        const names = new Set(behind.map(poolName));
        for (const p of nodePools) if (names.has(p.name)) p.phase = 'Updating';
        return status('Updating', `upgrading ${plural('agent pool', behind.length)} ${list([...names])} to ${version}`);
      }
    }
    return status('Running');
  }

  return {
    kind: 'aks',

    async create(input: CreateClusterInput): Promise<void> {
      if (!CLUSTER_NAME.test(input.providerName)) {
        throw new PermanentProviderError(
          `'${input.providerName}' is not a valid AKS cluster name (1-63 letters, digits, '-' or '_', starting and ending with a letter or digit)`,
        );
      }
      const [system] = input.nodePools;
      if (!system) throw new PermanentProviderError('an AKS cluster needs at least one node pool (the first becomes its system pool)');
      validatePools(input.nodePools);
      if (system.count < 1) {
        throw new PermanentProviderError(`node pool '${system.name}' becomes the AKS system pool and needs at least 1 node`);
      }
      const network = input.network && 'vnetSubnetId' in input.network ? input.network : undefined;
      if (input.network && !network) {
        throw new PermanentProviderError('an AKS cluster takes network.vnetSubnetId (the resource id of a subnet), not subnets of another cloud');
      }
      if (network && !SUBNET_ID.test(network.vnetSubnetId)) {
        throw new PermanentProviderError(
          `network.vnetSubnetId '${network.vnetSubnetId}' is not a subnet resource id (/subscriptions/…/resourceGroups/…/providers/Microsoft.Network/virtualNetworks/…/subnets/…)`,
        );
      }

      const resourceGroup = await ensureResourceGroup(input.region);
      const client = await session.aks();
      // A PUT of an existing cluster is an update (it would undo a scale, or fail while
      // the first create still runs): a retry that finds the cluster is done.
      if (await findCluster(client, input)) return;

      const tags = azureTags(input.tags);
      const cluster: ManagedCluster = {
        location: input.region,
        tags,
        identity: { type: 'SystemAssigned' },
        kubernetesVersion: input.kubernetesVersion,
        dnsPrefix: dnsPrefixFor(input.providerName),
        networkProfile: { networkPlugin: 'azure', networkPluginMode: 'overlay' },
        agentPoolProfiles: input.nodePools.map((pool, i) => ({
          name: aksPoolName(pool.name),
          ...agentPoolSettings(pool, {
            mode: i === 0 ? 'System' : 'User',
            tags,
            ...(network ? { vnetSubnetId: network.vnetSubnetId } : {}),
          }),
        })),
      };
      try {
        await client.managedClusters.beginCreateOrUpdate(resourceGroup, input.providerName, cluster);
      } catch (error) {
        // A concurrent attempt got there first and its create is still running.
        if (azureErrorStatus(error) === 409 && (await findCluster(client, input))) return;
        throw fail(error, `create cluster ${input.providerName}`);
      }
    },

    describe,

    async scaleNodePool(ref: ClusterRef, pool: NodePoolSpec): Promise<void> {
      validatePool(pool);
      const aksName = aksPoolName(pool.name);
      const client = await session.aks();
      const existing = await findPool(client, ref, aksName);
      if (existing) {
        const owner = existing.tags?.[NODEPOOL_TAG];
        if (owner !== undefined && owner !== pool.name) {
          throw new PermanentProviderError(`AKS agent pool ${aksName} of cluster ${ref.providerName} belongs to node pool '${owner}', not '${pool.name}'`);
        }
        const want = scalingFor(pool);
        if (hasScaling(existing, want)) return;
        // The whole pool goes back (a PUT replaces it), with AKS's rule that a pool
        // without autoscaling has no min/max.
        const { minCount: _min, maxCount: _max, ...rest } = existing;
        await putPool(
          client,
          ref,
          aksName,
          {
            ...rest,
            count: want.count,
            enableAutoScaling: want.enableAutoScaling,
            ...(want.minCount !== undefined ? { minCount: want.minCount } : {}),
            ...(want.maxCount !== undefined ? { maxCount: want.maxCount } : {}),
          },
          `scale agent pool ${pool.name}`,
        );
        return;
      }

      const cluster = await requireCluster(client, ref);
      if (isBusy(cluster.provisioningState)) {
        throw new TransientProviderError(
          `AKS cluster ${ref.providerName} is ${cluster.provisioningState}; agent pool ${pool.name} can be added once that operation finishes`,
        );
      }
      const subnet = cluster.agentPoolProfiles?.find((p) => p.vnetSubnetID)?.vnetSubnetID;
      await putPool(
        client,
        ref,
        aksName,
        agentPoolSettings(pool, { mode: 'User', tags: inheritableTags(cluster.tags), ...(subnet ? { vnetSubnetId: subnet } : {}) }),
        `create agent pool ${pool.name}`,
      );
    },

    async upgrade(ref: ClusterRef, kubernetesVersion: string): Promise<void> {
      const client = await session.aks();
      const cluster = await requireCluster(client, ref);
      const current = cluster.currentKubernetesVersion ?? cluster.kubernetesVersion ?? '';
      const cmp = current ? compareToTarget(current, kubernetesVersion) : -1;
      if (cmp > 0) {
        throw new PermanentProviderError(
          `AKS cluster ${ref.providerName} runs Kubernetes ${current}; AKS cannot downgrade it to ${kubernetesVersion}`,
        );
      }
      const tags = { ...cluster.tags, [TARGET_VERSION_TAG]: kubernetesVersion };
      // Already asked for (a retry, or the upgrade is running): nothing to send.
      const controlPlaneAsked = cmp === 0 || cluster.kubernetesVersion === kubernetesVersion;
      if (controlPlaneAsked && cluster.tags?.[TARGET_VERSION_TAG] === kubernetesVersion) return;
      if (isBusy(cluster.provisioningState)) {
        throw new TransientProviderError(
          `AKS cluster ${ref.providerName} is ${cluster.provisioningState}; its upgrade to ${kubernetesVersion} starts once that operation finishes`,
        );
      }
      const resourceGroup = resourceGroupFor(ref.region);
      try {
        if (controlPlaneAsked) {
          await client.managedClusters.beginUpdateTags(resourceGroup, ref.providerName, { tags });
        } else {
          // The cluster as it is, its agent pools still on their versions: a
          // control-plane-only upgrade (describe upgrades the pools afterwards).
          await client.managedClusters.beginCreateOrUpdate(resourceGroup, ref.providerName, { ...cluster, kubernetesVersion, tags });
        }
      } catch (error) {
        if (isAzureNotFound(error)) throw gone(ref);
        throw fail(error, `upgrade cluster ${ref.providerName} to ${kubernetesVersion}`);
      }
    },

    async delete(ref: ClusterRef): Promise<void> {
      const client = await session.aks();
      const cluster = await findCluster(client, ref);
      if (!cluster || cluster.provisioningState === 'Deleting') return;
      try {
        await client.managedClusters.beginDelete(resourceGroupFor(ref.region), ref.providerName);
      } catch (error) {
        if (isAzureNotFound(error)) return;
        throw fail(error, `delete cluster ${ref.providerName}`);
      }
    },

    async clusterAccess(ref: ClusterRef): Promise<ClusterAccess> {
      const client = await session.aks();
      let kubeconfig: Uint8Array | undefined;
      try {
        const credentials = await client.managedClusters.listClusterUserCredentials(resourceGroupFor(ref.region), ref.providerName);
        kubeconfig = credentials.kubeconfigs?.[0]?.value;
      } catch (error) {
        if (isAzureNotFound(error)) throw gone(ref);
        const classified = fail(error, `get the credentials of cluster ${ref.providerName}`);
        if (classified instanceof PermanentProviderError) {
          // A cluster still being created has no credentials to hand out yet.
          const cluster = await findCluster(client, ref).catch(() => undefined);
          if (cluster?.provisioningState === 'Creating') {
            throw new TransientProviderError(`AKS cluster ${ref.providerName} is still being created; its credentials come once it is up`, { cause: error });
          }
        }
        throw classified;
      }
      if (!kubeconfig?.length) {
        throw new TransientProviderError(`AKS has no credentials for cluster ${ref.providerName} yet`);
      }
      let access: ClusterAccess;
      try {
        access = parseKubeconfig(Buffer.from(kubeconfig).toString('utf8'));
      } catch (error) {
        if (error instanceof KubeconfigError) {
          throw new PermanentProviderError(`AKS returned a kubeconfig for cluster ${ref.providerName} that cannot be used: ${error.message}`);
        }
        throw error;
      }
      if (!access.token && !access.clientCertificateData) {
        throw new PermanentProviderError(
          `the kubeconfig of AKS cluster ${ref.providerName} has no token or client certificate (a cluster with local accounts disabled needs kubelogin, which Palette does not run)`,
        );
      }
      return { ...access, name: ref.providerName };
    },
  };
}

import type { Cluster, EKSClient, Nodegroup } from '@aws-sdk/client-eks';
import { compareKubernetesVersions } from '../../host-clusters/kubernetes-version.ts';
import type { ClusterAccess } from '../../kube/kubeconfig.ts';
import { createEksTokenIssuer } from './token.ts';
import { awsErrorMessage, classifyAwsError, isAwsError } from './errors.ts';
import {
  amiTypeFor,
  decodeNodePoolTags,
  eksTaintEffect,
  POOL_SETTINGS_TAG,
  DELETING_TAG,
  encodeNodePoolTags,
  issueMessages,
  nodegroupFailure,
  nodegroupPhase,
  NODEPOOLS_TAG,
  poolStatus,
  scalingConfigFor,
  TARGET_VERSION_TAG,
} from './node-pools.ts';
import { createEksSession, type EksAccount, type EksSessionOptions } from './session.ts';
import {
  PermanentProviderError,
  TransientProviderError,
  type ClusterProvider,
  type ClusterRef,
  type CreateClusterInput,
  type NodePoolSpec,
  type ProviderClusterStatus,
  type ProviderPhase,
} from '../provider.ts';

/**
 * The EKS SDK, loaded on the first call: the host-clusters API bundles this provider for
 * the kubeconfigs of EKS clusters, and a static import would load the SDK on every cold
 * start of that function, EKS cluster or not.
 */
let sdk: Promise<typeof import('@aws-sdk/client-eks')> | undefined;
const eksSdk = () => (sdk ??= import('@aws-sdk/client-eks'));

export type { AwsCredentials } from './token.ts';
export type { EksAccount } from './session.ts';

/**
 * The `eks` provider: host clusters are Amazon EKS clusters in the customer's own AWS
 * account, reached by assuming a cross-account role.
 *
 * ## Account access
 * Every call first assumes the account's role (session.ts).
 *
 * ## IAM roles and networking
 * - cluster role: the account's `clusterRoleArn`, else `arn:<partition>:iam::<account>:role/PaletteEksClusterRole`
 * - node role:    the account's `nodeRoleArn`,    else `arn:<partition>:iam::<account>:role/PaletteEksNodeRole`
 *   (`<account>` / `<partition>` taken from the account's `roleArn`; the customer's
 *   onboarding template creates both roles under these names).
 * - network: the cluster's `network` (at least two subnet ids, optional security groups
 *   and endpoint access), given on cluster create; no default VPC is guessed. Node
 *   groups use the cluster's own subnets.
 *
 * ## Node groups: driven by `describe`
 * EKS only accepts CreateNodegroup once the cluster is ACTIVE (10+ minutes after
 * CreateCluster), so `create` cannot create them. Instead `create` records the desired
 * pools on the cluster itself, in tag `palette:nodepools` (entries
 * `name:instanceType:count[:min:max]` separated by `/`, continued in
 * `palette:nodepools:2`, `:3`, … if a value would pass EKS's 256-character limit; `/` and
 * `:` are in the character set every AWS tagging API accepts, `,` and JSON are not).
 * `describe` — polled by the workflow's Wait → Describe → Choice loop — calls
 * CreateNodegroup for every recorded pool that is missing once the cluster is ACTIVE
 * (idempotent: ResourceInUseException = already there) and reports `Provisioning` until
 * every node group is ACTIVE.
 *
 * ## Upgrades: control plane first, node groups from `describe`
 * `upgrade` only calls UpdateClusterVersion (one minor version at a time, an EKS rule)
 * and records the target in tag `palette:target-version`. `describe` reports `Updating`
 * while the control plane is below that target, and once it is ACTIVE at (or past) it,
 * calls UpdateNodegroupVersion for every ACTIVE node group still on an older version
 * (idempotent: an update in progress / already at version is fine) and keeps reporting
 * `Updating` until they are all current.
 *
 * ## Deletion: started by `delete`, finished by `delete` or `describe`
 * EKS refuses DeleteCluster while node groups exist, and deleting a node group takes
 * minutes. `delete` marks the cluster (tag `palette:deleting`, which also stops
 * `describe` from re-creating the pools), deletes every node group and, once none
 * remain, the cluster; then it returns. Each later `delete` or `describe` call advances
 * the same steps, and `describe` reports `Deleting` until EKS no longer knows the
 * cluster, then `Deleted`. So the workflow may either call `delete` again on every poll
 * or call it once and poll `describe` until `Deleted`.
 */


/** The account's role, and the EKS roles it may name instead of the conventional ones. */
export interface EksAccountSettings extends EksAccount {
  clusterRoleArn?: string;
  nodeRoleArn?: string;
}

export type EksProviderOptions = EksSessionOptions;

export interface EksClusterProvider extends ClusterProvider {
  readonly kind: 'eks';
}


function parseRoleArn(roleArn: string): { partition: string; accountId: string } | undefined {
  const m = /^arn:([^:]+):iam::(\d{12}):role\/.+$/.exec(roleArn);
  return m && m[1] && m[2] ? { partition: m[1], accountId: m[2] } : undefined;
}


export function createEksProvider(account: EksAccountSettings, options: EksProviderOptions = {}): EksClusterProvider {
  const now = options.now ?? (() => new Date());
  const arnParts = parseRoleArn(account.roleArn);
  const { eks } = createEksSession(account, options);
  const tokens = createEksTokenIssuer();

  function conventionalRole(name: string): string {
    if (!arnParts) {
      throw new PermanentProviderError(
        `cannot derive the ${name} ARN: account role '${account.roleArn}' is not an IAM role ARN; configure the role explicitly`,
      );
    }
    return `arn:${arnParts.partition}:iam::${arnParts.accountId}:role/${name}`;
  }

  const clusterRoleArn = (): string => account.clusterRoleArn ?? conventionalRole('PaletteEksClusterRole');
  const nodeRoleArn = (): string => account.nodeRoleArn ?? conventionalRole('PaletteEksNodeRole');

  /** The cluster, or undefined when EKS doesn't know it. */
  async function findCluster(client: EKSClient, name: string): Promise<Cluster | undefined> {
    try {
      const out = await client.send(new (await eksSdk()).DescribeClusterCommand({ name }));
      return out.cluster;
    } catch (error) {
      if (isAwsError(error, 'ResourceNotFoundException')) return undefined;
      throw classifyAwsError(error, 'DescribeCluster');
    }
  }

  async function requireCluster(client: EKSClient, ref: ClusterRef, operation: string): Promise<Cluster> {
    const cluster = await findCluster(client, ref.providerName);
    if (!cluster) {
      throw new PermanentProviderError(`EKS ${operation}: cluster ${ref.providerName} not found in ${ref.region}`);
    }
    return cluster;
  }

  async function listNodegroupNames(client: EKSClient, clusterName: string): Promise<string[]> {
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      let out;
      try {
        out = await client.send(new (await eksSdk()).ListNodegroupsCommand({ clusterName, ...(nextToken ? { nextToken } : {}) }));
      } catch (error) {
        if (isAwsError(error, 'ResourceNotFoundException')) return names;
        throw classifyAwsError(error, 'ListNodegroups');
      }
      names.push(...(out.nodegroups ?? []));
      nextToken = out.nextToken;
    } while (nextToken);
    return names;
  }

  async function findNodegroup(client: EKSClient, clusterName: string, nodegroupName: string): Promise<Nodegroup | undefined> {
    try {
      const out = await client.send(new (await eksSdk()).DescribeNodegroupCommand({ clusterName, nodegroupName }));
      return out.nodegroup;
    } catch (error) {
      if (isAwsError(error, 'ResourceNotFoundException')) return undefined;
      throw classifyAwsError(error, 'DescribeNodegroup');
    }
  }

  async function describeNodegroups(client: EKSClient, clusterName: string): Promise<Nodegroup[]> {
    const names = await listNodegroupNames(client, clusterName);
    const found = await Promise.all(names.map((name) => findNodegroup(client, clusterName, name)));
    return found.filter((ng): ng is Nodegroup => ng !== undefined);
  }

  /** Tags a new node group inherits: the cluster's, minus Palette's bookkeeping tags. */
  function nodegroupTags(cluster: Cluster, pool: NodePoolSpec): Record<string, string> {
    const tags: Record<string, string> = {};
    for (const [k, v] of Object.entries(cluster.tags ?? {})) {
      if (k === NODEPOOLS_TAG || k.startsWith(`${NODEPOOLS_TAG}:`) || k.startsWith(`${POOL_SETTINGS_TAG}:`) || k === TARGET_VERSION_TAG || k === DELETING_TAG) continue;
      tags[k] = v;
    }
    tags['palette:nodepool'] = pool.name;
    return tags;
  }

  async function createNodegroup(client: EKSClient, ref: ClusterRef, cluster: Cluster, pool: NodePoolSpec): Promise<void> {
    const subnets = cluster.resourcesVpcConfig?.subnetIds ?? [];
    if (subnets.length === 0) {
      throw new PermanentProviderError(`no subnets configured for node group ${pool.name} of cluster ${ref.providerName}`);
    }
    try {
      await client.send(
        new (await eksSdk()).CreateNodegroupCommand({
          clusterName: ref.providerName,
          nodegroupName: pool.name,
          instanceTypes: [pool.instanceType],
          scalingConfig: scalingConfigFor(pool),
          subnets,
          nodeRole: nodeRoleArn(),
          labels: { ...pool.labels, 'palette.io/node-pool': pool.name },
          ...(pool.taints?.length ? { taints: pool.taints.map((t) => ({ key: t.key, ...(t.value !== undefined ? { value: t.value } : {}), effect: eksTaintEffect[t.effect] })) } : {}),
          ...(amiTypeFor(pool) ? { amiType: amiTypeFor(pool) } : {}),
          tags: nodegroupTags(cluster, pool),
        }),
      );
    } catch (error) {
      if (isAwsError(error, 'ResourceInUseException')) return; // already exists
      throw classifyAwsError(error, `CreateNodegroup ${pool.name}`);
    }
  }

  /** Creates the pools not among `existing`; returns their names. */
  async function createMissingNodegroups(
    client: EKSClient,
    ref: ClusterRef,
    cluster: Cluster,
    pools: NodePoolSpec[],
    existing: Set<string>,
  ): Promise<NodePoolSpec[]> {
    const missing = pools.filter((p) => !existing.has(p.name));
    for (const pool of missing) await createNodegroup(client, ref, cluster, pool);
    return missing;
  }

  async function tagCluster(client: EKSClient, cluster: Cluster, tags: Record<string, string>): Promise<void> {
    if (!cluster.arn) throw new TransientProviderError(`EKS returned cluster ${cluster.name ?? '?'} without an ARN`);
    await client.send(new (await eksSdk()).TagResourceCommand({ resourceArn: cluster.arn, tags }));
  }

  /**
   * One step of deletion: delete node groups that aren't being deleted, and the
   * cluster once none remain. Returns when EKS has accepted what it can for now.
   */
  async function advanceDeletion(
    client: EKSClient,
    ref: ClusterRef,
    cluster: Cluster,
    known?: Nodegroup[],
  ): Promise<void> {
    if (cluster.status === 'DELETING') return;
    const nodegroups = known ?? (await describeNodegroups(client, ref.providerName));
    for (const ng of nodegroups) {
      if (ng.status === 'DELETING' || !ng.nodegroupName) continue;
      try {
        await client.send(new (await eksSdk()).DeleteNodegroupCommand({ clusterName: ref.providerName, nodegroupName: ng.nodegroupName }));
      } catch (error) {
        if (isAwsError(error, 'ResourceNotFoundException')) continue;
        // Busy (still creating/updating): the next call tries again.
        if (isAwsError(error, 'ResourceInUseException')) continue;
        throw classifyAwsError(error, `DeleteNodegroup ${ng.nodegroupName}`);
      }
    }
    if (nodegroups.length > 0) return;
    try {
      await client.send(new (await eksSdk()).DeleteClusterCommand({ name: ref.providerName }));
    } catch (error) {
      if (isAwsError(error, 'ResourceNotFoundException')) return;
      // Node groups still deleting, or the cluster still creating: called again later.
      if (isAwsError(error, 'ResourceInUseException')) return;
      throw classifyAwsError(error, 'DeleteCluster');
    }
  }

  async function describe(ref: ClusterRef): Promise<ProviderClusterStatus> {
    const { client } = await eks(ref);
    const cluster = await findCluster(client, ref.providerName);
    if (!cluster) return { phase: 'Deleted', nodePools: [] };

    const nodegroups = await describeNodegroups(client, ref.providerName);
    const nodePools = nodegroups.map(poolStatus);
    const desired = decodeNodePoolTags(cluster.tags);
    const existing = new Set(nodegroups.map((ng) => ng.nodegroupName ?? ''));
    const status = (phase: ProviderPhase, message?: string): ProviderClusterStatus => ({
      phase,
      ...(message !== undefined ? { message } : {}),
      ...(cluster.version ? { kubernetesVersion: cluster.version } : {}),
      ...(cluster.endpoint ? { endpoint: cluster.endpoint } : {}),
      nodePools,
    });
    const pendingPools = (pools: NodePoolSpec[]): void => {
      for (const p of pools) {
        nodePools.push({ name: p.name, instanceType: p.instanceType, count: p.count, phase: 'Provisioning' });
      }
    };

    if (cluster.status === 'DELETING') return status('Deleting');
    if (cluster.tags?.[DELETING_TAG] !== undefined) {
      await advanceDeletion(client, ref, cluster, nodegroups);
      return status('Deleting', nodegroups.length ? 'deleting node groups' : 'deleting the cluster');
    }

    switch (cluster.status) {
      case 'CREATING':
      case 'PENDING':
        pendingPools(desired.filter((p) => !existing.has(p.name)));
        return status('Provisioning', 'creating the EKS control plane');
      case 'UPDATING':
        return status('Updating', 'updating the EKS control plane');
      case 'FAILED': {
        const issues = issueMessages(cluster.health?.issues);
        return status('Failed', issues.length ? issues.join('; ') : `EKS reports cluster ${ref.providerName} as FAILED`);
      }
      case 'ACTIVE':
        break;
      default:
        return status('Provisioning', `EKS cluster status ${cluster.status ?? 'unknown'}`);
    }

    // ACTIVE: the control plane is up; now the node groups decide.
    const failed = nodegroups.filter((ng) => nodegroupPhase(ng) === 'Failed');
    if (failed.length) return status('Failed', failed.map(nodegroupFailure).join('; '));

    const created = await createMissingNodegroups(client, ref, cluster, desired, existing);
    if (created.length) {
      pendingPools(created);
      return status('Provisioning', `creating node groups ${created.map((p) => p.name).join(', ')}`);
    }
    const creating = nodegroups.filter((ng) => ng.status === 'CREATING');
    if (creating.length) {
      return status('Provisioning', `waiting for node groups ${creating.map((ng) => ng.nodegroupName).join(', ')}`);
    }

    const target = cluster.tags?.[TARGET_VERSION_TAG];
    if (target && cluster.version && compareKubernetesVersions(cluster.version, target) < 0) {
      return status('Updating', `upgrading the control plane to ${target}`);
    }

    if (cluster.version) {
      const outdated = nodegroups.filter(
        (ng) => ng.status === 'ACTIVE' && ng.version && compareKubernetesVersions(ng.version, cluster.version ?? '') < 0,
      );
      for (const ng of outdated) {
        try {
          await client.send(
            new (await eksSdk()).UpdateNodegroupVersionCommand({
              clusterName: ref.providerName,
              nodegroupName: ng.nodegroupName,
              version: cluster.version,
            }),
          );
        } catch (error) {
          if (isAwsError(error, 'ResourceInUseException')) continue; // an update is already running
          if (isAwsError(error, 'InvalidRequestException', 'InvalidParameterException') && /already/i.test(awsErrorMessage(error))) {
            continue;
          }
          throw classifyAwsError(error, `UpdateNodegroupVersion ${ng.nodegroupName ?? ''}`);
        }
      }
      if (outdated.length) {
        for (const p of nodePools) if (outdated.some((ng) => ng.nodegroupName === p.name)) p.phase = 'Updating';
        return status('Updating', `upgrading node groups ${outdated.map((ng) => ng.nodegroupName).join(', ')} to ${cluster.version}`);
      }
    }

    const busy = nodegroups.filter((ng) => ng.status === 'UPDATING' || ng.status === 'DELETING');
    if (busy.length) return status('Updating', `updating node groups ${busy.map((ng) => ng.nodegroupName).join(', ')}`);

    return status('Running');
  }

  return {
    kind: 'eks',

    async create(input: CreateClusterInput): Promise<void> {
      const network = input.network && 'subnetIds' in input.network ? input.network : undefined;
      if (!network || network.subnetIds.length < 2) {
        throw new PermanentProviderError('an EKS cluster needs network.subnetIds (at least two subnets, in two availability zones) on its create request');
      }
      const tags = { ...input.tags, ...encodeNodePoolTags(input.nodePools) };
      const roleArn = clusterRoleArn();
      const { client } = await eks(input);
      try {
        await client.send(
          new (await eksSdk()).CreateClusterCommand({
            name: input.providerName,
            version: input.kubernetesVersion,
            roleArn,
            resourcesVpcConfig: {
              subnetIds: network.subnetIds,
              ...(network.securityGroupIds?.length ? { securityGroupIds: network.securityGroupIds } : {}),
              ...(network.endpointPublicAccess !== undefined ? { endpointPublicAccess: network.endpointPublicAccess } : {}),
              ...(network.endpointPrivateAccess !== undefined ? { endpointPrivateAccess: network.endpointPrivateAccess } : {}),
            },
            accessConfig: { authenticationMode: 'API_AND_CONFIG_MAP', bootstrapClusterCreatorAdminPermissions: true },
            tags,
          }),
        );
      } catch (error) {
        if (isAwsError(error, 'ResourceInUseException')) return; // already exists: created by an earlier attempt
        throw classifyAwsError(error, 'CreateCluster');
      }
    },

    describe,

    async scaleNodePool(ref: ClusterRef, pool: NodePoolSpec): Promise<void> {
      const scaling = scalingConfigFor(pool);
      const { client } = await eks(ref);
      const nodegroup = await findNodegroup(client, ref.providerName, pool.name);
      if (!nodegroup) {
        encodeNodePoolTags([pool]); // validates the pool
        const cluster = await requireCluster(client, ref, 'scaleNodePool');
        if (cluster.status !== 'ACTIVE') {
          throw new TransientProviderError(
            `cluster ${ref.providerName} is ${cluster.status ?? 'not ready'}; node group ${pool.name} can only be created once it is ACTIVE`,
          );
        }
        await createNodegroup(client, ref, cluster, pool);
        return;
      }
      const current = nodegroup.scalingConfig;
      if (
        current?.minSize === scaling.minSize &&
        current.maxSize === scaling.maxSize &&
        current.desiredSize === scaling.desiredSize
      ) {
        return; // already there
      }
      try {
        await client.send(
          new (await eksSdk()).UpdateNodegroupConfigCommand({
            clusterName: ref.providerName,
            nodegroupName: pool.name,
            scalingConfig: scaling,
          }),
        );
      } catch (error) {
        if (isAwsError(error, 'InvalidParameterException', 'InvalidRequestException') && /no changes/i.test(awsErrorMessage(error))) {
          return;
        }
        // ResourceInUseException (another update running) → transient.
        throw classifyAwsError(error, `UpdateNodegroupConfig ${pool.name}`);
      }
    },

    async upgrade(ref: ClusterRef, kubernetesVersion: string): Promise<void> {
      const { client } = await eks(ref);
      const cluster = await requireCluster(client, ref, 'upgrade');
      const current = cluster.version ?? '';
      const cmp = current ? compareKubernetesVersions(current, kubernetesVersion) : -1;
      if (cmp > 0) {
        throw new PermanentProviderError(
          `cluster ${ref.providerName} runs Kubernetes ${current}; EKS cannot downgrade it to ${kubernetesVersion}`,
        );
      }
      if (cmp < 0) {
        try {
          await client.send(new (await eksSdk()).UpdateClusterVersionCommand({ name: ref.providerName, version: kubernetesVersion }));
        } catch (error) {
          if (isAwsError(error, 'InvalidRequestException', 'InvalidParameterException') && /already at/i.test(awsErrorMessage(error))) {
            // fine: nothing to do for the control plane
          } else {
            // ResourceInUseException (another update in progress) → transient; an
            // unsupported version jump → permanent.
            throw classifyAwsError(error, 'UpdateClusterVersion');
          }
        }
      }
      if (cluster.tags?.[TARGET_VERSION_TAG] !== kubernetesVersion) {
        try {
          await tagCluster(client, cluster, { [TARGET_VERSION_TAG]: kubernetesVersion });
        } catch (error) {
          throw classifyAwsError(error, 'TagResource');
        }
      }
    },

    async delete(ref: ClusterRef): Promise<void> {
      const { client } = await eks(ref);
      const cluster = await findCluster(client, ref.providerName);
      if (!cluster || cluster.status === 'DELETING') return;
      if (cluster.tags?.[DELETING_TAG] === undefined) {
        try {
          await tagCluster(client, cluster, { [DELETING_TAG]: now().toISOString() });
        } catch (error) {
          if (isAwsError(error, 'ResourceNotFoundException')) return;
          // The mark only matters for an ACTIVE cluster (it stops describe from
          // re-creating node groups); elsewhere deletion goes on without it.
          if (cluster.status === 'ACTIVE') throw classifyAwsError(error, 'TagResource');
        }
      }
      await advanceDeletion(client, ref, cluster);
    },

    async clusterAccess(ref: ClusterRef): Promise<ClusterAccess> {
      const { client, credentials } = await eks(ref);
      const cluster = await requireCluster(client, ref, 'clusterAccess');
      const server = cluster.endpoint;
      const caData = cluster.certificateAuthority?.data;
      if (!server || !caData) {
        throw new TransientProviderError(
          `cluster ${ref.providerName} has no API endpoint yet (status ${cluster.status ?? 'unknown'})`,
        );
      }
      const token = await tokens.token(ref.providerName, ref.region, credentials, now());
      return { name: ref.providerName, server, caData, token };
    },
  };
}

import {
  CreateClusterCommand,
  CreateNodegroupCommand,
  DeleteClusterCommand,
  DeleteNodegroupCommand,
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  EKSClient,
  ListNodegroupsCommand,
  TagResourceCommand,
  UpdateClusterVersionCommand,
  UpdateNodegroupConfigCommand,
  UpdateNodegroupVersionCommand,
  type Cluster,
  type Nodegroup,
  type NodegroupScalingConfig,
} from '@aws-sdk/client-eks';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { KubeConfig } from '@kubernetes/client-node';
import { compareKubernetesVersions } from '../clusters/kubernetes-version.ts';

export { compareKubernetesVersions };
import { eksBearerToken, type AwsCredentials } from './eks-token.ts';
import {
  PermanentProviderError,
  TransientProviderError,
  type ClusterProvider,
  type ClusterRef,
  type CreateClusterInput,
  type NodePoolSpec,
  type ProviderClusterStatus,
  type ProviderPhase,
} from './provider.ts';

export type { AwsCredentials } from './eks-token.ts';

/**
 * The `eks` provider: host clusters are Amazon EKS clusters in the customer's own AWS
 * account, reached by assuming a cross-account role.
 *
 * ## Account access
 * Every call first assumes `account.roleArn` with `account.externalId` (STS AssumeRole,
 * session `palette-<clusterId>`, one hour). The credentials are cached per session name
 * until 5 minutes before they expire, and one EKS client is kept per (region, access key).
 * An AccessDenied from STS is permanent: the customer has to fix the role's trust policy
 * or the external id.
 *
 * ## IAM roles and networking
 * - cluster role: `options.clusterRoleArn`, else `arn:<partition>:iam::<account>:role/PaletteEksClusterRole`
 * - node role:    `options.nodeRoleArn`,    else `arn:<partition>:iam::<account>:role/PaletteEksNodeRole`
 *   (`<account>` / `<partition>` taken from `account.roleArn`; the customer's onboarding
 *   template creates both roles under these names).
 * - subnets: `options.subnetIds`, required for `create` (no default VPC guessing). Node
 *   groups use the same subnets, or the cluster's own subnets when none are configured.
 * - security groups: `options.securityGroupIds` (optional; EKS adds its cluster SG anyway).
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
 * every node group is ACTIVE. `ensureNodePools(ref, pools)` does the same on demand.
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

export const NODEPOOLS_TAG = 'palette:nodepools';
export const TARGET_VERSION_TAG = 'palette:target-version';
export const DELETING_TAG = 'palette:deleting';
/** EKS's limit on a tag value. */
const TAG_VALUE_MAX = 256;
/** STS limit on RoleSessionName. */
const SESSION_NAME_MAX = 64;
/** Credentials are refreshed this long before they expire. */
const CREDENTIALS_REFRESH_MS = 5 * 60 * 1000;
const ASSUME_ROLE_SECONDS = 3600;

export interface EksAccount {
  /** The cross-account role in the customer's account Palette assumes. */
  roleArn: string;
  /** The external id in that role's trust policy (confused-deputy protection). */
  externalId: string;
}

export interface EksProviderOptions {
  /** STS client of the Palette account (default: one per region, in AWS_REGION). */
  stsClient?: STSClient;
  /** Builds an EKS client for the customer account (default `new EKSClient({ region, credentials })`). */
  eksClientFor?: (region: string, credentials: AwsCredentials) => EKSClient;
  /** Default `arn:aws:iam::<account>:role/PaletteEksClusterRole`. */
  clusterRoleArn?: string;
  /** Default `arn:aws:iam::<account>:role/PaletteEksNodeRole`. */
  nodeRoleArn?: string;
  /** Subnets of the cluster (required to create one) and its node groups. */
  subnetIds?: string[];
  securityGroupIds?: string[];
  now?: () => Date;
}

export interface EksClusterProvider extends ClusterProvider {
  readonly kind: 'eks';
  /**
   * Creates the node groups among `pools` that don't exist yet (the cluster must be
   * ACTIVE, else TransientProviderError). Returns the names it asked EKS to create.
   */
  ensureNodePools(ref: ClusterRef, pools: NodePoolSpec[]): Promise<string[]>;
}

// ---------------------------------------------------------------------------------
// Error classification
// ---------------------------------------------------------------------------------

interface AwsErrorLike {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

function asAwsError(error: unknown): AwsErrorLike {
  return typeof error === 'object' && error !== null ? (error as AwsErrorLike) : {};
}

/** The AWS error code (`name` for SDK v3 exceptions). */
export function awsErrorName(error: unknown): string {
  const e = asAwsError(error);
  return e.name ?? e.Code ?? e.code ?? '';
}

function awsErrorMessage(error: unknown): string {
  const e = asAwsError(error);
  if (typeof e.message === 'string' && e.message !== '') return e.message;
  return typeof error === 'string' ? error : String(awsErrorName(error) || error);
}

function isAwsError(error: unknown, ...names: string[]): boolean {
  return names.includes(awsErrorName(error));
}

const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ServiceUnavailableException',
  'ServiceUnavailable',
  'ServerException',
  'InternalFailure',
  'InternalError',
  'InternalServerError',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'ResourcePropagationDelayException',
  'IDPCommunicationError',
  // Another update / operation is in progress on the resource: try again later.
  'ResourceInUseException',
]);

const PERMANENT_NAMES = new Set([
  'InvalidParameterException',
  'InvalidRequestException',
  'UnsupportedAvailabilityZoneException',
  'ResourceLimitExceededException',
  'ValidationException',
  'ValidationError',
  'ClientException',
  'BadRequestException',
  'NotFoundException',
  'ResourceNotFoundException',
  'InvalidStateException',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'MalformedPolicyDocument',
  'RegionDisabledException',
]);

/** Network-level failures (no answer from AWS at all): worth retrying. */
const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);

/**
 * Maps an AWS SDK error to what the workflows understand: `TransientProviderError`
 * (throttling, 5xx, `$retryable`, a resource busy with another update, network
 * failures — retried with backoff) or `PermanentProviderError` (access denied, invalid
 * parameters/requests, unsupported AZ, limits, validation — the cluster goes to Error
 * with the AWS message). Errors that already are provider errors pass through; anything
 * unrecognised (including programming errors) is permanent, so it is not retried blindly.
 */
export function classifyAwsError(
  error: unknown,
  operation?: string,
): TransientProviderError | PermanentProviderError {
  if (error instanceof TransientProviderError || error instanceof PermanentProviderError) return error;
  const e = asAwsError(error);
  const name = awsErrorName(error);
  const message = awsErrorMessage(error);
  const text = `${operation ? `EKS ${operation}: ` : ''}${message}${name && !message.includes(name) ? ` (${name})` : ''}`;
  const status = e.$metadata?.httpStatusCode;

  if (name.startsWith('AccessDenied')) return new PermanentProviderError(text, { cause: error });
  if (PERMANENT_NAMES.has(name)) return new PermanentProviderError(text, { cause: error });
  if (TRANSIENT_NAMES.has(name)) return new TransientProviderError(text, { cause: error });
  if (e.$retryable) return new TransientProviderError(text, { cause: error });
  if (typeof status === 'number' && status >= 500) return new TransientProviderError(text, { cause: error });
  if (status === 429) return new TransientProviderError(text, { cause: error });
  if (TRANSIENT_NETWORK_CODES.has(e.code ?? '')) return new TransientProviderError(text, { cause: error });
  return new PermanentProviderError(text, { cause: error });
}

// ---------------------------------------------------------------------------------
// Node pool tag encoding
// ---------------------------------------------------------------------------------

/** EKS node group names: 1–63 chars, alphanumeric first, then alphanumerics, `-`, `_`. */
const NODEGROUP_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
const INSTANCE_TYPE = /^[A-Za-z0-9][A-Za-z0-9.-]*$/;

function encodePool(pool: NodePoolSpec): string {
  const base = `${pool.name}:${pool.instanceType}:${pool.count}`;
  return pool.min !== undefined || pool.max !== undefined ? `${base}:${pool.min ?? ''}:${pool.max ?? ''}` : base;
}

/** Tags (`palette:nodepools`, `palette:nodepools:2`, …) recording the desired pools. */
export function encodeNodePoolTags(pools: NodePoolSpec[]): Record<string, string> {
  const values: string[] = [];
  let current = '';
  for (const pool of pools) {
    if (!NODEGROUP_NAME.test(pool.name)) {
      throw new PermanentProviderError(
        `node pool name '${pool.name}' is not a valid EKS node group name (1-63 letters, digits, '-' or '_', starting with a letter or digit)`,
      );
    }
    if (!INSTANCE_TYPE.test(pool.instanceType)) {
      throw new PermanentProviderError(`node pool '${pool.name}': '${pool.instanceType}' is not an EC2 instance type`);
    }
    if (!Number.isInteger(pool.count) || pool.count < 0) {
      throw new PermanentProviderError(`node pool '${pool.name}': count must be a non-negative integer`);
    }
    const entry = encodePool(pool);
    if (current === '') {
      current = entry;
    } else if (current.length + 1 + entry.length <= TAG_VALUE_MAX) {
      current = `${current}/${entry}`;
    } else {
      values.push(current);
      current = entry;
    }
  }
  if (current !== '') values.push(current);
  const tags: Record<string, string> = {};
  values.forEach((value, i) => {
    tags[i === 0 ? NODEPOOLS_TAG : `${NODEPOOLS_TAG}:${i + 1}`] = value;
  });
  return tags;
}

function optionalInt(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

/** The desired pools recorded by `create` (tolerates `,` / whitespace separators too). */
export function decodeNodePoolTags(tags: Record<string, string> | undefined): NodePoolSpec[] {
  if (!tags) return [];
  const keys = Object.keys(tags)
    .map((key) => {
      if (key === NODEPOOLS_TAG) return { key, index: 1 };
      const m = key.startsWith(`${NODEPOOLS_TAG}:`) ? /^\d+$/.exec(key.slice(NODEPOOLS_TAG.length + 1)) : null;
      return m ? { key, index: Number(m[0]) } : undefined;
    })
    .filter((k): k is { key: string; index: number } => k !== undefined)
    .sort((a, b) => a.index - b.index);
  const pools: NodePoolSpec[] = [];
  const seen = new Set<string>();
  for (const { key } of keys) {
    for (const entry of (tags[key] ?? '').split(/[/,\s]+/)) {
      const [name, instanceType, countText, minText, maxText] = entry.split(':');
      const count = optionalInt(countText);
      if (!name || !instanceType || count === undefined || seen.has(name)) continue;
      seen.add(name);
      const min = optionalInt(minText);
      const max = optionalInt(maxText);
      pools.push({ name, instanceType, count, ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) });
    }
  }
  return pools;
}

/** EKS scaling config for a pool: min ≤ desired ≤ max, and max ≥ 1 (an EKS rule). */
export function scalingConfigFor(pool: NodePoolSpec): Required<Pick<NodegroupScalingConfig, 'minSize' | 'maxSize' | 'desiredSize'>> {
  const count = Math.max(0, Math.trunc(pool.count));
  return {
    minSize: Math.min(count, pool.min ?? count),
    maxSize: Math.max(count, pool.max ?? count, 1),
    desiredSize: count,
  };
}

// ---------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------

function sessionNameFor(clusterId: string): string {
  const name = `palette-${clusterId}`.replace(/[^\w+=,.@-]/g, '-');
  return name.slice(0, SESSION_NAME_MAX);
}

function parseRoleArn(roleArn: string): { partition: string; accountId: string } | undefined {
  const m = /^arn:([^:]+):iam::(\d{12}):role\/.+$/.exec(roleArn);
  return m && m[1] && m[2] ? { partition: m[1], accountId: m[2] } : undefined;
}

function issueMessages(issues: Array<{ message?: string | undefined; code?: string | undefined }> | undefined): string[] {
  return (issues ?? []).map((i) => i.message ?? i.code ?? '').filter((m) => m !== '');
}

function nodegroupPhase(ng: Nodegroup): ProviderPhase {
  switch (ng.status) {
    case 'CREATING':
      return 'Provisioning';
    case 'ACTIVE':
      return 'Running';
    case 'UPDATING':
      return 'Updating';
    case 'DELETING':
      return 'Deleting';
    case 'CREATE_FAILED':
    case 'DELETE_FAILED':
      return 'Failed';
    case 'DEGRADED':
      // Degraded with reported issues is a failure the user must act on; without any,
      // EKS is still reconciling it.
      return issueMessages(ng.health?.issues).length > 0 ? 'Failed' : 'Running';
    default:
      return 'Provisioning';
  }
}

function nodegroupFailure(ng: Nodegroup): string {
  const issues = issueMessages(ng.health?.issues);
  return `node group ${ng.nodegroupName ?? '?'} is ${ng.status ?? 'failed'}${issues.length ? `: ${issues.join('; ')}` : ''}`;
}

type PoolStatus = ProviderClusterStatus['nodePools'][number];

function poolStatus(ng: Nodegroup): PoolStatus {
  return {
    name: ng.nodegroupName ?? '',
    instanceType: ng.instanceTypes?.[0] ?? '',
    count: ng.scalingConfig?.desiredSize ?? 0,
    phase: nodegroupPhase(ng),
  };
}

// ---------------------------------------------------------------------------------
// The provider
// ---------------------------------------------------------------------------------

interface CachedCredentials {
  credentials: AwsCredentials;
  /** Refresh at (ms since epoch). */
  refreshAt: number;
}

export function createEksProvider(account: EksAccount, options: EksProviderOptions = {}): EksClusterProvider {
  const now = options.now ?? (() => new Date());
  const arnParts = parseRoleArn(account.roleArn);
  const credentialCache = new Map<string, CachedCredentials>();
  const stsClients = new Map<string, STSClient>();
  const eksClients = new Map<string, EKSClient>();
  const eksClientFor =
    options.eksClientFor ?? ((region: string, credentials: AwsCredentials) => new EKSClient({ region, credentials }));

  function conventionalRole(name: string): string {
    if (!arnParts) {
      throw new PermanentProviderError(
        `cannot derive the ${name} ARN: account role '${account.roleArn}' is not an IAM role ARN; configure the role explicitly`,
      );
    }
    return `arn:${arnParts.partition}:iam::${arnParts.accountId}:role/${name}`;
  }

  const clusterRoleArn = (): string => options.clusterRoleArn ?? conventionalRole('PaletteEksClusterRole');
  const nodeRoleArn = (): string => options.nodeRoleArn ?? conventionalRole('PaletteEksNodeRole');

  function stsClient(region: string): STSClient {
    if (options.stsClient) return options.stsClient;
    // STS is called from the Palette account, so use the region we run in (an opt-in
    // customer region may not be enabled for Palette's account).
    const stsRegion = process.env.AWS_REGION ?? region;
    let client = stsClients.get(stsRegion);
    if (!client) {
      client = new STSClient({ region: stsRegion });
      stsClients.set(stsRegion, client);
    }
    return client;
  }

  async function credentialsFor(ref: ClusterRef): Promise<AwsCredentials> {
    const sessionName = sessionNameFor(ref.clusterId);
    const at = now().getTime();
    const cached = credentialCache.get(sessionName);
    if (cached && at < cached.refreshAt) return cached.credentials;

    let out;
    try {
      out = await stsClient(ref.region).send(
        new AssumeRoleCommand({
          RoleArn: account.roleArn,
          ExternalId: account.externalId,
          RoleSessionName: sessionName,
          DurationSeconds: ASSUME_ROLE_SECONDS,
        }),
      );
    } catch (error) {
      if (awsErrorName(error).startsWith('AccessDenied')) {
        throw new PermanentProviderError(
          `cannot assume role ${account.roleArn}: ${awsErrorMessage(error)}. ` +
            `Check that the role's trust policy allows Palette's account to assume it and that the external id matches the one configured for this account.`,
          { cause: error },
        );
      }
      throw classifyAwsError(error, 'AssumeRole (STS)');
    }
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey) {
      throw new TransientProviderError(`STS AssumeRole on ${account.roleArn} returned no credentials`);
    }
    const expiration = c.Expiration ?? new Date(at + ASSUME_ROLE_SECONDS * 1000);
    const credentials: AwsCredentials = {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
      expiration,
    };
    for (const [key, entry] of credentialCache) {
      if (at >= entry.refreshAt) credentialCache.delete(key);
    }
    credentialCache.set(sessionName, { credentials, refreshAt: expiration.getTime() - CREDENTIALS_REFRESH_MS });
    return credentials;
  }

  async function eks(ref: ClusterRef): Promise<{ client: EKSClient; credentials: AwsCredentials }> {
    const credentials = await credentialsFor(ref);
    const key = `${ref.region}\n${credentials.accessKeyId}`;
    let client = eksClients.get(key);
    if (!client) {
      // Drop clients built on credentials we no longer use.
      for (const k of eksClients.keys()) if (k.startsWith(`${ref.region}\n`)) eksClients.delete(k);
      client = eksClientFor(ref.region, credentials);
      eksClients.set(key, client);
    }
    return { client, credentials };
  }

  /** The cluster, or undefined when EKS doesn't know it. */
  async function findCluster(client: EKSClient, name: string): Promise<Cluster | undefined> {
    try {
      const out = await client.send(new DescribeClusterCommand({ name }));
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
        out = await client.send(new ListNodegroupsCommand({ clusterName, ...(nextToken ? { nextToken } : {}) }));
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
      const out = await client.send(new DescribeNodegroupCommand({ clusterName, nodegroupName }));
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
      if (k === NODEPOOLS_TAG || k.startsWith(`${NODEPOOLS_TAG}:`) || k === TARGET_VERSION_TAG || k === DELETING_TAG) continue;
      tags[k] = v;
    }
    tags['palette:nodepool'] = pool.name;
    return tags;
  }

  async function createNodegroup(client: EKSClient, ref: ClusterRef, cluster: Cluster, pool: NodePoolSpec): Promise<void> {
    const subnets = options.subnetIds?.length ? options.subnetIds : (cluster.resourcesVpcConfig?.subnetIds ?? []);
    if (subnets.length === 0) {
      throw new PermanentProviderError(`no subnets configured for node group ${pool.name} of cluster ${ref.providerName}`);
    }
    try {
      await client.send(
        new CreateNodegroupCommand({
          clusterName: ref.providerName,
          nodegroupName: pool.name,
          instanceTypes: [pool.instanceType],
          scalingConfig: scalingConfigFor(pool),
          subnets,
          nodeRole: nodeRoleArn(),
          labels: { 'palette.io/node-pool': pool.name },
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
    await client.send(new TagResourceCommand({ resourceArn: cluster.arn, tags }));
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
        await client.send(new DeleteNodegroupCommand({ clusterName: ref.providerName, nodegroupName: ng.nodegroupName }));
      } catch (error) {
        if (isAwsError(error, 'ResourceNotFoundException')) continue;
        // Busy (still creating/updating): the next call tries again.
        if (isAwsError(error, 'ResourceInUseException')) continue;
        throw classifyAwsError(error, `DeleteNodegroup ${ng.nodegroupName}`);
      }
    }
    if (nodegroups.length > 0) return;
    try {
      await client.send(new DeleteClusterCommand({ name: ref.providerName }));
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
            new UpdateNodegroupVersionCommand({
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
      if (!options.subnetIds?.length) {
        throw new PermanentProviderError(
          'no subnets configured for EKS: set the subnet ids of the VPC the cluster should use on the cloud account',
        );
      }
      const tags = { ...input.tags, ...encodeNodePoolTags(input.nodePools) };
      const roleArn = clusterRoleArn();
      const { client } = await eks(input);
      try {
        await client.send(
          new CreateClusterCommand({
            name: input.providerName,
            version: input.kubernetesVersion,
            roleArn,
            resourcesVpcConfig: {
              subnetIds: options.subnetIds,
              ...(options.securityGroupIds?.length ? { securityGroupIds: options.securityGroupIds } : {}),
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

    async ensureNodePools(ref: ClusterRef, pools: NodePoolSpec[]): Promise<string[]> {
      encodeNodePoolTags(pools); // validates names, instance types and counts
      const { client } = await eks(ref);
      const cluster = await requireCluster(client, ref, 'ensureNodePools');
      if (cluster.status !== 'ACTIVE') {
        throw new TransientProviderError(
          `cluster ${ref.providerName} is ${cluster.status ?? 'not ready'}; node groups can only be created once it is ACTIVE`,
        );
      }
      const existing = new Set(await listNodegroupNames(client, ref.providerName));
      const created = await createMissingNodegroups(client, ref, cluster, pools, existing);
      return created.map((p) => p.name);
    },

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
          new UpdateNodegroupConfigCommand({
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
          await client.send(new UpdateClusterVersionCommand({ name: ref.providerName, version: kubernetesVersion }));
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

    async kubeConfig(ref: ClusterRef): Promise<KubeConfig> {
      const { client, credentials } = await eks(ref);
      const cluster = await requireCluster(client, ref, 'kubeConfig');
      const server = cluster.endpoint;
      const caData = cluster.certificateAuthority?.data;
      if (!server || !caData) {
        throw new TransientProviderError(
          `cluster ${ref.providerName} has no API endpoint yet (status ${cluster.status ?? 'unknown'})`,
        );
      }
      const token = await eksBearerToken(ref.providerName, ref.region, credentials, now());
      const name = ref.providerName;
      const kc = new KubeConfig();
      kc.loadFromOptions({
        clusters: [{ name, server, caData, skipTLSVerify: false }],
        users: [{ name: `palette-${ref.clusterId}`, token }],
        contexts: [{ name, cluster: name, user: `palette-${ref.clusterId}` }],
        currentContext: name,
      });
      return kc;
    },
  };
}

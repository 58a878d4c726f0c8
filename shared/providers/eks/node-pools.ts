/**
 * Node pools on EKS: the tags that record the desired pools on the cluster (node
 * groups can only be created once it is ACTIVE), their scaling config, and how a node
 * group's status reads as a provider phase.
 */
import type { Nodegroup, NodegroupScalingConfig } from '@aws-sdk/client-eks';
import { PermanentProviderError, type NodePoolSpec, type ProviderClusterStatus, type ProviderPhase } from '../provider.ts';

export const NODEPOOLS_TAG = 'palette:nodepools';
export const TARGET_VERSION_TAG = 'palette:target-version';
export const DELETING_TAG = 'palette:deleting';
/** EKS's limit on a tag value. */
const TAG_VALUE_MAX = 256;

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
  for (const pool of pools) Object.assign(tags, encodePoolSettings(pool));
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
      pools.push({ name, instanceType, count, ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}), ...decodePoolSettings(tags, name) });
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

export function issueMessages(issues: Array<{ message?: string | undefined; code?: string | undefined }> | undefined): string[] {
  return (issues ?? []).map((i) => i.message ?? i.code ?? '').filter((m) => m !== '');
}

export function nodegroupPhase(ng: Nodegroup): ProviderPhase {
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

export function nodegroupFailure(ng: Nodegroup): string {
  const issues = issueMessages(ng.health?.issues);
  return `node group ${ng.nodegroupName ?? '?'} is ${ng.status ?? 'failed'}${issues.length ? `: ${issues.join('; ')}` : ''}`;
}

type PoolStatus = ProviderClusterStatus['nodePools'][number];

export function poolStatus(ng: Nodegroup): PoolStatus {
  return {
    name: ng.nodegroupName ?? '',
    instanceType: ng.instanceTypes?.[0] ?? '',
    count: ng.scalingConfig?.desiredSize ?? 0,
    phase: nodegroupPhase(ng),
  };
}

/**
 * A pool's labels, taints and GPUs ride in tags of their own (`palette:pool-settings:<pool>:<n>`,
 * base64url JSON split at EKS's 256-character value limit), because the node group is
 * made later, by describe, from the tags alone.
 */
export const POOL_SETTINGS_TAG = 'palette:pool-settings';

function encodePoolSettings(pool: NodePoolSpec): Record<string, string> {
  const settings = { ...(pool.labels ? { labels: pool.labels } : {}), ...(pool.taints ? { taints: pool.taints } : {}), ...(pool.gpu ? { gpu: pool.gpu } : {}) };
  if (Object.keys(settings).length === 0) return {};
  const encoded = Buffer.from(JSON.stringify(settings)).toString('base64url');
  const tags: Record<string, string> = {};
  for (let i = 0; i * TAG_VALUE_MAX < encoded.length; i++) tags[`${POOL_SETTINGS_TAG}:${pool.name}:${i + 1}`] = encoded.slice(i * TAG_VALUE_MAX, (i + 1) * TAG_VALUE_MAX);
  return tags;
}

function decodePoolSettings(tags: Record<string, string>, pool: string): Pick<NodePoolSpec, 'labels' | 'taints' | 'gpu'> {
  let encoded = '';
  for (let i = 1; tags[`${POOL_SETTINGS_TAG}:${pool}:${i}`] !== undefined; i++) encoded += tags[`${POOL_SETTINGS_TAG}:${pool}:${i}`];
  if (!encoded) return {};
  try {
    return JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as Pick<NodePoolSpec, 'labels' | 'taints' | 'gpu'>;
  } catch {
    return {};
  }
}

/** EKS's names for taint effects. */
export const eksTaintEffect = { NoSchedule: 'NO_SCHEDULE', PreferNoSchedule: 'PREFER_NO_SCHEDULE', NoExecute: 'NO_EXECUTE' } as const;

/** The node image of a pool: NVIDIA's AL2023 image (drivers and the device plugin's runtime) for GPU instance types. */
export const amiTypeFor = (pool: NodePoolSpec) => (pool.gpu ? 'AL2023_x86_64_NVIDIA' : undefined);

/**
 * Node pools on AKS: how our pool names become agent pool names, the agent pool
 * settings of a pool (scaling, labels, taints, GPU driver), Azure's tag rules, and how
 * an agent pool's provisioning state reads as a provider phase.
 */
import { createHash } from 'node:crypto';
import type { AgentPool, ManagedClusterAgentPoolProfile } from '@azure/arm-containerservice';
import { compareKubernetesVersions } from '../../host-clusters/kubernetes-version.ts';
import {
  PermanentProviderError,
  type NodePoolSpec,
  type NodeTaint,
  type ProviderClusterStatus,
  type ProviderPhase,
} from '../provider.ts';

/** On the managed cluster: the Kubernetes version `upgrade` asked for (describe upgrades the pools to it). */
export const TARGET_VERSION_TAG = 'palette:target-version';
/** On each agent pool: our name of the pool (AKS names are shorter, see aksPoolName). */
export const NODEPOOL_TAG = 'palette:nodepool';
/** Node label naming the pool, as on EKS. */
export const NODEPOOL_LABEL = 'palette.io/node-pool';

/** Tags of ours that describe one resource and must not be copied to another. */
const BOOKKEEPING_TAGS = new Set([TARGET_VERSION_TAG, NODEPOOL_TAG]);

/** AKS: Linux agent pool names are 1–12 lowercase alphanumerics, starting with a letter. */
const AKS_POOL_NAME = /^[a-z][a-z0-9]{0,11}$/;
/** Our pool names: DNS labels up to 40 characters. */
const POOL_NAME = /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/;
/** Azure VM sizes: `Standard_D4s_v5`, `Standard_NC24ads_A100_v4`, … */
const VM_SIZE = /^[A-Za-z][A-Za-z0-9_-]*$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/**
 * The AKS agent pool name of one of our pools, deterministic so every retry and every
 * later call finds the same pool:
 * - a name AKS accepts as it is (`general`, `gpu`, `system2`) is kept;
 * - any other (`gpu-a100`, `memory-optimized`, `1st`) becomes its lowercase
 *   alphanumerics (prefixed `p` when they don't start with a letter), cut to 8
 *   characters, plus the first 4 hex digits of the SHA-256 of the full name — so
 *   `gpu-a100` → `gpua100` + `xxxx`, and two names that only differ in dashes or past
 *   the 8th character still map apart.
 * Our own name is kept on the agent pool in tag `palette:nodepool`, which is what
 * `describe` reports.
 */
export function aksPoolName(name: string): string {
  if (AKS_POOL_NAME.test(name)) return name;
  const stem = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  const lead = /^[a-z]/.test(stem) ? stem : `p${stem}`;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 4);
  return `${lead.slice(0, 8)}${hash}`;
}

/** Azure tag names may not contain `<>%&\?/` and not start with `microsoft`, `azure` or `windows`; names ≤ 512, values ≤ 256 characters. */
export function azureTags(tags: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(tags)) {
    let name = key.replace(/[<>%&\\?/]/g, '_');
    if (/^(microsoft|azure|windows)/i.test(name)) name = `palette-${name}`;
    out[name.slice(0, 512)] = value.slice(0, 256);
  }
  return out;
}

/** A resource's tags without our bookkeeping ones (what a new agent pool inherits from its cluster). */
export function inheritableTags(tags: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags ?? {})) if (!BOOKKEEPING_TAGS.has(k)) out[k] = v;
  return out;
}

/** AKS taints are kubectl's syntax: `key=value:Effect`, or `key:Effect` without a value. */
export function taintString(taint: NodeTaint): string {
  return taint.value !== undefined && taint.value !== '' ? `${taint.key}=${taint.value}:${taint.effect}` : `${taint.key}:${taint.effect}`;
}

/** Rejects, before any call to Azure, a pool AKS would refuse or that we could not find again. */
export function validatePool(pool: NodePoolSpec): void {
  if (!POOL_NAME.test(pool.name)) {
    throw new PermanentProviderError(
      `node pool name '${pool.name}' is not a DNS label (1-40 lowercase letters, digits or '-', starting and ending with a letter or digit)`,
    );
  }
  if (!VM_SIZE.test(pool.instanceType)) {
    throw new PermanentProviderError(`node pool '${pool.name}': '${pool.instanceType}' is not an Azure VM size (e.g. Standard_D4s_v5)`);
  }
  if (!Number.isInteger(pool.count) || pool.count < 0 || pool.count > 1000) {
    throw new PermanentProviderError(`node pool '${pool.name}': count must be an integer from 0 to 1000`);
  }
  for (const bound of [pool.min, pool.max]) {
    if (bound !== undefined && (!Number.isInteger(bound) || bound < 0 || bound > 1000)) {
      throw new PermanentProviderError(`node pool '${pool.name}': min and max must be integers from 0 to 1000`);
    }
  }
  for (const key of [...Object.keys(pool.labels ?? {}), ...(pool.taints ?? []).map((t) => t.key)]) {
    if (!LABEL_KEY.test(key)) throw new PermanentProviderError(`node pool '${pool.name}': '${key}' is not a valid Kubernetes label or taint key`);
  }
}

/** The AKS names of a cluster's pools; two pools may not land on one agent pool. */
export function validatePools(pools: NodePoolSpec[]): void {
  const seen = new Map<string, string>();
  for (const pool of pools) {
    validatePool(pool);
    const aks = aksPoolName(pool.name);
    const other = seen.get(aks);
    if (other !== undefined) {
      throw new PermanentProviderError(`node pools '${other}' and '${pool.name}' both map to AKS agent pool name '${aks}'; rename one`);
    }
    seen.set(aks, pool.name);
  }
}

export interface PoolScaling {
  count: number;
  enableAutoScaling: boolean;
  minCount?: number;
  maxCount?: number;
}

/**
 * A pool with min or max is autoscaled, its bounds widened to include `count` (AKS
 * refuses a count outside them) and max at least 1; otherwise it has a fixed size.
 */
export function scalingFor(pool: NodePoolSpec): PoolScaling {
  const count = Math.max(0, Math.trunc(pool.count));
  if (pool.min === undefined && pool.max === undefined) return { count, enableAutoScaling: false };
  return {
    count,
    enableAutoScaling: true,
    minCount: Math.min(count, pool.min ?? count),
    maxCount: Math.max(count, pool.max ?? count, 1),
  };
}

/**
 * Whether an existing agent pool already has the pool's scaling. An autoscaled pool's
 * count belongs to the cluster autoscaler, so only its bounds are compared: setting the
 * count again would fight the autoscaler.
 */
export function hasScaling(current: Pick<AgentPool, 'count' | 'enableAutoScaling' | 'minCount' | 'maxCount'>, want: PoolScaling): boolean {
  if (want.enableAutoScaling) {
    return current.enableAutoScaling === true && current.minCount === want.minCount && current.maxCount === want.maxCount;
  }
  return !current.enableAutoScaling && current.count === want.count;
}

export interface AgentPoolSettingsContext {
  mode: 'System' | 'User';
  tags: Record<string, string>;
  vnetSubnetId?: string;
  orchestratorVersion?: string;
}

/** The settings an agent pool resource and a cluster's agent pool profile share. */
export type AgentPoolSettings = Pick<
  AgentPool & ManagedClusterAgentPoolProfile,
  | 'mode'
  | 'osType'
  | 'vmSize'
  | 'count'
  | 'enableAutoScaling'
  | 'minCount'
  | 'maxCount'
  | 'nodeLabels'
  | 'nodeTaints'
  | 'gpuProfile'
  | 'vnetSubnetID'
  | 'orchestratorVersion'
  | 'tags'
>;

/** Everything an agent pool of `pool` is created with (as a cluster profile or an agent pool resource). */
export function agentPoolSettings(pool: NodePoolSpec, ctx: AgentPoolSettingsContext): AgentPoolSettings {
  const scaling = scalingFor(pool);
  return {
    mode: ctx.mode,
    osType: 'Linux',
    vmSize: pool.instanceType,
    count: scaling.count,
    enableAutoScaling: scaling.enableAutoScaling,
    ...(scaling.minCount !== undefined ? { minCount: scaling.minCount } : {}),
    ...(scaling.maxCount !== undefined ? { maxCount: scaling.maxCount } : {}),
    nodeLabels: { ...pool.labels, [NODEPOOL_LABEL]: pool.name },
    ...(pool.taints?.length ? { nodeTaints: pool.taints.map(taintString) } : {}),
    // AKS installs the NVIDIA driver on GPU VM sizes by default today; saying so keeps
    // it that way should the default change.
    ...(pool.gpu ? { gpuProfile: { driver: 'Install' } } : {}),
    ...(ctx.vnetSubnetId ? { vnetSubnetID: ctx.vnetSubnetId } : {}),
    ...(ctx.orchestratorVersion ? { orchestratorVersion: ctx.orchestratorVersion } : {}),
    tags: { ...ctx.tags, [NODEPOOL_TAG]: pool.name },
  };
}

/**
 * `current` is at `target` when they agree on the components `target` names: `1.31.4`
 * is at `1.31` (AKS picks the newest patch for a minor version), `1.31.2` is below
 * `1.31.5`. -1, 0 or 1.
 */
export function compareToTarget(current: string, target: string): number {
  const width = target.split('.').length;
  return compareKubernetesVersions(current.split('.').slice(0, width).join('.'), target);
}

/** The provisioning states of a managed cluster or agent pool that mean an operation is running. */
const BUSY_STATES = new Set(['Creating', 'Updating', 'Upgrading', 'Scaling', 'Deleting', 'Starting', 'Stopping', 'Migrating', 'Canceling']);

export function isBusy(provisioningState: string | undefined): boolean {
  return BUSY_STATES.has(provisioningState ?? '');
}

export function agentPoolPhase(pool: Pick<AgentPool, 'provisioningState'>): ProviderPhase {
  switch (pool.provisioningState) {
    case 'Succeeded':
      return 'Running';
    case 'Creating':
      return 'Provisioning';
    case 'Deleting':
      return 'Deleting';
    case 'Failed':
    case 'Canceled':
      return 'Failed';
    case undefined:
      return 'Provisioning';
    default:
      return 'Updating';
  }
}

/** Our name of an agent pool. */
export function poolName(pool: Pick<AgentPool, 'name' | 'tags'>): string {
  return pool.tags?.[NODEPOOL_TAG] ?? pool.name ?? '';
}

export function poolVersion(pool: Pick<AgentPool, 'currentOrchestratorVersion' | 'orchestratorVersion'>): string | undefined {
  return pool.currentOrchestratorVersion ?? pool.orchestratorVersion;
}

type PoolStatus = ProviderClusterStatus['nodePools'][number];

export function poolStatus(pool: AgentPool): PoolStatus {
  return { name: poolName(pool), instanceType: pool.vmSize ?? '', count: pool.count ?? 0, phase: agentPoolPhase(pool) };
}

export function poolFailure(pool: AgentPool): string {
  const error = pool.status?.provisioningError;
  const detail = error?.message ? `: ${error.code ? `${error.code}: ` : ''}${error.message}` : '';
  return `agent pool ${poolName(pool)} is ${pool.provisioningState ?? 'failed'}${detail}`;
}

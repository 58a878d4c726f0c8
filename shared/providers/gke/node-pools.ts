/**
 * Node pools on GKE: how our pool names become GKE node pool names, the node pool
 * settings of a pool (scaling, labels, taints, GPUs), Google Cloud's label rules, GKE
 * versions, and how a node pool's status reads as a provider phase.
 */
import { createHash } from 'node:crypto';
import type { protos } from '@google-cloud/container';
import {
  PermanentProviderError,
  type NodePoolSpec,
  type NodeTaint,
  type ProviderClusterStatus,
  type ProviderPhase,
} from '../provider.ts';

export type GkeCluster = protos.google.container.v1.ICluster;
export type GkeNodePool = protos.google.container.v1.INodePool;
type GkeTaint = protos.google.container.v1.INodeTaint;

/** Node label naming the pool, as on EKS and AKS; `describe` reads our name from it. */
export const NODEPOOL_LABEL = 'palette.io/node-pool';
/** Resource label (on the pool's VMs and disks) with our name of the pool. */
export const NODEPOOL_RESOURCE_LABEL = 'palette-nodepool';

/** GKE node pool names: 1–40 lowercase letters, digits or `-`, starting with a letter, not ending with `-`. */
const GKE_POOL_NAME = /^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/;
/** Our pool names: DNS labels up to 40 characters. */
const POOL_NAME = /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/;
/** Compute Engine machine types: `e2-standard-4`, `n2-highmem-8`, `a2-highgpu-1g`, `custom-4-16384`. */
const MACHINE_TYPE = /^[a-z][a-z0-9-]*$/;
/** GKE accelerator types: `nvidia-l4`, `nvidia-tesla-t4`, `nvidia-h100-80gb`. */
const ACCELERATOR_TYPE = /^[a-z][a-z0-9-]*$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/**
 * The GKE node pool name of one of our pools, deterministic so every retry and every
 * later call finds the same pool:
 * - a name GKE accepts as it is (`general`, `gpu-a100`) is kept — that is every one of
 *   our names that starts with a letter;
 * - any other (`1st-pool`) becomes `p-` + the name, cut to 35 characters, + `-` + the
 *   first 4 hex digits of the SHA-256 of the full name.
 * Our own name is kept on the pool as node label `palette.io/node-pool` (and resource
 * label `palette-nodepool`), which is what `describe` reports.
 */
export function gkePoolName(name: string): string {
  if (GKE_POOL_NAME.test(name)) return name;
  const stem = `p-${name.toLowerCase().replace(/[^a-z0-9-]/g, '-')}`.slice(0, 35).replace(/-+$/, '');
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 4);
  return `${stem}-${hash}`;
}

/**
 * Google Cloud labels: keys and values of at most 63 lowercase letters, digits, `_` and
 * `-`, keys starting with a letter. Our tags are rewritten to that: lowercased, any
 * other character becomes `-` (`palette:cluster` → `palette-cluster`, `team/owner` →
 * `team-owner`), a key not starting with a letter gets `palette-` in front, and both
 * are cut to 63 characters.
 */
export function gcpLabels(tags: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(tags)) {
    let k = key.toLowerCase().replace(/[^a-z0-9_-]/g, '-');
    if (!/^[a-z]/.test(k)) k = `palette-${k}`;
    out[k.slice(0, 63)] = value.toLowerCase().replace(/[^a-z0-9_-]/g, '-').slice(0, 63);
  }
  return out;
}

/** Our taint effects as GKE's enum names. */
const TAINT_EFFECTS = { NoSchedule: 'NO_SCHEDULE', PreferNoSchedule: 'PREFER_NO_SCHEDULE', NoExecute: 'NO_EXECUTE' } as const;

export function gkeTaint(taint: NodeTaint): GkeTaint {
  return { key: taint.key, ...(taint.value !== undefined && taint.value !== '' ? { value: taint.value } : {}), effect: TAINT_EFFECTS[taint.effect] };
}

/** Rejects, before any call to Google, a pool GKE would refuse or that we could not find again. */
export function validatePool(pool: NodePoolSpec): void {
  if (!POOL_NAME.test(pool.name)) {
    throw new PermanentProviderError(
      `node pool name '${pool.name}' is not a DNS label (1-40 lowercase letters, digits or '-', starting and ending with a letter or digit)`,
    );
  }
  if (!MACHINE_TYPE.test(pool.instanceType)) {
    throw new PermanentProviderError(`node pool '${pool.name}': '${pool.instanceType}' is not a Compute Engine machine type (e.g. e2-standard-4)`);
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
  if (pool.gpu) {
    if (!Number.isInteger(pool.gpu.count) || pool.gpu.count < 1) {
      throw new PermanentProviderError(`node pool '${pool.name}': the GPU count must be a positive integer`);
    }
    if (!ACCELERATOR_TYPE.test(pool.gpu.model)) {
      throw new PermanentProviderError(`node pool '${pool.name}': '${pool.gpu.model}' is not a GKE accelerator type (e.g. nvidia-l4, nvidia-tesla-a100)`);
    }
  }
}

/** The GKE names of a cluster's pools; two pools may not land on one node pool. */
export function validatePools(pools: NodePoolSpec[]): void {
  const seen = new Map<string, string>();
  for (const pool of pools) {
    validatePool(pool);
    const gke = gkePoolName(pool.name);
    const other = seen.get(gke);
    if (other !== undefined) {
      throw new PermanentProviderError(`node pools '${other}' and '${pool.name}' both map to GKE node pool name '${gke}'; rename one`);
    }
    seen.set(gke, pool.name);
  }
}

export interface PoolScaling {
  /** Nodes per zone. */
  count: number;
  autoscaling?: { enabled: true; minNodeCount: number; maxNodeCount: number };
}

/**
 * A pool with min or max is autoscaled, its bounds widened to include `count` and max
 * at least 1 (GKE refuses a max of 0); otherwise it has a fixed size. Every number is
 * per zone, as GKE counts them (see provider.ts).
 */
export function scalingFor(pool: NodePoolSpec): PoolScaling {
  const count = Math.max(0, Math.trunc(pool.count));
  if (pool.min === undefined && pool.max === undefined) return { count };
  return {
    count,
    autoscaling: { enabled: true, minNodeCount: Math.min(count, pool.min ?? count), maxNodeCount: Math.max(count, pool.max ?? count, 1) },
  };
}

/** Whether an existing node pool's autoscaling already is what `want` asks for. */
export function hasAutoscaling(current: GkeNodePool, want: PoolScaling): boolean {
  const a = current.autoscaling;
  if (!want.autoscaling) return !a?.enabled;
  return a?.enabled === true && a.minNodeCount === want.autoscaling.minNodeCount && a.maxNodeCount === want.autoscaling.maxNodeCount;
}

/** Everything a node pool of `pool` is created with (inside createCluster or by createNodePool). */
export function nodePoolFor(pool: NodePoolSpec, resourceLabels: Record<string, string>): GkeNodePool {
  const scaling = scalingFor(pool);
  return {
    name: gkePoolName(pool.name),
    initialNodeCount: scaling.count,
    config: {
      machineType: pool.instanceType,
      labels: { ...pool.labels, [NODEPOOL_LABEL]: pool.name },
      ...(pool.taints?.length ? { taints: pool.taints.map(gkeTaint) } : {}),
      // GKE installs the NVIDIA driver for the accelerator when asked to: without
      // gpuDriverInstallationConfig the nodes come up without one.
      ...(pool.gpu
        ? {
            accelerators: [
              { acceleratorCount: pool.gpu.count, acceleratorType: pool.gpu.model, gpuDriverInstallationConfig: { gpuDriverVersion: 'DEFAULT' } },
            ],
          }
        : {}),
      resourceLabels: { ...resourceLabels, [NODEPOOL_RESOURCE_LABEL]: pool.name },
    },
    ...(scaling.autoscaling ? { autoscaling: scaling.autoscaling } : {}),
    // Our upgrades move the pools (describe, after the control plane): GKE's node
    // auto-upgrade stays off so a pool's version only changes when we ask.
    management: { autoUpgrade: false, autoRepair: true },
  };
}

/** Resource labels of ours that describe one resource and must not be copied to another. */
export function inheritableLabels(labels: Record<string, string> | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels ?? {})) if (k !== NODEPOOL_RESOURCE_LABEL) out[k] = v;
  return out;
}

/**
 * The numeric parts of a GKE version: `1.31.5-gke.1023000` → [1, 31, 5, 1023000], `1.31`
 * → [1, 31].
 */
export function versionParts(version: string): number[] {
  return version
    .split(/[.-]/)
    .filter((p) => /^\d+$/.test(p))
    .map(Number);
}

/**
 * `current` compared with `target` on the components `target` names: `1.31.5-gke.1023000`
 * is at `1.31` (GKE picks a patch of the minor version), below `1.31.6` and below
 * `1.31.5-gke.1200000`. -1, 0 or 1.
 */
export function compareToTarget(current: string, target: string): number {
  const t = versionParts(target);
  const c = versionParts(current).slice(0, t.length);
  for (let i = 0; i < t.length; i++) {
    const d = (c[i] ?? 0) - (t[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** GKE's node pool statuses as provider phases. */
export function nodePoolPhase(pool: Pick<GkeNodePool, 'status'>): ProviderPhase {
  switch (pool.status) {
    case 'RUNNING':
      return 'Running';
    case 'RECONCILING':
      return 'Updating';
    case 'STOPPING':
      return 'Deleting';
    case 'ERROR':
    case 'RUNNING_WITH_ERROR':
      return 'Failed';
    default: // PROVISIONING, STATUS_UNSPECIFIED
      return 'Provisioning';
  }
}

/** Our name of a node pool. */
export function poolName(pool: GkeNodePool): string {
  return pool.config?.labels?.[NODEPOOL_LABEL] || pool.config?.resourceLabels?.[NODEPOOL_RESOURCE_LABEL] || pool.name || '';
}

type PoolStatus = ProviderClusterStatus['nodePools'][number];

/**
 * A node pool as `describe` reports it. `count` is the pool's size when it was created,
 * over all its zones: `initialNodeCount` (per zone) × its node locations. GKE's API
 * keeps no current size of a pool (only its managed instance groups know it, through
 * the Compute Engine API, which this provider does not use), so a resize or the
 * autoscaler does not show here.
 */
export function poolStatus(pool: GkeNodePool, clusterZones: number): PoolStatus {
  const zones = pool.locations?.length || clusterZones || 1;
  return { name: poolName(pool), instanceType: pool.config?.machineType ?? '', count: (pool.initialNodeCount ?? 0) * zones, phase: nodePoolPhase(pool) };
}

export function poolFailure(pool: GkeNodePool): string {
  const detail = pool.statusMessage ? `: ${pool.statusMessage}` : '';
  return `node pool ${poolName(pool)} is ${pool.status ?? 'failed'}${detail}`;
}

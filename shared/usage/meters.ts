/**
 * Usage meters: each metered resource's allocation history, one item per resource
 * (`METER#<kind>#<id>` in its tenant's partition). Every change of what a resource
 * holds appends a segment `{ at, state, … }` to its meter IN THE SAME TRANSACTION as
 * the change itself, so the history can neither miss a change nor record one that did
 * not happen:
 *
 *   virtual cluster  created (running, its resources) · resized (at the start of the
 *                    resize, as the reservation grows) · a failed create or resize
 *                    rolled back · paused · resumed · deleted (ended)
 *   host cluster     Running after create or import (its node pools) · scaled · deleted
 *   app              deployed (its tiers' requests) · deleted (an app deleted with its
 *                    virtual cluster ends with the cluster's meter)
 *
 * The meter outlives its resource (the rollup must still account for a resource
 * deleted mid-hour) and sits on a sharded work list (gsi2 `METER#<kind>#<shard>`,
 * ordered by first allocation), which is how rollup-usage finds every one without a Scan.
 */
import * as z from 'zod';
import { keys, type ResourceKind } from '../store/keys.ts';
import type { TransactItem } from '../store/table.ts';
import type { AppTier } from '../app-profiles/items.ts';
import { hostClusterProviders, type HostClusterItem } from '../host-clusters/items.ts';
import type { HostRef } from '../virtual-clusters/items.ts';

export const meterStates = ['running', 'paused', 'ended'] as const;
export type MeterState = (typeof meterStates)[number];

export const meterSegment = z.object({
  at: z.string(),
  state: z.enum(meterStates),
  /** Virtual clusters: the allocation; apps: the tiers' requests. */
  cpu: z.number().optional(),
  memoryMiB: z.number().optional(),
  storageGiB: z.number().optional(),
  /** Host clusters: what is paid for. */
  provider: z.enum(hostClusterProviders).optional(),
  nodes: z.array(z.object({ instanceType: z.string(), count: z.number() })).optional(),
});
export type MeterSegment = z.infer<typeof meterSegment>;

export const meterItem = z.object({
  type: z.literal('meter'),
  kind: z.enum(['virtualcluster', 'cluster', 'app']),
  tenantId: z.string(),
  projectId: z.string(),
  resourceId: z.string(),
  name: z.string(),
  /** Virtual clusters: where they run (their prices are the host's). */
  host: z.object({ tenantId: z.string(), projectId: z.string(), clusterId: z.string() }).optional(),
  ownerId: z.string().optional(),
  /** Apps: the virtual cluster they live in. */
  virtualClusterId: z.string().optional(),
  segments: z.array(meterSegment),
  gsi2sk: z.string().optional(),
});
export type MeterItem = z.infer<typeof meterItem>;

interface MeterIdentity {
  kind: ResourceKind;
  tenantId: string;
  projectId: string;
  id: string;
  name: string;
  host?: HostRef;
  ownerId?: string;
  virtualClusterId?: string;
}

/**
 * The UpdateItem that appends one segment (creating the meter on its first segment):
 * no condition, it rides in the transaction of the change it records.
 */
function appendSegment(identity: MeterIdentity, segment: MeterSegment): TransactItem {
  const names: Record<string, string> = { '#type': 'type', '#kind': 'kind', '#name': 'name', '#segments': 'segments', '#g2pk': 'gsi2pk', '#g2sk': 'gsi2sk' };
  const index = keys.meterIndex(identity.kind, identity.tenantId, identity.id, segment.at);
  const values: Record<string, unknown> = {
    ':type': 'meter',
    ':kind': identity.kind,
    ':tenantId': identity.tenantId,
    ':projectId': identity.projectId,
    ':resourceId': identity.id,
    ':name': identity.name,
    ':seg': [segment],
    ':empty': [],
    ':g2pk': index.gsi2pk,
    ':g2sk': index.gsi2sk,
  };
  const sets = [
    '#type = :type',
    '#kind = :kind',
    'tenantId = :tenantId',
    'projectId = :projectId',
    'resourceId = :resourceId',
    '#name = :name',
    '#g2pk = if_not_exists(#g2pk, :g2pk)',
    '#g2sk = if_not_exists(#g2sk, :g2sk)',
    '#segments = list_append(if_not_exists(#segments, :empty), :seg)',
  ];
  for (const field of ['host', 'ownerId', 'virtualClusterId'] as const) {
    if (identity[field] === undefined) continue;
    names[`#${field}`] = field;
    values[`:${field}`] = field === 'host' ? { tenantId: identity.host!.tenantId, projectId: identity.host!.projectId, clusterId: identity.host!.clusterId } : identity[field];
    sets.push(`#${field} = :${field}`);
  }
  return {
    Update: {
      Key: keys.meter(identity.tenantId, identity.kind, identity.id),
      UpdateExpression: `SET ${sets.join(', ')}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
}

/** A whole second: usage is integrated to the second. */
export const meterTime = (at = new Date()) => new Date(Math.floor(at.getTime() / 1000) * 1000).toISOString();

export interface VirtualClusterMeterRef {
  tenantId: string;
  projectId: string;
  id: string;
  name: string;
  ownerId: string;
  host: HostRef;
}

/** A virtual cluster's allocation from `at` on: running (compute and storage), paused (storage only) or ended. */
export function virtualClusterMeter(
  vc: VirtualClusterMeterRef,
  state: MeterState,
  resources: { cpu: number; memoryMiB: number; storageGiB: number },
  at = meterTime(),
): TransactItem {
  return appendSegment(
    { kind: 'virtualcluster', tenantId: vc.tenantId, projectId: vc.projectId, id: vc.id, name: vc.name, host: vc.host, ownerId: vc.ownerId },
    { at, state, cpu: resources.cpu, memoryMiB: resources.memoryMiB, storageGiB: resources.storageGiB },
  );
}

/** A host cluster's nodes from `at` on (or its end). */
export function hostClusterMeter(
  cluster: { tenantId: string; projectId: string; id: string; name: string; provider: HostClusterItem['provider'] },
  state: 'running' | 'ended',
  nodePools: ReadonlyArray<{ instanceType: string; count: number }>,
  at = meterTime(),
): TransactItem {
  return appendSegment(
    { kind: 'cluster', tenantId: cluster.tenantId, projectId: cluster.projectId, id: cluster.id, name: cluster.name },
    { at, state, provider: cluster.provider, nodes: nodePools.map((p) => ({ instanceType: p.instanceType, count: p.count })) },
  );
}

export interface AppRequests {
  cpu: number;
  memoryMiB: number;
  storageGiB: number;
}

/**
 * What an app's tiers request, as rendered (shared/apps/render.ts): a container tier
 * its replicas × its resources (requests equal limits; none given requests none) and
 * its volume; a database tier its volume; manifests nothing the platform can know.
 */
export function appRequests(tiers: readonly AppTier[], values: Record<string, { replicas?: number; resources?: { cpu: number; memoryMiB: number } } | undefined>): AppRequests {
  const total = { cpu: 0, memoryMiB: 0, storageGiB: 0 };
  for (const tier of tiers) {
    if (tier.type === 'container') {
      const given = values[tier.name];
      const replicas = given?.replicas ?? tier.replicas;
      const resources = given?.resources ?? tier.resources;
      if (resources) {
        total.cpu += replicas * resources.cpu;
        total.memoryMiB += replicas * resources.memoryMiB;
      }
      if (tier.volume) total.storageGiB += tier.volume.sizeGiB;
    } else if (tier.type === 'database') {
      total.storageGiB += tier.storageGiB;
    }
  }
  return total;
}

/** An app's requests from `at` on (or its end). */
export function appMeter(
  app: { tenantId: string; projectId: string; id: string; name: string; virtualClusterId: string },
  state: 'running' | 'ended',
  requests: AppRequests,
  at = meterTime(),
): TransactItem {
  return appendSegment(
    { kind: 'app', tenantId: app.tenantId, projectId: app.projectId, id: app.id, name: app.name, virtualClusterId: app.virtualClusterId },
    { at, state, cpu: requests.cpu, memoryMiB: requests.memoryMiB, storageGiB: requests.storageGiB },
  );
}

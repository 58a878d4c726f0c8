/**
 * Cluster groups: Running host clusters (with hostCluster.enabled) that accept virtual
 * clusters. `beehive` is the system tenant's group, shared by every tenant. A group
 * keeps no allocation of its own: what its virtual clusters hold is counted on each
 * host (App Mode's placement transactions lock only the host they use), and the
 * group's `capacity.allocated` is the sum over its hosts.
 */
import { ApiError, assertIfMatch, notFound, validationFailed } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Store } from '../store/client.ts';
import { keys, lists, SYSTEM_TENANT } from '../store/keys.ts';
import { claimName } from '../store/names.ts';
import { encodeCursor } from '../store/pagination.ts';
import { getItem, getItems, nowIso, queryPage, TransactionConflict, updateItem, versionConflict, versionIs, type TransactItem } from '../store/table.ts';
import type { Tx } from '../store/tx.ts';
import { findProject } from '../tenancy/projects.ts';
import { hostClusterItem, type HostClusterItem } from '../host-clusters/items.ts';
import { clusterCapacity, type Capacity } from '../host-clusters/instance-types.ts';
import { clusterGroupItem, type ClusterGroupItem, type GroupMember } from './items.ts';

export const BEEHIVE = 'beehive';

/** Per virtual cluster, what a group allows at most unless its limits say otherwise. */
export const defaultGroupLimits = { maxCpu: 16, maxMemoryMiB: 32768, maxStorageGiB: 100 };

export type Resources = Capacity;

/** What a host's node pools offer, before any oversubscription. */
export const hostCapacity = (host: Pick<HostClusterItem, 'nodePools' | 'edge'>): Resources => clusterCapacity(host);

/** A host's capacity for the group's virtual clusters: its raw capacity times the oversubscription factor. */
export function oversubscribed(raw: Resources, oversubscriptionPercent: number): Resources {
  const factor = oversubscriptionPercent / 100;
  // A GPU is a device, not a share of a core: it is never oversubscribed.
  return { cpu: Math.floor(raw.cpu * factor), memoryMiB: Math.floor(raw.memoryMiB * factor), storageGiB: Math.floor(raw.storageGiB * factor), gpu: raw.gpu };
}

export async function memberClusters(store: Store, members: GroupMember[]): Promise<Array<HostClusterItem | undefined>> {
  const raw = await getItems(store, members.map((m) => keys.cluster(m.tenantId, m.projectId, m.clusterId)));
  return raw.map((item) => (item ? hostClusterItem.parse(item) : undefined));
}

/** The group's capacity and what its hosts' virtual clusters hold. */
export function capacityOf(group: ClusterGroupItem, hosts: Array<HostClusterItem | undefined>) {
  const total = { cpu: 0, memoryMiB: 0, storageGiB: 0, gpu: 0 };
  const allocated = { cpu: 0, memoryMiB: 0, storageGiB: 0, gpu: 0, virtualClusters: 0 };
  for (const host of hosts) {
    if (!host || host.status.phase === 'Deleting') continue;
    const capacity = oversubscribed(hostCapacity(host), group.oversubscriptionPercent);
    total.cpu += capacity.cpu;
    total.memoryMiB += capacity.memoryMiB;
    total.storageGiB += capacity.storageGiB;
    total.gpu += capacity.gpu;
    allocated.cpu += host.allocatedCpu;
    allocated.memoryMiB += host.allocatedMemoryMiB;
    allocated.storageGiB += host.allocatedStorageGiB;
    allocated.gpu += host.allocatedGpu;
    allocated.virtualClusters += host.virtualClusters;
  }
  return { ...total, allocated };
}

export async function toClusterGroup(store: Store, group: ClusterGroupItem) {
  return {
    id: group.id,
    name: group.name,
    system: group.system,
    hostClusters: group.hostClusters.map(({ projectId, clusterId }) => ({ projectId, clusterId })),
    endpointType: group.endpointType,
    limits: group.limits,
    oversubscriptionPercent: group.oversubscriptionPercent,
    capacity: capacityOf(group, await memberClusters(store, group.hostClusters)),
    createdAt: group.createdAt,
    updatedAt: group.updatedAt,
    version: group.version,
  };
}

/**
 * Resolves `{ projectId, clusterId }` pairs of the tenant and checks each is a Running
 * host cluster with hostCluster.enabled (400 with the offending paths otherwise).
 */
export async function resolveMembers(store: Store, tenantId: string, requested: Array<{ projectId: string; clusterId: string }>): Promise<GroupMember[]> {
  const problems: Array<{ path: string; message: string }> = [];
  const projects = await Promise.all(requested.map((entry) => findProject(store, tenantId, entry.projectId)));
  const members: Array<GroupMember & { index: number }> = [];
  requested.forEach((entry, index) => {
    const project = projects[index];
    if (!project) problems.push({ path: `body.hostClusters.${index}.projectId`, message: `no project ${entry.projectId}` });
    else members.push({ tenantId, projectId: project.id, clusterId: entry.clusterId, index });
  });
  const clusters = await memberClusters(store, members);
  clusters.forEach((cluster, i) => {
    const { index, clusterId } = members[i]!;
    const path = `hostClusters.${index}.clusterId`;
    if (!cluster) problems.push({ path, message: `no cluster ${clusterId} in that project` });
    else if (cluster.status.phase !== 'Running') problems.push({ path, message: `cluster ${cluster.name} is ${cluster.status.phase}, not Running` });
    else if (!cluster.hostCluster.enabled) problems.push({ path, message: `cluster ${cluster.name} does not have hostCluster.enabled` });
  });
  if (problems.length) throw validationFailed('only Running host clusters with hostCluster.enabled can join a cluster group', problems);
  return members.map(({ index: _index, ...member }) => member);
}

/** A host leaving a group must carry no virtual clusters, checked in the same transaction. */
const carriesNoVirtualClusters = (member: GroupMember): TransactItem => ({
  ConditionCheck: {
    Key: keys.cluster(member.tenantId, member.projectId, member.clusterId),
    ConditionExpression: 'attribute_not_exists(pk) OR attribute_not_exists(virtualClusters) OR virtualClusters = :none',
    ExpressionAttributeValues: { ':none': 0 },
  },
});

export interface NewClusterGroup {
  id?: string;
  name: string;
  members: GroupMember[];
  endpointType: ClusterGroupItem['endpointType'];
  limits?: ClusterGroupItem['limits'];
  oversubscriptionPercent: number;
  system?: boolean;
}

export async function createClusterGroup(tx: Tx, tenantId: string, input: NewClusterGroup) {
  const now = nowIso();
  const group: ClusterGroupItem = {
    type: 'clustergroup',
    id: input.id ?? newId('clusterGroup'),
    name: input.name,
    tenantId,
    system: input.system ?? false,
    hostClusters: input.members,
    endpointType: input.endpointType,
    limits: input.limits ?? defaultGroupLimits,
    oversubscriptionPercent: input.oversubscriptionPercent,
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
  try {
    await tx.commit(
      [
        { Put: { Item: { ...keys.clusterGroup(tenantId, group.id), ...group }, ConditionExpression: 'attribute_not_exists(pk)' } },
        claimName(keys.clusterGroupName(tenantId, group.name), 'clustergroupname', { id: group.id }),
      ],
      { resourceId: group.id },
    );
  } catch (error) {
    if (error instanceof TransactionConflict) throw new ApiError('conflict', `a cluster group named ${input.name} already exists`);
    throw error;
  }
  return group;
}

/** `beehive` is the system tenant's; every other id is looked up in the caller's tenant. */
export async function getClusterGroup(store: Store, tenantId: string | null, groupId: string) {
  const owner = groupId === BEEHIVE ? SYSTEM_TENANT : tenantId;
  const group = owner ? await getItem(store, keys.clusterGroup(owner, groupId), clusterGroupItem) : undefined;
  if (!group) throw notFound(`cluster group ${groupId}`);
  return group;
}

/** The tenant's groups; the first page also carries beehive. */
export async function listClusterGroups(store: Store, tenantId: string | null, page: { limit: number; cursor?: string }) {
  const beehive = page.cursor ? undefined : await getItem(store, keys.clusterGroup(SYSTEM_TENANT, BEEHIVE), clusterGroupItem);
  if (!tenantId) return { items: beehive ? [beehive] : [], nextCursor: null };
  const own = lists.clusterGroups(tenantId);
  if (beehive && page.limit === 1) {
    // beehive fills the page; the next one starts before the tenant's first group.
    return { items: [beehive], nextCursor: encodeCursor({ pk: own.partition.value, sk: own.skBeginsWith!.value }) };
  }
  const mine = await queryPage(
    store,
    // beehive takes one place on the first page, so a page never exceeds `limit`.
    { ...own, limit: beehive ? page.limit - 1 : page.limit, cursor: page.cursor },
    clusterGroupItem,
  );
  return { items: [...(beehive ? [beehive] : []), ...mine.items], nextCursor: mine.nextCursor };
}

export type ClusterGroupChanges = Partial<Pick<ClusterGroupItem, 'name' | 'endpointType' | 'limits' | 'oversubscriptionPercent'>> & { members?: GroupMember[] };

export async function updateClusterGroup(tx: Tx, group: ClusterGroupItem, changes: ClusterGroupChanges, ifMatch?: number) {
  assertIfMatch(group, ifMatch);
  const { members, ...rest } = changes;
  const set = Object.fromEntries(Object.entries({ ...rest, hostClusters: members }).filter(([, v]) => v !== undefined));
  const next: ClusterGroupItem = { ...group, ...set, updatedAt: nowIso(), version: group.version + 1 };
  const renamed = next.name.toLowerCase() !== group.name.toLowerCase();
  const leaving = members ? group.hostClusters.filter((m) => !members.some((n) => n.clusterId === m.clusterId)) : [];
  const items: TransactItem[] = [
    updateItem(keys.clusterGroup(group.tenantId, group.id), { set, expectedVersion: group.version, now: next.updatedAt }),
    ...(renamed
      ? [claimName(keys.clusterGroupName(group.tenantId, next.name), 'clustergroupname', { id: group.id }), { Delete: { Key: keys.clusterGroupName(group.tenantId, group.name) } }]
      : []),
    ...leaving.map(carriesNoVirtualClusters),
  ];
  try {
    await tx.commit(items, { resourceId: group.id });
  } catch (error) {
    if (error instanceof TransactionConflict) {
      if (error.reasons[0] === 'ConditionalCheckFailed') throw await versionConflict(tx.store, keys.clusterGroup(group.tenantId, group.id), `cluster group ${group.id}`, ifMatch);
      if (renamed && error.reasons[1] === 'ConditionalCheckFailed') throw new ApiError('conflict', `a cluster group named ${next.name} already exists`);
      throw new ApiError('invalid_state', 'a host cluster leaving the group still carries virtual clusters; move or delete them first');
    }
    throw error;
  }
  return next;
}

export async function deleteClusterGroup(tx: Tx, group: ClusterGroupItem, ifMatch?: number) {
  if (group.system) throw new ApiError('forbidden', 'the system group beehive cannot be deleted');
  assertIfMatch(group, ifMatch);
  try {
    await tx.commit(
      [
        { Delete: { Key: keys.clusterGroup(group.tenantId, group.id), ...versionIs(group.version) } },
        { Delete: { Key: keys.clusterGroupName(group.tenantId, group.name) } },
        // Virtual clusters placed on the group's hosts keep it alive.
        ...group.hostClusters.map(carriesNoVirtualClusters),
      ],
      { resourceId: group.id },
    );
  } catch (error) {
    if (error instanceof TransactionConflict) {
      if (error.reasons[0] === 'ConditionalCheckFailed') throw await versionConflict(tx.store, keys.clusterGroup(group.tenantId, group.id), `cluster group ${group.id}`, ifMatch);
      throw new ApiError('invalid_state', `cluster group ${group.name} still holds virtual clusters; delete them first`);
    }
    throw error;
  }
}

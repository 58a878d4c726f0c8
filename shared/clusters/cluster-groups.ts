import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { ApiError, notFound, validationFailed } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Store } from '../store/client.ts';
import { keys, skPrefix, SYSTEM_TENANT } from '../store/keys.ts';
import { getItem, getItems, isConditionFailure, nowIso, queryPage, transact, TransactionConflict, versionIs } from '../store/table.ts';
import { preconditionFailed, findProject } from '../tenancy/projects.ts';
import { encodeCursor } from '../store/pagination.ts';
import { clusterGroupItem, hostClusterItem, type ClusterGroupItem, type HostClusterItem } from './cluster-items.ts';
import { instanceTypes } from './instance-types.ts';

export const BEEHIVE = 'beehive';

/** Per virtual cluster, what a group allows at most unless its limits say otherwise. */
export const defaultGroupLimits = { maxCpu: 16, maxMemoryMiB: 32768, maxStorageGiB: 100 };

type Member = ClusterGroupItem['hostClusters'][number];

async function memberClusters(store: Store, members: Member[]): Promise<Array<HostClusterItem | undefined>> {
  const raw = await getItems(store, members.map((m) => keys.cluster(m.tenantId, m.projectId, m.clusterId)));
  return raw.map((item) => (item ? hostClusterItem.parse(item) : undefined));
}

/** Raw capacity of the member clusters' node pools, times the oversubscription factor. */
export async function capacityOf(store: Store, group: ClusterGroupItem) {
  const clusters = await memberClusters(store, group.hostClusters);
  const raw = { cpu: 0, memoryMiB: 0, storageGiB: 0 };
  for (const cluster of clusters) {
    if (!cluster || cluster.status.phase === 'Deleting') continue;
    for (const pool of cluster.nodePools) {
      const size = instanceTypes[pool.instanceType];
      if (!size) continue;
      raw.cpu += size.cpu * pool.count;
      raw.memoryMiB += size.memoryMiB * pool.count;
      raw.storageGiB += size.storageGiB * pool.count;
    }
  }
  const factor = group.oversubscriptionPercent / 100;
  return {
    cpu: Math.floor(raw.cpu * factor),
    memoryMiB: Math.floor(raw.memoryMiB * factor),
    storageGiB: Math.floor(raw.storageGiB * factor),
    allocated: group.allocated,
  };
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
    capacity: await capacityOf(store, group),
    createdAt: group.createdAt,
    updatedAt: group.updatedAt,
    version: group.version,
  };
}

/**
 * Resolves `{ projectId, clusterId }` pairs of the tenant and checks each is a Running
 * host cluster with hostCluster.enabled (400 with the offending paths otherwise).
 */
export async function resolveMembers(store: Store, tenantId: string, requested: Array<{ projectId: string; clusterId: string }>): Promise<Member[]> {
  const members: Member[] = [];
  const problems: Array<{ path: string; message: string }> = [];
  for (const [index, entry] of requested.entries()) {
    const project = await findProject(store, tenantId, entry.projectId);
    if (!project) {
      problems.push({ path: `hostClusters.${index}.projectId`, message: `no project ${entry.projectId}` });
      continue;
    }
    members.push({ tenantId, projectId: project.id, clusterId: entry.clusterId });
  }
  const clusters = await memberClusters(store, members);
  clusters.forEach((cluster, i) => {
    const index = requested.findIndex((r) => r.clusterId === members[i]!.clusterId);
    if (!cluster) problems.push({ path: `hostClusters.${index}.clusterId`, message: `no cluster ${members[i]!.clusterId} in that project` });
    else if (cluster.status.phase !== 'Running') problems.push({ path: `hostClusters.${index}.clusterId`, message: `cluster ${cluster.name} is ${cluster.status.phase}, not Running` });
    else if (!cluster.hostCluster.enabled) problems.push({ path: `hostClusters.${index}.clusterId`, message: `cluster ${cluster.name} does not have hostCluster.enabled` });
  });
  if (problems.length) throw validationFailed('only Running host clusters with hostCluster.enabled can join a cluster group', problems);
  return members;
}

export async function createClusterGroup(
  store: Store,
  tenantId: string,
  input: {
    id?: string;
    name: string;
    members: Member[];
    endpointType: ClusterGroupItem['endpointType'];
    limits?: ClusterGroupItem['limits'];
    oversubscriptionPercent: number;
    system?: boolean;
  },
) {
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
    allocated: { cpu: 0, memoryMiB: 0, storageGiB: 0, virtualClusters: 0 },
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
  try {
    await transact(store, [
      { Put: { Item: { ...keys.clusterGroup(tenantId, group.id), ...group }, ConditionExpression: 'attribute_not_exists(pk)' } },
      {
        Put: {
          Item: { ...keys.clusterGroupName(tenantId, group.name.toLowerCase()), type: 'clustergroupname', id: group.id },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ]);
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
  if (beehive && page.limit === 1) {
    // beehive fills the page; the next one starts before the tenant's first group.
    return { items: [beehive], nextCursor: encodeCursor({ ...keys.clusterGroup(tenantId, ''), sk: skPrefix.clusterGroup }) };
  }
  const own = await queryPage(
    store,
    {
      partition: { attribute: 'pk', value: keys.tenantPartition(tenantId) },
      skBeginsWith: { attribute: 'sk', value: skPrefix.clusterGroup },
      // beehive takes one place on the first page, so a page never exceeds `limit`.
      limit: beehive ? page.limit - 1 : page.limit,
      cursor: page.cursor,
    },
    clusterGroupItem,
  );
  return { items: [...(beehive ? [beehive] : []), ...own.items], nextCursor: own.nextCursor };
}

export async function updateClusterGroup(
  store: Store,
  group: ClusterGroupItem,
  changes: Partial<Pick<ClusterGroupItem, 'name' | 'endpointType' | 'limits' | 'oversubscriptionPercent'>> & { members?: Member[] },
  ifMatch?: number,
) {
  if (ifMatch !== undefined && ifMatch !== group.version) throw preconditionFailed(group.version);
  const { members, ...rest } = changes;
  const next: ClusterGroupItem = {
    ...group,
    ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)),
    ...(members ? { hostClusters: members } : {}),
    updatedAt: nowIso(),
    version: group.version + 1,
  };
  const renamed = next.name.toLowerCase() !== group.name.toLowerCase();
  try {
    await transact(store, [
      {
        Put: {
          Item: { ...keys.clusterGroup(group.tenantId, group.id), ...next },
          ...versionIs(group.version),
        },
      },
      ...(renamed
        ? [
            {
              Put: {
                Item: { ...keys.clusterGroupName(group.tenantId, next.name.toLowerCase()), type: 'clustergroupname', id: group.id },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            { Delete: { Key: keys.clusterGroupName(group.tenantId, group.name.toLowerCase()) } },
          ]
        : []),
    ]);
  } catch (error) {
    if (error instanceof TransactionConflict) {
      if (error.reasons[0] === 'ConditionalCheckFailed') throw preconditionFailed(group.version + 1);
      throw new ApiError('conflict', `a cluster group named ${next.name} already exists`);
    }
    throw error;
  }
  return next;
}

export async function deleteClusterGroup(store: Store, group: ClusterGroupItem, ifMatch?: number) {
  if (group.system) throw new ApiError('forbidden', 'the system group beehive cannot be deleted');
  if (ifMatch !== undefined && ifMatch !== group.version) throw preconditionFailed(group.version);
  try {
    await transact(store, [
      {
        Delete: {
          Key: keys.clusterGroup(group.tenantId, group.id),
          // Virtual clusters placed in the group keep it alive.
          ...versionIs(group.version, { clause: 'allocated.virtualClusters = :zero', values: { ':zero': 0 } }),
        },
      },
      { Delete: { Key: keys.clusterGroupName(group.tenantId, group.name.toLowerCase()) } },
    ]);
  } catch (error) {
    if (error instanceof TransactionConflict) throw new ApiError('invalid_state', 'the group changed or still holds virtual clusters');
    throw error;
  }
}

/** Seeds or refreshes the system group (local runtime, system.admin). */
export async function putSystemGroup(store: Store, group: ClusterGroupItem) {
  try {
    await store.doc.send(new PutCommand({ TableName: store.tableName, Item: { ...keys.clusterGroup(SYSTEM_TENANT, group.id), ...group } }));
  } catch (error) {
    if (isConditionFailure(error)) throw new ApiError('conflict', 'beehive changed at the same time');
    throw error;
  }
}

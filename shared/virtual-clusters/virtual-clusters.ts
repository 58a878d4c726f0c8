/**
 * Virtual clusters: vcluster-style control planes nested in a host cluster of a
 * cluster group (by default the shared group beehive). What a virtual cluster holds
 * (on its host: the allocation counters; in beehive: its owner's quota use) is
 * reserved in the same TransactWriteItems as the virtual cluster itself, each counter
 * under a condition that its limit still holds, and released exactly once: when a
 * create fails, or when a delete completes.
 */
import type { EdgeHostRef } from '../host-clusters/items.ts';
import { ApiError, assertIfMatch, notFound, validationFailed, type FieldError } from '../errors.ts';
import { newId } from '../ids.ts';
import { logger } from '../observability/logger.ts';
import type { Store } from '../store/client.ts';
import { keys, lists } from '../store/keys.ts';
import { pickFields } from '../store/items.ts';
import { claimName } from '../store/names.ts';
import { getItem, nowIso, queryPage, transact, TransactionConflict, TransactionContention, update, phaseFilter, updateItem, versionConflict, type TransactItem } from '../store/table.ts';
import type { Tx } from '../store/tx.ts';
import { finishOperationItem, launchWorkflow, pollPlan, startOperation, type WorkflowInput } from '../operations/operations.ts';
import type { OperationItem } from '../operations/items.ts';
import type { OperationRecovery } from '../operations/recovery.ts';
import { accountSettingsOf, type AccountSettings } from '../cloud-accounts/items.ts';
import { getCloudAccount } from '../cloud-accounts/cloud-accounts.ts';
import { getClusterGroup, hostCapacity, memberClusters, oversubscribed } from '../cluster-groups/cluster-groups.ts';
import type { ClusterGroupItem } from '../cluster-groups/items.ts';
import { hostClusterItem, type HostClusterItem } from '../host-clusters/items.ts';
import { kubeconfigYaml, type ClusterAccess } from '../kube/kubeconfig.ts';
import { secretBoxFromEnv } from '../secrets/secret-box.ts';
import { QUOTA_GROUP, quotaStateOf, releaseQuota, reserveQuota } from '../quotas/quotas.ts';
import type { QuotaAmounts } from '../quotas/items.ts';
import { POLL_SECONDS, workflowName } from '#workflows/names.ts';
import { virtualClusterMeter } from '../usage/meters.ts';
import {
  credentialsItem,
  virtualClusterItem,
  virtualClusterNameItem,
  type HostRef,
  type PendingVirtualClusterChange,
  type Reservation,
  type Resources,
  type VirtualClusterItem,
  type VirtualClusterPhase,
} from './items.ts';
import { ingressHostOf, namespaceOf } from './manifests.ts';
import type { SleepSchedule } from './sleep-schedule.ts';
import type { BackupSchedule } from '../backups/items.ts';
import { restoreSource, restoreSourceCheck } from '../backups/backups.ts';
import { MINIMUM_RESOURCES, virtualCluster as virtualClusterShape } from './schemas.ts';

export const toVirtualCluster = (item: VirtualClusterItem) => pickFields(virtualClusterShape, { ...item, hostClusterId: item.host.clusterId });

const resourceNames = { cpu: 'CPU', memoryMiB: 'MiB of memory', storageGiB: 'GiB of storage', gpu: 'GPU' } as const;
const describe = (r: Resources) => `${r.cpu} CPU, ${r.memoryMiB} MiB, ${r.storageGiB} GiB${r.gpu ? `, ${r.gpu} GPU` : ''}`;

/** At least API.md's minimum, at most the group's limits: 400 with every field out of bounds. */
export function checkResources(resources: Resources, group: Pick<ClusterGroupItem, 'name' | 'limits'>, path = 'body.resources') {
  const maximum = { cpu: group.limits.maxCpu, memoryMiB: group.limits.maxMemoryMiB, storageGiB: group.limits.maxStorageGiB };
  const problems: FieldError[] = [];
  for (const field of ['cpu', 'memoryMiB', 'storageGiB'] as const) {
    if (resources[field] < MINIMUM_RESOURCES[field]) problems.push({ path: `${path}.${field}`, message: `at least ${MINIMUM_RESOURCES[field]} ${resourceNames[field]}` });
    else if (resources[field] > maximum[field]) {
      problems.push({ path: `${path}.${field}`, message: `at most ${maximum[field]} ${resourceNames[field]} in cluster group ${group.name}` });
    }
  }
  if (problems.length) throw validationFailed(`a virtual cluster needs ${describe({ ...MINIMUM_RESOURCES, gpu: 0 })} at least and at most what cluster group ${group.name} allows`, problems);
}

// ---------------------------------------------------------------------------------
// Counters: the host's allocation and the owner's quota
// ---------------------------------------------------------------------------------

const amountsOf = (r: Resources, virtualClusters: number): QuotaAmounts => ({ virtualClusters, cpu: r.cpu, memoryMiB: r.memoryMiB, storageGiB: r.storageGiB });
const difference = (after: Resources, before: Resources): Resources => ({
  cpu: after.cpu - before.cpu,
  memoryMiB: after.memoryMiB - before.memoryMiB,
  storageGiB: after.storageGiB - before.storageGiB,
  gpu: after.gpu - before.gpu,
});

const hostCounters = { cpu: 'allocatedCpu', memoryMiB: 'allocatedMemoryMiB', storageGiB: 'allocatedStorageGiB', gpu: 'allocatedGpu' } as const;
const resourceFields = ['cpu', 'memoryMiB', 'storageGiB', 'gpu'] as const;

/**
 * Moves a host's allocation by `delta` (and its virtual cluster count by `count`).
 * Growth requires the host still Running, at the version its capacity was read at,
 * with room for the growth under the group's oversubscription.
 */
function hostAllocation(ref: HostRef, delta: Resources, count: number, room?: { host: HostClusterItem; capacity: Resources }): TransactItem {
  const add: Record<string, number> = count !== 0 ? { virtualClusters: count } : {};
  for (const [field, counter] of Object.entries(hostCounters) as Array<[keyof Resources, string]>) if (delta[field] !== 0) add[counter] = delta[field];
  if (!room) return updateItem(keys.cluster(ref.tenantId, ref.projectId, ref.clusterId), { add, touch: false });
  const names: Record<string, string> = { '#hstatus': 'status', '#hphase': 'phase' };
  const values: Record<string, unknown> = { ':hrunning': 'Running' };
  const clauses = ['#hstatus.#hphase = :hrunning'];
  for (const [field, counter] of Object.entries(hostCounters) as Array<[keyof Resources, string]>) {
    if (delta[field] <= 0) continue;
    names[`#h${field}`] = counter;
    values[`:h${field}`] = room.capacity[field] - delta[field];
    clauses.push(`(attribute_not_exists(#h${field}) OR #h${field} <= :h${field})`);
  }
  return updateItem(keys.cluster(ref.tenantId, ref.projectId, ref.clusterId), {
    add,
    touch: false,
    expectedVersion: room.host.version,
    condition: { expression: clauses.join(' AND '), names, values },
  });
}

/** The items that give back everything a reservation holds. */
function releaseItems(tenantId: string, ownerId: string, reservation: Reservation): TransactItem[] {
  const amounts = { cpu: reservation.cpu, memoryMiB: reservation.memoryMiB, storageGiB: reservation.storageGiB, gpu: reservation.gpu };
  return [
    hostAllocation(reservation.host, difference({ cpu: 0, memoryMiB: 0, storageGiB: 0, gpu: 0 }, amounts), -1),
    ...(reservation.quota ? [releaseQuota(tenantId, ownerId, amountsOf(amounts, 1))] : []),
  ];
}

/** The items that move a reservation to new amounts on the same host (a resize, or its rollback). */
function resizeItems(tenantId: string, ownerId: string, reservation: Reservation, next: Resources): TransactItem[] {
  const delta = difference(next, reservation);
  return [
    hostAllocation(reservation.host, delta, 0),
    ...(reservation.quota ? [releaseQuota(tenantId, ownerId, amountsOf(difference(reservation, next), 0))] : []),
  ];
}

// ---------------------------------------------------------------------------------
// Placement
// ---------------------------------------------------------------------------------

interface Candidate {
  host: HostClusterItem;
  ref: HostRef;
  capacity: Resources;
  load: number;
}

const roomOn = (host: HostClusterItem, capacity: Resources): Resources => ({
  cpu: capacity.cpu - host.allocatedCpu,
  memoryMiB: capacity.memoryMiB - host.allocatedMemoryMiB,
  storageGiB: capacity.storageGiB - host.allocatedStorageGiB,
  gpu: capacity.gpu - host.allocatedGpu,
});

/**
 * Running, enabled hosts of the group that have room for `need`, least loaded first
 * (load: the fullest of CPU, memory and storage).
 */
export function placementCandidates(group: ClusterGroupItem, hosts: Array<HostClusterItem | undefined>, need: Resources): Candidate[] {
  const candidates: Candidate[] = [];
  hosts.forEach((host, index) => {
    if (!host || host.status.phase !== 'Running' || !host.hostCluster.enabled) return;
    const capacity = oversubscribed(hostCapacity(host), group.oversubscriptionPercent);
    if (capacity.cpu <= 0 || capacity.memoryMiB <= 0 || capacity.storageGiB <= 0) return;
    const member = group.hostClusters[index]!;
    const candidate: Candidate = {
      host,
      ref: { tenantId: member.tenantId, projectId: member.projectId, clusterId: member.clusterId },
      capacity,
      load: Math.max(host.allocatedCpu / capacity.cpu, host.allocatedMemoryMiB / capacity.memoryMiB, host.allocatedStorageGiB / capacity.storageGiB),
    };
    const room = roomOn(host, capacity);
    if (resourceFields.every((f) => room[f] >= need[f])) candidates.push(candidate);
  });
  return candidates.sort((a, b) => a.load - b.load);
}

/**
 * Picks among the least loaded: any host within 10 points of the emptiest one, at
 * random, so concurrent creates spread over the hosts instead of all locking the same
 * item (and a lone create still lands on the emptiest).
 */
export function choosePlacement(candidates: Candidate[], random = Math.random): Candidate | undefined {
  const least = candidates[0];
  if (!least) return undefined;
  const near = candidates.filter((c) => c.load <= least.load + 0.1);
  return near[Math.floor(random() * near.length)] ?? least;
}

/** A cancelled create whose counters moved under it: read them again and place again. */
class PlacementRetry extends Error {}

/** Creates under contention re-place this often before they give up with a 409. */
export const MAX_PLACEMENT_ATTEMPTS = 5;

/** Creates placed again because a counter moved under them (read by the benchmark). */
export const placementStats = { retries: 0 };

const jitter = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * 25 * 2 ** attempt));

// ---------------------------------------------------------------------------------
// Workflow input
// ---------------------------------------------------------------------------------

export interface HostAccessContext extends HostRef {
  name: string;
  provider: HostClusterItem['provider'];
  providerName: string;
  region: string | null;
  account?: AccountSettings;
  /** An edge host cluster: its hosts (its kubeconfig is the control-plane host's report). */
  edge?: { hosts: EdgeHostRef[] };
}

export interface VirtualClusterContext {
  change: PendingVirtualClusterChange;
  virtualCluster: Pick<VirtualClusterItem, 'name' | 'namespace' | 'endpointType' | 'resources' | 'ownerId' | 'ingressHost'>;
  /** Null when the host is gone (a delete then has nothing left to remove there). */
  host: HostAccessContext | null;
  /** What the counters hold for it while the operation runs; a failed create or resize gives it back. */
  reservation?: Reservation;
}

export type VirtualClusterWorkflowInput = WorkflowInput<VirtualClusterContext>;

async function hostAccessOf(store: Store, ref: HostRef, known?: HostClusterItem): Promise<HostAccessContext | null> {
  const host = known ?? (await getItem(store, keys.cluster(ref.tenantId, ref.projectId, ref.clusterId), hostClusterItem));
  if (!host) return null;
  const account = host.cloudAccountId ? await getCloudAccount(store, host.tenantId, host.projectId, host.cloudAccountId).catch(() => undefined) : undefined;
  return {
    ...ref,
    name: host.name,
    provider: host.provider,
    providerName: host.providerName,
    region: host.region,
    ...(account ? { account: accountSettingsOf(account) } : {}),
    ...(host.edge ? { edge: host.edge } : {}),
  };
}

/** vcluster takes seconds to start; its pods a little longer on a busy host. */
const EXPECTED_SECONDS: Record<PendingVirtualClusterChange['kind'], number> = { create: 180, pause: 60, resume: 120, resize: 60, delete: 120 };

export function workflowInputFor(vc: VirtualClusterItem, host: HostAccessContext | null) {
  const change = vc.pending!;
  const context: VirtualClusterContext = {
    change,
    virtualCluster: {
      name: vc.name,
      namespace: vc.namespace,
      endpointType: vc.endpointType,
      resources: vc.resources,
      ownerId: vc.ownerId,
      ...(vc.ingressHost ? { ingressHost: vc.ingressHost } : {}),
    },
    host,
    ...(vc.reservation ? { reservation: vc.reservation } : {}),
  };
  const pollSeconds = host?.provider === 'sim' ? 1 : POLL_SECONDS / 5;
  return { ...pollPlan(EXPECTED_SECONDS[change.kind], pollSeconds), context };
}

// ---------------------------------------------------------------------------------
// Failure: Error with the reason, the reservation of a failed create or resize given back
// ---------------------------------------------------------------------------------

type Target = { tenantId: string; projectId: string; virtualClusterId: string };

export function ownedUpdate(target: Target, operationId: string, change: Parameters<typeof updateItem>[1]): TransactItem {
  return updateItem(keys.virtualCluster(target.tenantId, target.projectId, target.virtualClusterId), {
    ...change,
    condition: { expression: 'operationId = :op', values: { ':op': operationId } },
  });
}

/** What a failed change gives back: all of a create's reservation, a resize's growth (and its meter says so). */
function rollbackOf(context: Pick<VirtualClusterContext, 'change' | 'reservation' | 'virtualCluster'>, target: Target) {
  const { change, reservation } = context;
  const { tenantId } = target;
  const ownerId = context.virtualCluster.ownerId;
  const meterRef = reservation && { tenantId, projectId: target.projectId, id: target.virtualClusterId, name: context.virtualCluster.name, ownerId, host: reservation.host };
  if (change.kind === 'create' && reservation) {
    return { set: { reservation: undefined }, items: [...releaseItems(tenantId, ownerId, reservation), virtualClusterMeter(meterRef!, 'ended', reservation)] };
  }
  if (change.kind === 'resize' && reservation) {
    const previous = change.previous;
    return {
      set: { resources: previous, reservation: { ...reservation, ...previous } },
      items: [...resizeItems(tenantId, ownerId, reservation, previous), virtualClusterMeter(meterRef!, 'running', previous)],
    };
  }
  return { set: {}, items: [] };
}

/**
 * Phase Error with the reason, the rollback of the failed change and the operation
 * Failed, in one transaction (so a reservation is given back exactly once); when the
 * virtual cluster is gone or another operation owns it, the operation still ends.
 */
export async function failVirtualClusterOperation(
  store: Store,
  target: Target,
  operationId: string,
  context: Pick<VirtualClusterContext, 'change' | 'reservation' | 'virtualCluster'>,
  error: { code: string; message: string },
) {
  const fail = finishOperationItem(target.tenantId, operationId, { status: 'Failed', error });
  const rollback = rollbackOf(context, target);
  try {
    await transact(store, [ownedUpdate(target, operationId, { set: { status: { phase: 'Error', message: error.message }, ...rollback.set } }), ...rollback.items, fail]);
  } catch (cancelled) {
    if (!(cancelled instanceof TransactionConflict)) throw cancelled;
    await transact(store, [fail]).catch((again: unknown) => {
      if (!(again instanceof TransactionConflict)) throw again;
    });
  }
}

/** A workflow that could not start: the virtual cluster goes to Error and gives back what the change reserved. */
async function markStartFailure(store: Store, operation: OperationItem, message: string) {
  const target = { tenantId: operation.tenantId, projectId: operation.projectId!, virtualClusterId: operation.resourceId };
  const vc = await getItem(store, keys.virtualCluster(target.tenantId, target.projectId, target.virtualClusterId), virtualClusterItem);
  if (!vc?.pending || vc.operationId !== operation.id) return;
  const rollback = rollbackOf({ change: vc.pending, ...(vc.reservation ? { reservation: vc.reservation } : {}), virtualCluster: vc }, target);
  await transact(store, [ownedUpdate(target, operation.id, { set: { status: { phase: 'Error', message }, ...rollback.set } }), ...rollback.items]).catch((error: unknown) => {
    if (!(error instanceof TransactionConflict)) throw error;
  });
}

// ---------------------------------------------------------------------------------
// Create
// ---------------------------------------------------------------------------------

export interface CreateVirtualClusterRequest {
  name: string;
  clusterGroupId: string;
  resources: Resources;
  sleepAfterMinutes?: number;
  sleepSchedule?: SleepSchedule;
  preventWake?: boolean;
  deleteAfterIdleDays?: number;
  /** Backups on this schedule (shared/backups). */
  backup?: BackupSchedule;
  /** A create from a backup: placed and quota-checked as any create, then the backup's objects applied before it is Running. */
  restoreFrom?: { backupId: string };
}

async function groupFor(store: Store, tenantId: string, groupId: string) {
  try {
    return await getClusterGroup(store, tenantId, groupId);
  } catch (error) {
    if (error instanceof ApiError && error.code === 'not_found') {
      throw validationFailed(`no cluster group ${groupId}`, [{ path: 'body.clusterGroupId', message: 'unknown cluster group' }]);
    }
    throw error;
  }
}

/**
 * Places a new virtual cluster on the least loaded host of its group with room and
 * writes, in one transaction: the virtual cluster (Provisioning), its name, the host's
 * allocation, the project's count, the owner's quota use (beehive) and the operation;
 * then starts the create workflow. A transaction cancelled because a counter moved is
 * placed again from fresh reads (bounded, with jitter); a limit that no longer holds
 * is a 409 `quota_exceeded`, and nothing is written.
 */
export async function createVirtualCluster(tx: Tx, scope: { tenantId: string; projectId: string; ownerId: string }, request: CreateVirtualClusterRequest, options: { requestId?: string } = {}) {
  const { store } = tx;
  const group = await groupFor(store, scope.tenantId, request.clusterGroupId);
  checkResources(request.resources, group);
  const existing = await getItem(store, keys.virtualClusterName(scope.tenantId, scope.projectId, request.name), virtualClusterNameItem);
  if (existing) throw new ApiError('conflict', `a virtual cluster named ${request.name} already exists in this project`);
  const source = request.restoreFrom ? await restoreSource(store, scope, request.restoreFrom.backupId) : undefined;
  const withQuota = group.id === QUOTA_GROUP;
  const id = newId('virtualCluster');
  for (let attempt = 0; ; attempt++) {
    const [hosts, quota] = await Promise.all([memberClusters(store, group.hostClusters), withQuota ? quotaStateOf(store, scope.tenantId, scope.ownerId) : undefined]);
    const quotaItems = quota ? reserveQuota(scope.tenantId, scope.ownerId, quota, amountsOf(request.resources, 1)) : [];
    const placement = choosePlacement(placementCandidates(group, hosts, request.resources));
    if (!placement) {
      if (request.resources.gpu > 0 && hosts.every((h) => !h || hostCapacity(h).gpu === 0)) {
        throw new ApiError('quota_exceeded', `cluster group ${group.name} has no GPUs: ask for gpu: 0, or use a group with GPU host clusters`);
      }
      throw new ApiError('quota_exceeded', `cluster group ${group.name} is full: no Running host has ${describe(request.resources)} free; try smaller resources or later`);
    }
    const now = nowIso();
    const vc: VirtualClusterItem = {
      type: 'virtualcluster',
      id,
      name: request.name,
      tenantId: scope.tenantId,
      projectId: scope.projectId,
      ownerId: scope.ownerId,
      clusterGroupId: group.id,
      host: placement.ref,
      namespace: namespaceOf(id),
      endpointType: group.endpointType,
      ...(group.endpointType === 'Ingress' ? { ingressHost: ingressHostOf({ id, name: request.name }, placement.host.name) } : {}),
      resources: request.resources,
      reservation: { ...request.resources, host: placement.ref, quota: withQuota },
      ...(request.sleepAfterMinutes !== undefined ? { sleepAfterMinutes: request.sleepAfterMinutes } : {}),
      ...(request.sleepSchedule ? { sleepSchedule: request.sleepSchedule } : {}),
      preventWake: request.preventWake ?? false,
      ...(request.deleteAfterIdleDays !== undefined ? { deleteAfterIdleDays: request.deleteAfterIdleDays } : {}),
      ...(request.backup ? { backup: request.backup, backupState: { since: now } } : {}),
      ...(source ? { restoredFrom: { backupId: source.id, virtualClusterId: source.virtualClusterId } } : {}),
      lastActivityAt: now,
      status: { phase: 'Provisioning', message: `starting the control plane on host ${placement.host.name}` },
      pending: { kind: 'create', ...(source ? { restore: { backupId: source.id, storageKey: source.storageKey } } : {}) },
      apps: 0,
      createdAt: now,
      updatedAt: now,
      version: 1,
    };
    const key = keys.virtualCluster(scope.tenantId, scope.projectId, id);
    const host = await hostAccessOf(store, placement.ref, placement.host);
    try {
      const operation = await startOperation({
        tx,
        resource: { type: 'virtualcluster', tenantId: scope.tenantId, projectId: scope.projectId, id },
        kind: source ? 'virtualcluster.restore' : 'virtualcluster.create',
        workflow: workflowName('virtual-cluster', source ? 'restore' : 'create'),
        items: (operationId) => [
          {
            Put: {
              Item: { ...key, ...keys.virtualClustersOfOwnerIndex(scope.tenantId, scope.ownerId, id), ...keys.kindIndex('virtualcluster', scope.tenantId, id), ...vc, operationId },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          claimName(keys.virtualClusterName(scope.tenantId, scope.projectId, request.name), 'virtualclustername', { id }),
          hostAllocation(placement.ref, request.resources, 1, placement),
          updateItem(keys.project(scope.tenantId, scope.projectId), { add: { virtualClusters: 1 }, touch: false, condition: { expression: 'attribute_not_exists(deleting)' } }),
          ...quotaItems,
          // Its usage is metered from the moment the allocation is taken.
          virtualClusterMeter({ tenantId: scope.tenantId, projectId: scope.projectId, id, name: request.name, ownerId: scope.ownerId, host: placement.ref }, 'running', request.resources),
          // A restore's backup must still be there, Completed (after the items whose indexes onConflict reads).
          ...(source ? [restoreSourceCheck(source)] : []),
        ],
        input: () => workflowInputFor(vc, host),
        requestId: options.requestId,
        onStartFailure: markStartFailure,
        onConflict: (error) => {
          // The restore's check follows the vc, name, host, project, quota and meter items.
          if (source && error.reasons[5 + quotaItems.length] === 'ConditionalCheckFailed') return new ApiError('invalid_state', `backup ${source.name} was deleted or changed at the same moment`);
          const [, name, hostItem, project, ...quotaReasons] = error.reasons;
          if (name === 'ConditionalCheckFailed') return new ApiError('conflict', `a virtual cluster named ${request.name} already exists in this project`);
          if (project === 'ConditionalCheckFailed') return new ApiError('conflict', 'the project is being deleted');
          if (hostItem === 'ConditionalCheckFailed' || quotaReasons.includes('ConditionalCheckFailed')) return new PlacementRetry();
          return new ApiError('conflict', 'the virtual cluster could not be created; retry');
        },
      });
      logger.info('virtual cluster placed', { virtualClusterId: id, host: placement.host.name, attempt, load: Number(placement.load.toFixed(3)) });
      return { virtualCluster: { ...vc, operationId: operation.id }, operation };
    } catch (error) {
      if (!(error instanceof PlacementRetry || error instanceof TransactionContention)) throw error;
      placementStats.retries++;
      if (attempt + 1 >= MAX_PLACEMENT_ATTEMPTS) {
        throw new ApiError('conflict', `cluster group ${group.name} is busy with other creates; retry in a moment`);
      }
      await jitter(attempt);
    }
  }
}

// ---------------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------------

export async function getVirtualCluster(store: Store, tenantId: string, projectId: string, id: string) {
  const vc = await getItem(store, keys.virtualCluster(tenantId, projectId, id), virtualClusterItem);
  if (!vc) throw notFound(`virtual cluster ${id}`);
  return vc;
}

export function listVirtualClusters(store: Store, tenantId: string, projectId: string, query: { limit: number; cursor?: string; phase?: VirtualClusterPhase }) {
  return queryPage(
    store,
    {
      ...lists.virtualClusters(tenantId, projectId),
      limit: query.limit,
      cursor: query.cursor,
      filter: phaseFilter(query.phase),
    },
    virtualClusterItem,
  );
}

/** Activity is recorded at most once a minute per virtual cluster, so reads stay reads. */
export const ACTIVITY_RESOLUTION_MS = 60_000;

/**
 * Moves `lastActivityAt` (what auto-pause measures idleness by) without touching the
 * version: activity is not a change of the resource.
 */
export async function recordActivity(store: Store, vc: Pick<VirtualClusterItem, 'tenantId' | 'projectId' | 'id' | 'lastActivityAt'>, now = new Date()) {
  if (now.getTime() - Date.parse(vc.lastActivityAt) < ACTIVITY_RESOLUTION_MS) return;
  const at = now.toISOString();
  try {
    await update(
      store,
      updateItem(keys.virtualCluster(vc.tenantId, vc.projectId, vc.id), {
        set: { lastActivityAt: at },
        touch: false,
        condition: { expression: 'lastActivityAt < :at', values: { ':at': at } },
      }),
    );
  } catch (error) {
    // Gone, or someone recorded it first: either way nothing to do.
    if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
  }
}

/** The virtual cluster's kubeconfig: its external address, CA and its own admin credential. */
export async function virtualClusterKubeconfig(store: Store, vc: VirtualClusterItem): Promise<string> {
  if (!vc.access) {
    throw new ApiError('invalid_state', `virtual cluster ${vc.name} is ${vc.status.phase}; its kubeconfig is available once it has run`);
  }
  const access = await virtualClusterAccess({ ...vc, access: vc.access });
  await recordActivity(store, vc);
  return kubeconfigYaml(access);
}

/**
 * A virtual cluster's address and its own admin credential, opened from its seal: what
 * its kubeconfig holds and what the steps that work inside it (apps, backups) connect with.
 */
export async function virtualClusterAccess(vc: Pick<VirtualClusterItem, 'id' | 'name'> & { access: NonNullable<VirtualClusterItem['access']> }): Promise<ClusterAccess> {
  const credentials = credentialsItem.parse(JSON.parse(await secretBoxFromEnv().open(vc.access.sealedCredentials, credentialPurpose(vc.id))));
  return {
    name: vc.name,
    server: vc.access.server,
    ...(vc.access.caData ? { caData: vc.access.caData } : {}),
    ...(vc.access.tlsServerName ? { tlsServerName: vc.access.tlsServerName } : {}),
    ...credentials,
  };
}

/** Binds a sealed credential to its virtual cluster: it cannot be opened as another's. */
export const credentialPurpose = (virtualClusterId: string) => `virtualcluster:${virtualClusterId}`;

// ---------------------------------------------------------------------------------
// Day-2 changes: pause, resume, resize, delete
// ---------------------------------------------------------------------------------

type DayTwoChange = Exclude<PendingVirtualClusterChange, { kind: 'create' }>;

const inProgress = new Set<VirtualClusterPhase>(['Pending', 'Provisioning', 'Pausing', 'Resuming', 'Deleting']);

/** Where each change may start: its usual phase, or Error left by the same kind of change (a retry). */
const allowedFrom: Record<DayTwoChange['kind'], VirtualClusterPhase[]> = {
  pause: ['Running'],
  resume: ['Paused'],
  resize: ['Running'],
  delete: ['Running', 'Paused', 'Error'],
};

const phaseDuring: Record<DayTwoChange['kind'], VirtualClusterPhase> = {
  pause: 'Pausing',
  resume: 'Resuming',
  resize: 'Provisioning',
  delete: 'Deleting',
};

function checkTransition(vc: VirtualClusterItem, kind: DayTwoChange['kind']) {
  const phase = vc.status.phase;
  const retry = phase === 'Error' && vc.pending?.kind === kind && kind !== 'delete';
  if (allowedFrom[kind].includes(phase) || retry) return;
  const reason =
    kind === 'pause' && phase === 'Paused'
      ? `virtual cluster ${vc.name} is already paused`
      : kind === 'resume' && phase === 'Running'
        ? `virtual cluster ${vc.name} is already running`
        : `cannot ${kind} virtual cluster ${vc.name} while it is ${phase}` + (inProgress.has(phase) ? '; wait for the running operation to finish' : '');
  throw new ApiError('invalid_state', reason);
}

/** A resize's new resources: within the group's bounds, storage only grows (a volume cannot shrink). */
export async function planResize(store: Store, vc: VirtualClusterItem, requested: Partial<Resources>): Promise<ResizePlan> {
  const next = { ...vc.resources, ...requested };
  const group = await getClusterGroup(store, vc.tenantId, vc.clusterGroupId);
  checkResources(next, group);
  if (next.storageGiB < vc.resources.storageGiB) {
    throw validationFailed(`storage can grow, not shrink: the virtual cluster has ${vc.resources.storageGiB} GiB`, [
      { path: 'body.resources.storageGiB', message: `at least the current ${vc.resources.storageGiB} GiB` },
    ]);
  }
  if (next.cpu === vc.resources.cpu && next.memoryMiB === vc.resources.memoryMiB && next.storageGiB === vc.resources.storageGiB) {
    throw new ApiError('invalid_state', `virtual cluster ${vc.name} already has ${describe(next)}`);
  }
  return { resources: next, group };
}

/** A resize's new resources, with the group they were checked against (its oversubscription sizes the host's room). */
export interface ResizePlan {
  resources: Resources;
  group: ClusterGroupItem;
}

/** What a change may write besides itself, in the same conditional write (a PATCH's sleep settings, the schedule's bookkeeping). */
export type ChangeExtras = Partial<Pick<VirtualClusterItem, 'sleepSchedule' | 'sleepScheduleApplied' | 'preventWake' | 'deleteAfterIdleDays' | 'backup' | 'backupState'>>;

export interface ChangeOptions {
  ifMatch?: number;
  requestId?: string;
  resize?: ResizePlan;
  /** Fields set with the change (undefined: removed). */
  also?: ChangeExtras;
  /** False when the platform makes the change (a schedule, a job): it is not activity, `lastActivityAt` stays. */
  activity?: boolean;
}

/**
 * Starts a pause, resume, resize or delete: moves the virtual cluster to the change's
 * phase and records the operation in one conditional write (two changes can never run
 * at once); a resize reserves its growth on the host and in the quota in the same
 * transaction, under the same conditions as a create.
 */
export async function beginChange(tx: Tx, vc: VirtualClusterItem, change: DayTwoChange, options: ChangeOptions = {}) {
  assertIfMatch(vc, options.ifMatch);
  checkTransition(vc, change.kind);
  const { store } = tx;
  const now = nowIso();
  const lastActivityAt = options.activity === false ? vc.lastActivityAt : now;
  const also = options.also ?? {};
  const resources = change.kind === 'resize' ? options.resize!.resources : vc.resources;
  const status = {
    phase: phaseDuring[change.kind],
    message:
      change.kind === 'pause'
        ? 'scaling the control plane to zero'
        : change.kind === 'resume'
          ? 'starting the control plane'
          : change.kind === 'resize'
            ? `resizing to ${describe(resources)}`
            : 'removing the virtual cluster from its host',
  };
  const reservation = change.kind === 'resize' && vc.reservation ? { ...vc.reservation, ...resources } : vc.reservation;
  const next: VirtualClusterItem = { ...vc, ...also, status, pending: change, resources, lastActivityAt, updatedAt: now, version: vc.version + 1, ...(reservation ? { reservation } : {}) };
  const key = keys.virtualCluster(vc.tenantId, vc.projectId, vc.id);
  const counterItems: TransactItem[] = [];
  if (change.kind === 'resize') {
    if (!vc.reservation) throw new ApiError('invalid_state', `virtual cluster ${vc.name} holds no resources to resize; delete it`);
    const delta = difference(resources, vc.resources);
    const hostItem = await getItem(store, keys.cluster(vc.host.tenantId, vc.host.projectId, vc.host.clusterId), hostClusterItem);
    if (!hostItem) throw new ApiError('invalid_state', `the host of virtual cluster ${vc.name} is gone`);
    const capacity = oversubscribed(hostCapacity(hostItem), options.resize!.group.oversubscriptionPercent);
    const room = roomOn(hostItem, capacity);
    const short = resourceFields.filter((f) => delta[f] > room[f]);
    if (short.length) {
      throw new ApiError('quota_exceeded', `host ${hostItem.name} has no room for the growth: ${short.map((f) => `${room[f]} ${resourceNames[f]} free`).join(', ')}`);
    }
    counterItems.push(hostAllocation(vc.host, delta, 0, { host: hostItem, capacity }));
    counterItems.push(virtualClusterMeter(vc, 'running', resources));
    if (vc.reservation.quota) counterItems.push(...reserveQuota(vc.tenantId, vc.ownerId, await quotaStateOf(store, vc.tenantId, vc.ownerId), amountsOf(delta, 0)));
  }
  const host = await hostAccessOf(store, vc.host);
  const operation = await startOperation({
    tx,
    resource: { type: 'virtualcluster', tenantId: vc.tenantId, projectId: vc.projectId, id: vc.id },
    kind: `virtualcluster.${change.kind}`,
    workflow: workflowName('virtual-cluster', change.kind),
    items: (operationId) => [
      updateItem(key, {
        set: { ...also, status, pending: change, operationId, ...(options.activity === false ? {} : { lastActivityAt }), ...(change.kind === 'resize' ? { resources, reservation } : {}) },
        expectedVersion: vc.version,
        now,
      }),
      ...counterItems,
    ],
    input: () => workflowInputFor(next, host),
    requestId: options.requestId,
    onStartFailure: markStartFailure,
    onConflict: async (error) => {
      if (error.reasons[0] === 'ConditionalCheckFailed') {
        const latest = await getItem(store, key, virtualClusterItem);
        if (!latest) return notFound(`virtual cluster ${vc.id}`);
        return new ApiError('conflict', `virtual cluster ${vc.name} changed at the same time (it is ${latest.status.phase} now); retry`);
      }
      // The host's room or the owner's quota moved since they were read.
      return new ApiError('quota_exceeded', `the resize of virtual cluster ${vc.name} no longer fits its host or your quota; retry to check again`);
    },
  });
  return { virtualCluster: { ...next, operationId: operation.id }, operation };
}

/** A PATCH's sleep settings: `null` removes a setting, an absent one stays. */
export interface SleepSettingsPatch {
  sleepSchedule?: SleepSchedule | null;
  preventWake?: boolean;
  deleteAfterIdleDays?: number | null;
  /** The backup schedule (shared/backups): a new one runs from now. */
  backup?: BackupSchedule | null;
}

/** The fields a settings patch writes; a new or removed schedule is evaluated afresh (its applied fire time forgotten). */
export function sleepSettingsChange(patch: SleepSettingsPatch): ChangeExtras {
  const set: ChangeExtras = {};
  if (patch.sleepSchedule !== undefined) Object.assign(set, { sleepSchedule: patch.sleepSchedule ?? undefined, sleepScheduleApplied: undefined });
  if (patch.preventWake !== undefined) set.preventWake = patch.preventWake;
  if (patch.deleteAfterIdleDays !== undefined) set.deleteAfterIdleDays = patch.deleteAfterIdleDays ?? undefined;
  if (patch.backup !== undefined) Object.assign(set, { backup: patch.backup ?? undefined, backupState: patch.backup ? { since: nowIso() } : undefined });
  return set;
}

/**
 * Changes only the sleep settings (no operation): one UpdateItem under the version
 * read (and If-Match), audited; a PATCH is an API call on the cluster, so it is activity.
 */
export async function updateSleepSettings(tx: Tx, vc: VirtualClusterItem, patch: SleepSettingsPatch, options: { ifMatch?: number } = {}) {
  assertIfMatch(vc, options.ifMatch);
  if (vc.status.phase === 'Deleting') throw new ApiError('invalid_state', `virtual cluster ${vc.name} is being deleted`);
  const now = nowIso();
  const set = sleepSettingsChange(patch);
  const key = keys.virtualCluster(vc.tenantId, vc.projectId, vc.id);
  try {
    await tx.commit([updateItem(key, { set: { ...set, lastActivityAt: now }, expectedVersion: vc.version, now })], {
      resourceId: vc.id,
      auditDetail: `sleep settings: ${Object.keys(patch).join(', ')}`,
    });
  } catch (error) {
    if (!(error instanceof TransactionConflict)) throw error;
    throw await versionConflict(tx.store, key, `virtual cluster ${vc.name}`, options.ifMatch);
  }
  const next: VirtualClusterItem = { ...vc, ...set, lastActivityAt: now, updatedAt: now, version: vc.version + 1 };
  return next;
}

/** The finish of a delete: the virtual cluster, its name and project count gone; its reservation given back. */
export function deletionItems(target: Target, operationId: string, context: Pick<VirtualClusterContext, 'virtualCluster' | 'reservation'>): TransactItem[] {
  return [
    {
      Delete: {
        Key: keys.virtualCluster(target.tenantId, target.projectId, target.virtualClusterId),
        ConditionExpression: 'operationId = :op',
        ExpressionAttributeValues: { ':op': operationId },
      },
    },
    { Delete: { Key: keys.virtualClusterName(target.tenantId, target.projectId, context.virtualCluster.name) } },
    updateItem(keys.project(target.tenantId, target.projectId), { add: { virtualClusters: -1 }, touch: false }),
    ...(context.reservation ? releaseItems(target.tenantId, context.virtualCluster.ownerId, context.reservation) : []),
  ];
}

// ---------------------------------------------------------------------------------
// Recovery of interrupted operations
// ---------------------------------------------------------------------------------

export const virtualClusterRecovery: OperationRecovery = {
  async resume(store, operation) {
    const vc = operation.projectId ? await getItem(store, keys.virtualCluster(operation.tenantId, operation.projectId, operation.resourceId), virtualClusterItem) : undefined;
    const target = { tenantId: operation.tenantId, projectId: operation.projectId ?? '', virtualClusterId: operation.resourceId };
    if (!vc || vc.operationId !== operation.id || !vc.pending) {
      const superseded = { code: 'Superseded', message: 'the virtual cluster is gone or another operation replaced this one' };
      await transact(store, [finishOperationItem(target.tenantId, operation.id, { status: 'Failed', error: superseded })]).catch(() => undefined);
      return false;
    }
    await launchWorkflow(store, operation, workflowInputFor(vc, await hostAccessOf(store, vc.host)), markStartFailure);
    return true;
  },
  async fail(store, operation, reason) {
    const vc = operation.projectId ? await getItem(store, keys.virtualCluster(operation.tenantId, operation.projectId, operation.resourceId), virtualClusterItem) : undefined;
    const target = { tenantId: operation.tenantId, projectId: operation.projectId ?? '', virtualClusterId: operation.resourceId };
    const context = vc?.pending && vc.operationId === operation.id ? { change: vc.pending, ...(vc.reservation ? { reservation: vc.reservation } : {}), virtualCluster: vc } : undefined;
    if (!context) {
      await transact(store, [finishOperationItem(target.tenantId, operation.id, { status: 'Failed', error: { code: 'OperationInterrupted', message: reason } })]).catch(() => undefined);
      return;
    }
    await failVirtualClusterOperation(store, target, operation.id, context, { code: 'OperationInterrupted', message: reason });
  },
};


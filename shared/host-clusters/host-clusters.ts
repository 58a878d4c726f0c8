/**
 * Host clusters: Kubernetes clusters provisioned on a provider from a cluster profile
 * (or imported by kubeconfig), changed and deleted through workflows. A cluster holds
 * a reference count on the cloud account and profile versions it uses and on its
 * project, changed in the same transaction as the cluster, so none of them can be
 * deleted from under it.
 */
import { agentPhase, heartbeatSeconds } from '../agents/heartbeat.ts';
import { agentItem } from '../agents/items.ts';
import { agentsById, listAgents } from '../agents/agents.ts';
import type { AgentItem } from '../agents/items.ts';
import { ApiError, assertIfMatch, notFound, validationFailed } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Store } from '../store/client.ts';
import { keys, lists } from '../store/keys.ts';
import { pickFields } from '../store/items.ts';
import { claimName } from '../store/names.ts';
import { getItem, nowIso, queryPage, transact, TransactionConflict, phaseFilter, updateItem, type TransactItem } from '../store/table.ts';
import type { Tx } from '../store/tx.ts';
import { finishOperationItem, launchWorkflow, pollPlan, startOperation, type WorkflowInput } from '../operations/operations.ts';
import type { OperationItem } from '../operations/items.ts';
import type { OperationRecovery } from '../operations/recovery.ts';
import { accountSettingsOf, providerOfAccount, type AccountSettings } from '../cloud-accounts/items.ts';
import type { EdgeHostRef } from './items.ts';
import { getCloudAccount } from '../cloud-accounts/cloud-accounts.ts';
import { accountOf, hostClusterAccessForApi, isReachablePhase } from './access.ts';
import { getClusterProfile } from '../cluster-profiles/cluster-profiles.ts';
import { resolveProfileVariables } from '../cluster-profiles/variables.ts';
import type { ClusterProfileItem } from '../cluster-profiles/items.ts';
import { KubeconfigError, kubeconfigYaml, parseKubeconfig } from '../kube/kubeconfig.ts';
import type { ProviderKind } from '../providers/index.ts';
import { SIM_DEFAULTS } from '../providers/sim.ts';
import { clusterCapacity, instanceTypes, withGpuDefaults } from './instance-types.ts';
import { POLL_SECONDS, workflowName } from '#workflows/names.ts';
import { compareKubernetesVersions, DEFAULT_KUBERNETES_VERSION } from './kubernetes-version.ts';
import { hostClusterItem, clusterNameItem, type HostClusterItem, type HostClusterPhase, type NodePool, type PendingChange } from './items.ts';
import { hostCluster as hostClusterShape } from './schemas.ts';

export const toHostCluster = (item: HostClusterItem) =>
  pickFields(hostClusterShape, {
    ...item,
    nodePools: item.nodePools.map((pool) => ({ ...pool, gpu: instanceTypes[pool.instanceType]?.gpu ?? null })),
    capacity: clusterCapacity(item),
    ...(item.edge ? { edge: { hosts: item.edge.hosts.map(({ hostId, role, name }) => ({ hostId, role, name })) } } : {}),
  });

/** The provider a cloud account's clusters run on. */
/** The profile cloud that fits an account's provider (the same names). */
const profileCloudOfAccount = providerOfAccount satisfies Record<AccountSettings['provider'], ProviderKind>;
/** The network a cluster of each account's provider may name: the field that says it is one. */
const networkFieldOf = { aws: 'subnetIds', azure: 'vnetSubnetId', gcp: 'network', vsphere: undefined } as const;

// ---------------------------------------------------------------------------------
// References: account, profile versions and project a cluster holds
// ---------------------------------------------------------------------------------

export interface ClusterRefs {
  accountId: string | null;
  profileIds: string[];
}

/** What a cluster item holds: its account, its profile and, during an upgrade, the target profile. */
export function refsOf(cluster: Pick<HostClusterItem, 'cloudAccountId' | 'profileId' | 'pending'>): ClusterRefs {
  const profiles = [cluster.profileId, cluster.pending?.kind === 'upgrade' ? cluster.pending.profileId : null].filter((id): id is string => !!id);
  return { accountId: cluster.cloudAccountId, profileIds: [...new Set(profiles)] };
}

/**
 * The counter changes that move a cluster from holding `before` to holding `after`
 * (undefined: the cluster does not exist). A new reference requires its target to
 * exist, so it fails instead of pointing at something deleted a moment ago.
 */
export function referenceUpdates(tenantId: string, projectId: string, before: ClusterRefs | undefined, after: ClusterRefs | undefined): TransactItem[] {
  const deltas = new Map<string, { key: { pk: string; sk: string }; delta: number; project?: boolean }>();
  const add = (key: { pk: string; sk: string }, delta: number, project = false) => {
    const id = `${key.pk}|${key.sk}`;
    const entry = deltas.get(id) ?? { key, delta: 0, project };
    entry.delta += delta;
    deltas.set(id, entry);
  };
  for (const [refs, sign] of [[before, -1], [after, 1]] as const) {
    if (!refs) continue;
    if (refs.accountId) add(keys.cloudAccount(tenantId, projectId, refs.accountId), sign);
    for (const profileId of refs.profileIds) add(keys.clusterProfile(tenantId, projectId, profileId), sign);
  }
  if (!before && after) add(keys.project(tenantId, projectId), 1, true);
  if (before && !after) add(keys.project(tenantId, projectId), -1, true);
  return [...deltas.values()]
    .filter((entry) => entry.delta !== 0)
    .map(({ key, delta, project }) =>
      updateItem(key, {
        add: { [project ? 'hostClusters' : 'clusters']: delta },
        ...(project && delta > 0 ? { condition: { expression: 'attribute_not_exists(deleting)' } } : {}),
      }),
    );
}

// ---------------------------------------------------------------------------------
// Workflow input: what the steps need, carried instead of re-read
// ---------------------------------------------------------------------------------

export interface HostClusterContext {
  change: PendingChange;
  cluster: Pick<HostClusterItem, 'name' | 'provider' | 'providerName' | 'staleProviderName' | 'region' | 'kubernetesVersion' | 'nodePools' | 'network' | 'edge' | 'vsphere' | 'tenantId' | 'projectId'>;
  account?: AccountSettings;
  /** The add-ons to apply once the cluster runs: the profile version and the variable values. */
  addons?: { profileId: string; variables: Record<string, string> };
  /** What the cluster holds while the operation runs; the finish moves or releases it. */
  refs: ClusterRefs;
}

export type HostClusterWorkflowInput = WorkflowInput<HostClusterContext>;

/**
 * Seconds a workflow expects its provider to take: EKS control planes and node groups
 * take 15–25 minutes, AKS and GKE clusters 5–15 (a GPU pool's driver install adds more).
 */
function expectedSeconds(provider: ProviderKind, account: AccountSettings | undefined) {
  if (provider === 'eks') return 45 * 60;
  if (provider === 'aks' || provider === 'gke') return 30 * 60;
  if (provider === 'sim') return account?.sim?.provisionSeconds ?? SIM_DEFAULTS.provisionSeconds;
  // Agents pull their tasks with their next heartbeat: a few heartbeats to join, then Kubernetes to start.
  if (provider === 'edge') return 6 * heartbeatSeconds() + 60;
  return 4 * 60;
}

const pollSecondsFor = (provider: ProviderKind) =>
  provider === 'eks' || provider === 'aks' || provider === 'gke' ? 30 : provider === 'sim' ? 1 : provider === 'edge' ? Math.max(1, Math.round(heartbeatSeconds() / 2)) : POLL_SECONDS;

/** The execution input for the cluster's pending change: one rule for create, change and resume alike. */
export function workflowInputFor(cluster: HostClusterItem, account: AccountSettings | undefined) {
  const change = cluster.pending!;
  const addonsProfile = change.kind === 'upgrade' ? change.profileId : change.kind === 'create' ? cluster.profileId : null;
  const context: HostClusterContext = {
    change,
    cluster: {
      tenantId: cluster.tenantId,
      projectId: cluster.projectId,
      name: cluster.name,
      provider: cluster.provider,
      providerName: cluster.providerName,
      ...(cluster.staleProviderName ? { staleProviderName: cluster.staleProviderName } : {}),
      region: cluster.region,
      kubernetesVersion: cluster.kubernetesVersion,
      nodePools: cluster.nodePools,
      ...(cluster.network ? { network: cluster.network } : {}),
      ...(cluster.edge ? { edge: cluster.edge } : {}),
      ...(cluster.vsphere ? { vsphere: cluster.vsphere } : {}),
    },
    ...(account ? { account } : {}),
    ...(addonsProfile ? { addons: { profileId: addonsProfile, variables: change.kind === 'upgrade' ? change.variables : cluster.variables } } : {}),
    refs: refsOf(cluster),
  };
  return { ...pollPlan(expectedSeconds(cluster.provider, account), pollSecondsFor(cluster.provider)), context };
}

const workflowOf = (change: PendingChange['kind']) => workflowName('host-cluster', change);

type ClusterTarget = { tenantId: string; projectId: string; clusterId: string };

/** The cluster's update, on condition the operation still owns it. */
export function ownedClusterUpdate(target: ClusterTarget, operationId: string, change: Parameters<typeof updateItem>[1]): TransactItem {
  return updateItem(keys.cluster(target.tenantId, target.projectId, target.clusterId), {
    ...change,
    condition: { expression: 'operationId = :op', values: { ':op': operationId } },
  });
}

/**
 * Phase Error with the reason and the operation Failed, in one transaction; when the
 * cluster is gone or another operation owns it, the operation still ends (once).
 * Uses nothing but its arguments, so a failure path cannot fail on a missing read.
 */
export async function failClusterOperation(store: Store, target: ClusterTarget, operationId: string, error: { code: string; message: string }) {
  const fail = finishOperationItem(target.tenantId, operationId, { status: 'Failed', error });
  try {
    await transact(store, [ownedClusterUpdate(target, operationId, { set: { status: { phase: 'Error', message: error.message } } }), fail]);
  } catch (cancelled) {
    if (!(cancelled instanceof TransactionConflict)) throw cancelled;
    await transact(store, [fail]).catch((again: unknown) => {
      if (!(again instanceof TransactionConflict)) throw again;
    });
  }
}

/** A workflow that could not start leaves the cluster in Error (the operation is failed by the caller). */
async function markStartFailure(store: Store, operation: OperationItem, message: string) {
  await transact(store, [
    ownedClusterUpdate({ tenantId: operation.tenantId, projectId: operation.projectId!, clusterId: operation.resourceId }, operation.id, {
      set: { status: { phase: 'Error', message } },
    }),
  ]).catch((error: unknown) => {
    if (!(error instanceof TransactionConflict)) throw error;
  });
}

// ---------------------------------------------------------------------------------
// Create and import
// ---------------------------------------------------------------------------------

export type NewClusterSpec = Pick<HostClusterItem, 'name' | 'provider' | 'cloudAccountId' | 'region' | 'profileId' | 'kubernetesVersion' | 'nodePools' | 'hostCluster' | 'variables'> &
  Partial<Pick<HostClusterItem, 'network' | 'kubeconfig' | 'edge' | 'vsphere'>>;

const referenceConflict = () =>
  new ApiError('conflict', 'the cluster\'s cloud account, profile version or project was deleted at the same moment; check them and retry');

function withoutUndefined<T extends Record<string, unknown>>(item: T): T {
  return Object.fromEntries(Object.entries(item).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Writes the cluster (phase Provisioning), its name reservation, its references and
 * its operation in one transaction, then starts the create (or import) workflow. A
 * cluster of the same name left in `Error` by a failed create is retried in place with
 * the new spec, under a fresh provider name; its failed attempt is cleaned up.
 */
export async function createHostCluster(
  tx: Tx,
  scope: { tenantId: string; projectId: string },
  spec: NewClusterSpec,
  options: { account?: AccountSettings; requestId?: string } = {},
) {
  const { store } = tx;
  const now = nowIso();
  const kind = spec.provider === 'imported' ? 'import' : 'create';
  const reservation = await getItem(store, keys.clusterName(scope.tenantId, scope.projectId, spec.name), clusterNameItem);
  const previous = reservation ? await getItem(store, keys.cluster(scope.tenantId, scope.projectId, reservation.id), hostClusterItem) : undefined;
  if (previous && previous.status.phase !== 'Error') {
    throw new ApiError('conflict', `a cluster named ${spec.name} already exists in this project (${previous.status.phase})`);
  }
  // Only a failed create is retried by creating again; a cluster that failed a day-2
  // change still exists at its provider and is retried with that change (or deleted).
  if (previous && previous.pending?.kind !== 'create' && previous.pending?.kind !== 'import') {
    throw new ApiError('conflict', `cluster ${spec.name} exists and failed a ${previous.pending?.kind ?? 'change'}; retry that or delete it`);
  }
  const id = previous?.id ?? newId('cluster');
  const base = `palette-${id.slice(3).toLowerCase()}`;
  const owned = {
    ...spec,
    network: spec.network,
    kubeconfig: spec.kubeconfig,
    status: { phase: 'Provisioning' as const, message: kind === 'import' ? 'validating the kubeconfig' : 'provisioning the control plane' },
    providerName: previous ? `${base}-${previous.version + 1}` : base,
    // A retry provisions afresh; the failed attempt's provider resource is removed first.
    staleProviderName: previous && previous.provider !== 'imported' ? previous.providerName : undefined,
    pending: { kind } as PendingChange,
  };
  const cluster: HostClusterItem = {
    virtualClusters: 0,
    allocatedCpu: 0,
    allocatedMemoryMiB: 0,
    allocatedStorageGiB: 0,
    allocatedGpu: 0,
    ...previous,
    type: 'cluster',
    id,
    tenantId: scope.tenantId,
    projectId: scope.projectId,
    ...owned,
    createdAt: previous?.createdAt ?? now,
    updatedAt: now,
    version: (previous?.version ?? 0) + 1,
  };
  const key = keys.cluster(scope.tenantId, scope.projectId, id);
  const ownWrites = (operationId: string): TransactItem[] =>
    previous
      ? [updateItem(key, { set: { ...owned, operationId, ...keys.kindIndex('cluster', scope.tenantId, id) }, expectedVersion: previous.version, now })]
      : [
          { Put: { Item: { ...key, ...keys.kindIndex('cluster', scope.tenantId, id), ...withoutUndefined({ ...cluster, operationId }) }, ConditionExpression: 'attribute_not_exists(pk)' } },
          claimName(keys.clusterName(scope.tenantId, scope.projectId, spec.name), 'clustername', { id }),
        ];
  const ownCount = previous ? 1 : 2;
  const operation = await startOperation({
    tx,
    resource: { type: 'cluster', tenantId: scope.tenantId, projectId: scope.projectId, id },
    kind: `cluster.${kind}`,
    workflow: workflowOf(kind),
    items: (operationId) => [
      ...ownWrites(operationId),
      ...referenceUpdates(scope.tenantId, scope.projectId, previous ? refsOf(previous) : undefined, refsOf(cluster)),
      ...(spec.edge ? takeEdgeHosts(id, spec.edge.hosts) : []),
    ],
    input: () => workflowInputFor(cluster, options.account),
    requestId: options.requestId,
    onStartFailure: markStartFailure,
    onConflict: (error) => {
      if (error.reasons.slice(0, ownCount).includes('ConditionalCheckFailed')) return new ApiError('conflict', `a cluster named ${spec.name} already exists in this project`);
      return takenHosts(spec.edge?.hosts ?? [], error.reasons) ?? referenceConflict();
    },
  });
  return { cluster: { ...cluster, operationId: operation.id }, operation };
}

/**
 * A running edge cluster whose control-plane host went quiet says so in its status
 * (read from the host's lastSeenAt: there is no timer per agent).
 */
export async function withEdgeHealth(store: Store, cluster: HostClusterItem): Promise<HostClusterItem> {
  const controlPlane = cluster.edge?.hosts.find((h) => h.role === 'control-plane');
  if (!controlPlane || cluster.status.phase !== 'Running') return cluster;
  const agent = await getItem(store, keys.agentByKeyHash(controlPlane.keyHash), agentItem);
  if (agent && agentPhase(agent) !== 'Unreachable') return cluster;
  const message = agent
    ? `the control-plane host ${controlPlane.name} is unreachable: no heartbeat since ${agent.lastSeenAt}`
    : `the control-plane host ${controlPlane.name} was removed`;
  return { ...cluster, status: { ...cluster.status, message } };
}

export async function getHostCluster(store: Store, tenantId: string, projectId: string, clusterId: string) {
  const cluster = await getItem(store, keys.cluster(tenantId, projectId, clusterId), hostClusterItem);
  if (!cluster) throw notFound(`cluster ${clusterId}`);
  return cluster;
}

export function listHostClusters(store: Store, tenantId: string, projectId: string, query: { limit: number; cursor?: string; phase?: HostClusterPhase }) {
  return queryPage(
    store,
    {
      ...lists.clusters(tenantId, projectId),
      limit: query.limit,
      cursor: query.cursor,
      filter: phaseFilter(query.phase),
    },
    hostClusterItem,
  );
}

// ---------------------------------------------------------------------------------
// Day-2 changes
// ---------------------------------------------------------------------------------

const inProgress = (phase: HostClusterPhase) => phase === 'Provisioning' || phase === 'Updating' || phase === 'Deleting' || phase === 'Pending';

type DayTwoChange = Exclude<PendingChange, { kind: 'create' } | { kind: 'import' }>;

/**
 * A day-2 change (scale, upgrade, delete): moves the cluster to its in-progress phase,
 * moves its references and records the operation in one conditional write, so two
 * changes can never run on the same cluster at once, then starts the workflow.
 */
/** A create that failed before its provider accepted it: the cloud holds nothing of the cluster. */
const neverReachedCloud = (cluster: HostClusterItem) =>
  cluster.provider !== 'imported' && cluster.status.phase === 'Error' && cluster.pending?.kind === 'create' && !cluster.cloudResourceAt && !cluster.staleProviderName;

/** What a forced delete may leave behind, for the audit entry. */
function leftBehind(cluster: HostClusterItem): string {
  if (cluster.provider === 'imported') return 'forced delete of an imported cluster: the cluster itself was never ours and is untouched';
  if (neverReachedCloud(cluster)) return 'forced delete: the create never reached the cloud, nothing is left there';
  const names = [cluster.providerName, ...(cluster.staleProviderName ? [cluster.staleProviderName] : [])].join(' and ');
  return `forced delete: the record was removed whatever the ${cluster.provider} provider answered; ${names} in ${cluster.region ?? 'its region'} ` +
    `(control plane, ${cluster.nodePools.map((p) => `node pool ${p.name}`).join(', ') || 'node pools'}) may still exist in the cloud account and must be removed there`;
}

export async function beginChange(
  tx: Tx,
  cluster: HostClusterItem,
  requested: DayTwoChange,
  options: { ifMatch?: number; account?: AccountSettings; requestId?: string; force?: boolean } = {},
) {
  assertIfMatch(cluster, options.ifMatch);
  const force = requested.kind === 'delete' && options.force === true;
  const change: DayTwoChange =
    requested.kind !== 'delete' ? requested : force ? { kind: 'delete', cloud: 'forced' } : neverReachedCloud(cluster) ? { kind: 'delete', cloud: 'never-created' } : requested;
  // From Error: delete always; a failed scale or upgrade may be retried (the cluster exists). A forced delete from any phase.
  const retryable = force || (cluster.status.phase === 'Error' && (change.kind === 'delete' || cluster.pending?.kind === 'scale' || cluster.pending?.kind === 'upgrade'));
  if (cluster.status.phase !== 'Running' && !retryable) {
    throw new ApiError(
      'invalid_state',
      `cannot ${change.kind} cluster ${cluster.name} while it is ${cluster.status.phase}` + (inProgress(cluster.status.phase) ? '; wait for the running operation to finish' : ''),
    );
  }
  const status = {
    phase: (change.kind === 'delete' ? 'Deleting' : 'Updating') as HostClusterPhase,
    message:
      change.kind === 'delete' ? 'deleting' : change.kind === 'scale' ? `scaling node pool ${change.pool.name} to ${change.pool.count}` : `upgrading to Kubernetes ${change.kubernetesVersion}`,
  };
  const now = nowIso();
  // Hosts joining an edge cluster are its members (and held by it) from the request on.
  const joining = change.kind === 'scale' ? (change.edge?.join ?? []) : [];
  const edge = joining.length && cluster.edge ? { edge: { hosts: [...cluster.edge.hosts, ...joining] } } : {};
  const next: HostClusterItem = { ...cluster, ...edge, status, pending: change, updatedAt: now, version: cluster.version + 1 };
  const key = keys.cluster(cluster.tenantId, cluster.projectId, cluster.id);
  const operation = await startOperation({
    tx,
    resource: { type: 'cluster', tenantId: cluster.tenantId, projectId: cluster.projectId, id: cluster.id },
    kind: `cluster.${change.kind}`,
    workflow: workflowOf(change.kind),
    items: (operationId) => [
      updateItem(key, {
        set: { status, pending: change, operationId, ...edge },
        expectedVersion: cluster.version,
        now,
        // Virtual clusters live on a host; a host that carries any cannot go.
        ...(change.kind === 'delete' ? { condition: { expression: 'attribute_not_exists(virtualClusters) OR virtualClusters = :none', values: { ':none': 0 } } } : {}),
      }),
      ...referenceUpdates(cluster.tenantId, cluster.projectId, refsOf(cluster), refsOf(next)),
      ...takeEdgeHosts(cluster.id, joining),
    ],
    input: () => workflowInputFor(next, options.account),
    requestId: options.requestId,
    ...(force ? { auditDetail: leftBehind(cluster) } : change.kind === 'delete' && change.cloud ? { auditDetail: 'its create never reached the cloud: deleted without calling it' } : {}),
    onStartFailure: markStartFailure,
    onConflict: async (error) => {
      const taken = takenHosts(joining, error.reasons);
      if (taken) return taken;
      if (error.reasons[0] !== 'ConditionalCheckFailed') return referenceConflict();
      const latest = await getItem(tx.store, key, hostClusterItem);
      if (latest && latest.version === cluster.version && change.kind === 'delete' && latest.virtualClusters > 0) {
        return new ApiError('invalid_state', `cluster ${cluster.name} still hosts ${latest.virtualClusters} virtual cluster(s); delete them first`);
      }
      return new ApiError('conflict', `cluster ${cluster.name} changed at the same time; retry`);
    },
  });
  return { cluster: { ...next, operationId: operation.id }, operation };
}

// ---------------------------------------------------------------------------------
// The rules of the API's requests
// ---------------------------------------------------------------------------------

async function profileFor(store: Store, tenantId: string, projectId: string, profileId: string, path: string) {
  const profile = await getClusterProfile(store, tenantId, projectId, profileId).catch(() => undefined);
  if (!profile) throw validationFailed(`no cluster profile ${profileId} in this project`, [{ path, message: 'unknown cluster profile' }]);
  return profile;
}

const asText = (values: Record<string, string | number | boolean>) => Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v)]));

export interface CreateClusterRequest {
  name: string;
  cloudAccountId: string;
  region: string;
  profileId: string;
  variables: Record<string, string | number | boolean>;
  kubernetesVersion?: string;
  nodePools: NodePool[];
  hostCluster: { enabled: boolean };
  network?: HostClusterItem['network'];
  edge?: { hosts: Array<{ hostId: string; role: 'control-plane' | 'worker' }> } | undefined;
  vsphere?: { folder?: string | undefined; resourcePool?: string | undefined } | undefined;
}

/**
 * Checks a create against its account and profile (the profile's cloud fits the
 * account; an add-on profile cannot make a cluster; an aws account needs subnets) and
 * resolves its variables: 400 with the field to fix, before anything is written.
 */
export async function planClusterCreate(store: Store, scope: { tenantId: string; projectId: string }, request: CreateClusterRequest) {
  const account = await getCloudAccount(store, scope.tenantId, scope.projectId, request.cloudAccountId).catch(() => undefined);
  if (!account) throw validationFailed(`no cloud account ${request.cloudAccountId} in this project`, [{ path: 'body.cloudAccountId', message: 'unknown cloud account' }]);
  const profile = await profileFor(store, scope.tenantId, scope.projectId, request.profileId, 'body.profileId');
  if (profile.profileType === 'add-on') {
    throw validationFailed('an add-on profile cannot create a cluster; use an infra or full profile', [{ path: 'body.profileId', message: 'add-on profile' }]);
  }
  if (profile.cloud !== 'all' && profile.cloud !== profileCloudOfAccount[account.provider]) {
    throw validationFailed(`profile ${profile.name}@${profile.profileVersion} is for ${profile.cloud}, the account is ${account.provider}`, [
      { path: 'body.profileId', message: `profile cloud ${profile.cloud} does not match the account's provider ${account.provider}` },
    ]);
  }
  if (account.provider === 'aws' && !(request.network && 'subnetIds' in request.network)) {
    throw validationFailed('an EKS cluster needs the subnets of its VPC: network.subnetIds, at least two, in two availability zones', [
      { path: 'body.network.subnetIds', message: 'required (at least two subnet ids) for an aws cloud account' },
    ]);
  }
  const edge = account.provider === 'edge' ? await planEdgeHosts(store, scope, request) : undefined;
  if (account.provider !== 'edge' && request.edge) throw validationFailed('only clusters of an edge account name edge hosts', [{ path: 'body.edge', message: 'edge accounts only' }]);
  if (account.provider !== 'edge' && request.nodePools.length === 0) throw validationFailed('a cluster needs a node pool', [{ path: 'body.nodePools', message: 'at least one node pool' }]);
  if (request.network) {
    const field = account.provider === 'sim' || account.provider === 'edge' ? undefined : networkFieldOf[account.provider];
    if (!field || !(field in request.network)) {
      const expected = field ? `network.${field}` : 'no network';
      throw validationFailed(`a ${account.provider} cluster takes ${expected}`, [{ path: 'body.network', message: `${account.provider} clusters take ${expected}` }]);
    }
  }
  const catalog = providerOfAccount[account.provider];
  const foreign = request.nodePools.flatMap((pool, i) =>
    instanceTypes[pool.instanceType]?.provider === catalog
      ? []
      : [{ path: `body.nodePools.${i}.instanceType`, message: `${pool.instanceType} is not a ${catalog} instance type (GET /v1/instancetypes?provider=${catalog})` }],
  );
  if (foreign.length) throw validationFailed(`node pools name instance types ${catalog} does not offer`, foreign);
  const { values } = await resolveProfileVariables(profile.variables, asText(request.variables));
  const spec: NewClusterSpec = {
    name: request.name,
    provider: providerOfAccount[account.provider],
    cloudAccountId: account.id,
    region: request.region,
    profileId: profile.id,
    kubernetesVersion: request.kubernetesVersion ?? profile.kubernetesVersion ?? DEFAULT_KUBERNETES_VERSION,
    nodePools: request.nodePools.map(withGpuDefaults),
    hostCluster: request.hostCluster,
    variables: values,
    ...(request.network ? { network: request.network } : {}),
    ...(edge ? { edge } : {}),
    ...(request.vsphere ? { vsphere: withoutUndefined(request.vsphere) } : {}),
  };
  if (request.vsphere && account.provider !== 'vsphere') throw validationFailed('only clusters of a vsphere account take vsphere placement', [{ path: 'body.vsphere', message: 'vsphere accounts only' }]);
  return { spec, account: accountSettingsOf(account) };
}

const hostRefOf = (agent: AgentItem, role: EdgeHostRef['role']): EdgeHostRef => ({
  hostId: agent.id, role, name: agent.name, keyHash: agent.keyHash, ...(agent.hardware ? { hardware: agent.hardware } : {}),
});

/** The registered edge hosts a create names: each must be an edge host of the project (whether free is the transaction's to say). */
async function planEdgeHosts(store: Store, scope: { tenantId: string; projectId: string }, request: CreateClusterRequest): Promise<{ hosts: EdgeHostRef[] }> {
  if (!request.edge) throw validationFailed('an edge cluster names its hosts', [{ path: 'body.edge.hosts', message: 'required for an edge account' }]);
  if (request.nodePools.length) throw validationFailed('an edge cluster is made of its hosts, not node pools', [{ path: 'body.nodePools', message: 'not for an edge account' }]);
  const agents = await agentsById(store, scope.tenantId, scope.projectId, request.edge.hosts.map((h) => h.hostId));
  const unknown = request.edge.hosts.flatMap((h, i) => (agents[i]?.kind === 'edge' ? [] : [{ path: `body.edge.hosts.${i}.hostId`, message: `no edge host ${h.hostId} in this project` }]));
  if (unknown.length) throw validationFailed('edge hosts must be registered in this project', unknown);
  return {
    hosts: request.edge.hosts.map((h, i) => hostRefOf(agents[i]!, h.role)),
  };
}

/** The hosts another cluster took first: their updates come just before the operation's put, the transaction's last item. */
function takenHosts(hosts: EdgeHostRef[], reasons: string[]): ApiError | undefined {
  const hostReasons = hosts.length ? reasons.slice(-hosts.length - 1, -1) : [];
  const taken = hosts.filter((_, i) => hostReasons[i] === 'ConditionalCheckFailed');
  return taken.length ? new ApiError('conflict', `edge host ${taken.map((h) => h.name).join(', ')} is already in another cluster`) : undefined;
}

/** Takes an edge cluster's hosts: each must be free (or held by this same cluster's earlier attempt). */
function takeEdgeHosts(clusterId: string, hosts: EdgeHostRef[]): TransactItem[] {
  return hosts.map((host) => ({
    Update: {
      Key: keys.agentByKeyHash(host.keyHash),
      UpdateExpression: 'SET clusterId = :cluster, #role = :role',
      ConditionExpression: 'attribute_exists(pk) AND #kind = :edge AND (attribute_not_exists(clusterId) OR clusterId = :cluster)',
      ExpressionAttributeNames: { '#role': 'role', '#kind': 'kind' },
      ExpressionAttributeValues: { ':cluster': clusterId, ':role': host.role, ':edge': 'edge' },
    },
  }));
}

/** Checks a kubeconfig before an import writes anything (400 at `kubeconfig`). */
export function planClusterImport(request: { name: string; kubeconfig: string; hostCluster: { enabled: boolean } }): NewClusterSpec {
  try {
    parseKubeconfig(request.kubeconfig);
  } catch (error) {
    if (error instanceof KubeconfigError) throw validationFailed(error.message, [{ path: 'body.kubeconfig', message: error.message }]);
    throw error;
  }
  return {
    name: request.name,
    provider: 'imported',
    cloudAccountId: null,
    region: null,
    profileId: null,
    kubernetesVersion: null,
    nodePools: [],
    hostCluster: request.hostCluster,
    variables: {},
    kubeconfig: request.kubeconfig,
  };
}

export function planScale(cluster: HostClusterItem, poolName: string, request: { count: number; hostIds?: string[] | undefined }): DayTwoChange {
  const { count } = request;
  if (request.hostIds) throw validationFailed('only edge clusters scale by naming hosts', [{ path: 'body.hostIds', message: 'edge clusters only' }]);
  if (cluster.provider === 'imported') throw new ApiError('invalid_state', 'node pools of an imported cluster are managed outside this platform');
  if (cluster.provider === 'edge') throw new ApiError('invalid_state', 'an edge cluster scales its hosts (planEdgeScale)');
  const pool = cluster.nodePools.find((p) => p.name === poolName);
  if (!pool) throw notFound(`node pool ${poolName} of cluster ${cluster.name}`);
  if ((pool.min !== undefined && count < pool.min) || (pool.max !== undefined && count > pool.max)) {
    throw validationFailed(`node pool ${pool.name} allows ${pool.min ?? 0}–${pool.max ?? '∞'} nodes`, [
      { path: 'body.count', message: `must be within ${pool.min ?? 0} and ${pool.max ?? 500}` },
    ]);
  }
  return { kind: 'scale', pool: { ...pool, count } };
}

const MAX_EDGE_HOSTS_JOINING = 90;

/** Free, Ready edge hosts of a project, by name: the ones a scale without `hostIds` takes. */
async function freeEdgeHosts(store: Store, cluster: HostClusterItem, wanted: number): Promise<AgentItem[]> {
  const free: AgentItem[] = [];
  let cursor: string | undefined;
  do {
    const page = await listAgents(store, cluster.tenantId, cluster.projectId, 'edge', { limit: 100, ...(cursor ? { cursor } : {}) });
    free.push(...page.items.filter((agent) => !agent.clusterId && agentPhase(agent) === 'Ready'));
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return free.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).slice(0, wanted);
}

/**
 * An edge cluster scales its workers: its `worker` pool grows by free Ready hosts of the
 * project (the named ones, or the first by name) and shrinks by workers leaving (the
 * named ones, or the last to join). Which hosts are free is the transaction's to say.
 */
export async function planEdgeScale(store: Store, cluster: HostClusterItem, poolName: string, request: { count: number; hostIds?: string[] | undefined }): Promise<DayTwoChange> {
  const hosts = cluster.edge?.hosts ?? [];
  if (poolName === 'control-plane') throw new ApiError('invalid_state', `cluster ${cluster.name} keeps its control-plane host; scale the worker pool`);
  if (poolName !== 'worker') throw notFound(`node pool ${poolName} of edge cluster ${cluster.name} (its hosts scale as the worker pool)`);
  const workers = hosts.filter((h) => h.role === 'worker');
  const delta = request.count - workers.length;
  const named = request.hostIds;
  if (named && named.length !== Math.abs(delta)) {
    throw validationFailed(`cluster ${cluster.name} has ${workers.length} worker(s): ${request.count} means ${Math.abs(delta)} ${delta >= 0 ? 'joining' : 'leaving'}`, [
      { path: 'body.hostIds', message: `name ${Math.abs(delta)} host(s)` },
    ]);
  }
  if (named && new Set(named).size !== named.length) throw validationFailed('a host is named twice', [{ path: 'body.hostIds', message: 'hosts must differ' }]);
  // Each joining host is one item of the request's transaction (DynamoDB allows 100 in all).
  if (delta > MAX_EDGE_HOSTS_JOINING) {
    throw validationFailed(`at most ${MAX_EDGE_HOSTS_JOINING} edge hosts join in one scale; cluster ${cluster.name} has ${workers.length} worker(s)`, [
      { path: 'body.count', message: `at most ${workers.length + MAX_EDGE_HOSTS_JOINING}` },
    ]);
  }
  const pool = { name: 'worker', instanceType: 'edge', count: request.count };
  if (delta < 0) {
    const leave = named
      ? named.map((id, i) => {
          const host = workers.find((h) => h.hostId === id);
          if (!host) throw validationFailed(`edge host ${id} is not a worker of cluster ${cluster.name}`, [{ path: `body.hostIds.${i}`, message: 'not a worker of this cluster' }]);
          return host;
        })
      : workers.slice(delta);
    return { kind: 'scale', pool, edge: { join: [], leave } };
  }
  if (delta === 0) return { kind: 'scale', pool, edge: { join: [], leave: [] } };
  let joining: AgentItem[];
  if (named) {
    const agents = await agentsById(store, cluster.tenantId, cluster.projectId, named);
    const problems = named.flatMap((id, i) => {
      const agent = agents[i];
      if (agent?.kind !== 'edge') return [{ path: `body.hostIds.${i}`, message: `no edge host ${id} in this project` }];
      if (hosts.some((h) => h.hostId === id)) return [{ path: `body.hostIds.${i}`, message: `already in cluster ${cluster.name}` }];
      return [];
    });
    if (problems.length) throw validationFailed('the hosts that join must be edge hosts of this project, not yet in this cluster', problems);
    joining = agents as AgentItem[];
    const quiet = joining.find((agent) => agentPhase(agent) === 'Unreachable');
    if (quiet) throw new ApiError('invalid_state', `edge host ${quiet.name} is unreachable (last seen ${quiet.lastSeenAt}); it cannot join`);
  } else {
    joining = await freeEdgeHosts(store, cluster, delta);
    if (joining.length < delta) {
      throw new ApiError('conflict', `only ${joining.length} edge host(s) of this project are free and Ready; growing to ${request.count} workers needs ${delta}`);
    }
  }
  return { kind: 'scale', pool, edge: { join: joining.map((agent) => hostRefOf(agent, 'worker')), leave: [] } };
}

/**
 * An upgrade moves a cluster to another version of its own profile, never to an older
 * Kubernetes; the variables it had carry over where the new version declares them.
 */
export async function planUpgrade(store: Store, cluster: HostClusterItem, request: { profileId: string; variables?: Record<string, string | number | boolean> }): Promise<DayTwoChange> {
  if (!cluster.profileId) throw new ApiError('invalid_state', 'an imported cluster is upgraded outside this platform');
  // Refused here rather than in the workflow, so the cluster never goes to Error for asking.
  if (cluster.provider === 'edge') throw new ApiError('invalid_state', `edge cluster ${cluster.name}'s hosts upgrade Kubernetes themselves; scale its worker pool to change its hosts`);
  const current = await profileFor(store, cluster.tenantId, cluster.projectId, cluster.profileId, 'body.profileId');
  const target: ClusterProfileItem = await profileFor(store, cluster.tenantId, cluster.projectId, request.profileId, 'body.profileId');
  if (target.name !== current.name) {
    throw validationFailed(`upgrade within profile ${current.name}; ${target.name} is another profile`, [{ path: 'body.profileId', message: 'must be a version of the same profile' }]);
  }
  if (target.id === current.id) throw new ApiError('invalid_state', `the cluster already runs ${current.name}@${current.profileVersion}`);
  if (target.profileType === 'add-on') throw validationFailed('an add-on profile cannot define a cluster', [{ path: 'body.profileId', message: 'add-on profile' }]);
  if (target.kubernetesVersion && cluster.kubernetesVersion && compareKubernetesVersions(target.kubernetesVersion, cluster.kubernetesVersion) < 0) {
    throw validationFailed(`Kubernetes cannot be downgraded from ${cluster.kubernetesVersion} to ${target.kubernetesVersion}`, [
      { path: 'body.profileId', message: `Kubernetes ${target.kubernetesVersion} is older than the cluster's ${cluster.kubernetesVersion}` },
    ]);
  }
  const carried = Object.fromEntries(Object.entries(cluster.variables).filter(([name]) => target.variables.some((v) => v.name === name)));
  const { values } = await resolveProfileVariables(target.variables, { ...carried, ...asText(request.variables ?? {}) });
  return {
    kind: 'upgrade',
    profileId: target.id,
    kubernetesVersion: target.kubernetesVersion ?? cluster.kubernetesVersion ?? DEFAULT_KUBERNETES_VERSION,
    variables: values,
  };
}

export { accountOf } from './access.ts';

/** The cluster's kubeconfig as YAML, from its provider. */
export async function hostClusterKubeconfig(store: Store, cluster: HostClusterItem): Promise<string> {
  if (!isReachablePhase(cluster.status.phase)) {
    throw new ApiError('invalid_state', `cluster ${cluster.name} is ${cluster.status.phase}; its kubeconfig is available once Running`);
  }
  return kubeconfigYaml(await hostClusterAccessForApi(store, cluster));
}

// ---------------------------------------------------------------------------------
// Recovery of interrupted operations
// ---------------------------------------------------------------------------------

/**
 * How repair and the local runtime's start-up take back a host-cluster operation:
 * resume it from the top of its workflow (every step is idempotent; the execution is
 * named after the operation, so one still running is not started twice), or fail it.
 */
export const hostClusterRecovery: OperationRecovery = {
  async resume(store, operation) {
    const cluster = operation.projectId ? await getItem(store, keys.cluster(operation.tenantId, operation.projectId, operation.resourceId), hostClusterItem) : undefined;
    if (!cluster || cluster.operationId !== operation.id || !cluster.pending) {
      await failClusterOperation(store, { tenantId: operation.tenantId, projectId: operation.projectId ?? '', clusterId: operation.resourceId }, operation.id, {
        code: 'Superseded',
        message: 'the cluster is gone or another operation replaced this one',
      });
      return false;
    }
    await launchWorkflow(store, operation, workflowInputFor(cluster, await accountOf(store, cluster)), markStartFailure);
    return true;
  },
  async fail(store, operation, reason) {
    await failClusterOperation(store, { tenantId: operation.tenantId, projectId: operation.projectId ?? '', clusterId: operation.resourceId }, operation.id, {
      code: 'OperationInterrupted',
      message: reason,
    });
  },
};

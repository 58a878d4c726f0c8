/**
 * Apps: an app profile version deployed into a virtual cluster, tier by tier, by the
 * app workflows. An app holds a reference on the profile versions it uses (the
 * deployed one and, while a deploy runs or after it failed, its target) and on its
 * virtual cluster, changed in the same transaction as the app, so neither can be
 * deleted from under it; a virtual cluster's delete removes its apps with it.
 */
import { ApiError, assertIfMatch, notFound, validationFailed } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Store } from '../store/client.ts';
import { keys, lists } from '../store/keys.ts';
import { pickFields } from '../store/items.ts';
import { claimName } from '../store/names.ts';
import { getItem, getItems, nowIso, queryAll, queryPage, transact, TransactionConflict, updateItem, type TransactItem } from '../store/table.ts';
import type { Tx } from '../store/tx.ts';
import { failOwnedResource, finishOperationItem, launchWorkflow, pollPlan, startOperation, type WorkflowInput } from '../operations/operations.ts';
import type { OperationItem } from '../operations/items.ts';
import type { OperationRecovery } from '../operations/recovery.ts';
import { getAppProfile, latestVersionOf } from '../app-profiles/app-profiles.ts';
import type { AppProfileItem, LatestVersion } from '../app-profiles/items.ts';
import { compareSemver } from '../app-profiles/semver.ts';
import { virtualClusterItem, type VirtualClusterItem } from '../virtual-clusters/items.ts';
import { recordActivity } from '../virtual-clusters/virtual-clusters.ts';
import { POLL_SECONDS, workflowName } from '#workflows/names.ts';
import { checkTierValues, type AppValues } from './tier-values.ts';
import { appItem, appNameItem, type AppItem, type DeployedTier, type PendingAppChange, type TierStatus } from './items.ts';
import { app as appShape } from './schemas.ts';

// ---------------------------------------------------------------------------------
// The API view: status while the virtual cluster is paused, and updateAvailable
// ---------------------------------------------------------------------------------

function updateAvailableOf(app: AppItem, latest: LatestVersion | undefined) {
  if (!latest || latest.appProfileId === app.appProfileId || compareSemver(latest.version, app.profileVersion) <= 0) return null;
  return { appProfileId: latest.appProfileId, version: latest.version };
}

export function toApp(app: AppItem, view: { virtualCluster?: Pick<VirtualClusterItem, 'name' | 'status'>; latest?: LatestVersion }) {
  const paused = view.virtualCluster && ['Paused', 'Pausing'].includes(view.virtualCluster.status.phase) && app.status.phase === 'Deployed';
  const status = paused ? { ...app.status, message: `virtual cluster ${view.virtualCluster!.name} is paused: the app runs again when it resumes` } : app.status;
  return pickFields(appShape, { ...app, status, updateAvailable: updateAvailableOf(app, view.latest) });
}

/** The API view of several apps: their virtual clusters and latest profile versions read once each. */
export async function viewApps(store: Store, apps: AppItem[]) {
  const clusters = [...new Set(apps.map((a) => `${a.tenantId}|${a.projectId}|${a.virtualClusterId}`))];
  const found = await getItems(store, clusters.map((c) => {
    const [tenantId, projectId, id] = c.split('|') as [string, string, string];
    return keys.virtualCluster(tenantId, projectId, id);
  }));
  const byCluster = new Map(clusters.map((c, i) => [c, found[i] ? virtualClusterItem.parse(found[i]) : undefined]));
  const names = [...new Set(apps.map((a) => `${a.tenantId}|${a.projectId}|${a.profileName}`))];
  const latest = new Map(
    await Promise.all(names.map(async (n) => {
      const [tenantId, projectId, name] = n.split('|') as [string, string, string];
      return [n, await latestVersionOf(store, tenantId, projectId, name)] as const;
    })),
  );
  return apps.map((a) => {
    const virtualCluster = byCluster.get(`${a.tenantId}|${a.projectId}|${a.virtualClusterId}`);
    const newest = latest.get(`${a.tenantId}|${a.projectId}|${a.profileName}`);
    return toApp(a, { ...(virtualCluster ? { virtualCluster } : {}), ...(newest ? { latest: newest } : {}) });
  });
}

// ---------------------------------------------------------------------------------
// References
// ---------------------------------------------------------------------------------

/** The profile versions an app holds: the deployed one and a deploy's target. */
export function profileRefsOf(app: Pick<AppItem, 'appProfileId' | 'pending'>): string[] {
  return [...new Set([app.appProfileId, ...(app.pending?.kind === 'deploy' ? [app.pending.appProfileId] : [])])];
}

/** The counter changes that move an app from holding `before` to holding `after`; a new reference needs its profile to exist. */
export function profileReferenceUpdates(tenantId: string, projectId: string, before: string[], after: string[]): TransactItem[] {
  const delta = new Map<string, number>();
  for (const id of before) delta.set(id, (delta.get(id) ?? 0) - 1);
  for (const id of after) delta.set(id, (delta.get(id) ?? 0) + 1);
  return [...delta.entries()].filter(([, d]) => d !== 0).map(([id, d]) => updateItem(keys.appProfile(tenantId, projectId, id), { add: { apps: d }, touch: false }));
}

const runningCluster = (vc: Pick<VirtualClusterItem, 'tenantId' | 'projectId' | 'id'>): TransactItem => ({
  ConditionCheck: {
    Key: keys.virtualCluster(vc.tenantId, vc.projectId, vc.id),
    ConditionExpression: '#status.#phase = :running',
    ExpressionAttributeNames: { '#status': 'status', '#phase': 'phase' },
    ExpressionAttributeValues: { ':running': 'Running' },
  },
});

// ---------------------------------------------------------------------------------
// Workflow input
// ---------------------------------------------------------------------------------

export interface AppContext {
  change: PendingAppChange;
  app: Pick<AppItem, 'name' | 'namespace' | 'virtualClusterId' | 'profileName'>;
  /** What is deployed now: unchanged tiers are left alone, removed ones pruned. */
  deployed: DeployedTier[];
  /** The profile versions the app holds while the operation runs. */
  refs: string[];
}

export type AppWorkflowInput = WorkflowInput<AppContext>;

export function workflowInputFor(app: AppItem) {
  const context: AppContext = {
    change: app.pending!,
    app: { name: app.name, namespace: app.namespace, virtualClusterId: app.virtualClusterId, profileName: app.profileName },
    deployed: app.deployed,
    refs: profileRefsOf(app),
  };
  return { ...pollPlan(app.pending?.kind === 'delete' ? 120 : 600, POLL_SECONDS / 5), context };
}

type Target = { tenantId: string; projectId: string; appId: string };

export function ownedAppUpdate(target: Target, operationId: string, change: Parameters<typeof updateItem>[1]): TransactItem {
  return updateItem(keys.app(target.tenantId, target.projectId, target.appId), {
    ...change,
    condition: { expression: 'operationId = :op', values: { ':op': operationId } },
  });
}

/**
 * Phase Error with the reason (and the failing tier marked), the operation Failed, in
 * one transaction. The deploy stays pending, so a later deploy or upgrade takes over
 * its references and recovers the app.
 */
export async function failAppOperation(store: Store, target: Target, operationId: string, error: { code: string; message: string }, tiers?: TierStatus[]) {
  // Without the tiers at hand, the phase and message are set and the tiers kept as they are.
  const update = tiers ? ownedAppUpdate(target, operationId, { set: { status: { phase: 'Error', message: error.message, tiers } } }) : undefined;
  await failOwnedResource(store, keys.app(target.tenantId, target.projectId, target.appId), target.tenantId, operationId, error, update);
}

async function markStartFailure(store: Store, operation: OperationItem, message: string) {
  await failAppOperation(store, { tenantId: operation.tenantId, projectId: operation.projectId!, appId: operation.resourceId }, operation.id, { code: 'WorkflowStartFailed', message }).catch(() => undefined);
}

// ---------------------------------------------------------------------------------
// Create, deploy (redeploy and upgrade), delete
// ---------------------------------------------------------------------------------

async function profileFor(store: Store, tenantId: string, projectId: string, id: string) {
  try {
    return await getAppProfile(store, tenantId, projectId, id);
  } catch (error) {
    if (error instanceof ApiError && error.code === 'not_found') {
      throw validationFailed(`no app profile ${id} in this project`, [{ path: 'body.appProfileId', message: 'unknown app profile' }]);
    }
    throw error;
  }
}

function requireRunning(vc: VirtualClusterItem) {
  if (vc.status.phase === 'Running') return;
  const why = vc.status.phase === 'Paused' || vc.status.phase === 'Pausing' ? 'is paused; resume it first' : `is ${vc.status.phase}; wait until it is Running`;
  throw new ApiError('invalid_state', `virtual cluster ${vc.name} ${why}`);
}

function checkValues(profile: AppProfileItem, values: AppValues | undefined) {
  const problems = checkTierValues(profile.tiers, values ?? {});
  if (problems.length) throw validationFailed(`the values do not fit ${profile.name}@${profile.profileVersion}`, problems);
}

const pendingTiers = (profile: AppProfileItem): TierStatus[] => profile.tiers.map((tier) => ({ name: tier.name, phase: 'Pending' }));

export interface CreateAppRequest {
  name: string;
  appProfileId: string;
  virtualClusterId: string;
  values?: AppValues;
}

/** Maximum apps per virtual cluster: its delete removes them all in one transaction. */
export const MAX_APPS_PER_VIRTUAL_CLUSTER = 25;

export async function createApp(tx: Tx, scope: { tenantId: string; projectId: string }, request: CreateAppRequest, options: { requestId?: string } = {}) {
  const { store } = tx;
  const [profile, vc] = await Promise.all([
    profileFor(store, scope.tenantId, scope.projectId, request.appProfileId),
    getItem(store, keys.virtualCluster(scope.tenantId, scope.projectId, request.virtualClusterId), virtualClusterItem),
  ]);
  if (!vc) throw validationFailed(`no virtual cluster ${request.virtualClusterId} in this project`, [{ path: 'body.virtualClusterId', message: 'unknown virtual cluster' }]);
  requireRunning(vc);
  checkValues(profile, request.values);
  if (await getItem(store, keys.appName(scope.tenantId, scope.projectId, request.name), appNameItem)) {
    throw new ApiError('conflict', `an app named ${request.name} already exists in this project`);
  }
  const now = nowIso();
  const id = newId('app');
  const values = request.values ?? {};
  const app: AppItem = {
    type: 'app',
    id,
    name: request.name,
    tenantId: scope.tenantId,
    projectId: scope.projectId,
    virtualClusterId: vc.id,
    namespace: request.name,
    appProfileId: profile.id,
    profileName: profile.name,
    profileVersion: profile.profileVersion,
    values,
    revision: 1,
    status: { phase: 'Deploying', message: `deploying ${profile.name}@${profile.profileVersion}`, tiers: pendingTiers(profile) },
    deployed: [],
    pending: { kind: 'deploy', appProfileId: profile.id, values, revision: 1 },
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
  const operation = await startOperation({
    tx,
    resource: { type: 'app', tenantId: scope.tenantId, projectId: scope.projectId, id },
    kind: 'app.deploy',
    workflow: workflowName('app', 'deploy'),
    items: (operationId) => [
      {
        Put: {
          Item: { ...keys.app(scope.tenantId, scope.projectId, id), ...keys.appsOfVirtualClusterIndex(scope.tenantId, vc.id, id), ...keys.kindIndex('app', scope.tenantId, id), ...app, operationId },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      claimName(keys.appName(scope.tenantId, scope.projectId, request.name), 'appname', { id }),
      // The virtual cluster must still run and have room for one more app, checked as the app is written.
      updateItem(keys.virtualCluster(scope.tenantId, scope.projectId, vc.id), {
        add: { apps: 1 },
        touch: false,
        condition: {
          expression: '#vstatus.#vphase = :running AND (attribute_not_exists(apps) OR apps < :max)',
          names: { '#vstatus': 'status', '#vphase': 'phase' },
          values: { ':running': 'Running', ':max': MAX_APPS_PER_VIRTUAL_CLUSTER },
        },
      }),
      ...profileReferenceUpdates(scope.tenantId, scope.projectId, [], profileRefsOf(app)),
    ],
    input: () => workflowInputFor(app),
    requestId: options.requestId,
    onStartFailure: markStartFailure,
    onConflict: async (error) => {
      if (error.reasons[1] === 'ConditionalCheckFailed') return new ApiError('conflict', `an app named ${request.name} already exists in this project`);
      if (error.reasons[2] === 'ConditionalCheckFailed') {
        const latest = await getItem(store, keys.virtualCluster(scope.tenantId, scope.projectId, vc.id), virtualClusterItem);
        if (latest && latest.status.phase === 'Running') return new ApiError('invalid_state', `virtual cluster ${vc.name} holds the most apps it can (${MAX_APPS_PER_VIRTUAL_CLUSTER})`);
        return new ApiError('invalid_state', `virtual cluster ${vc.name} is ${latest?.status.phase ?? 'gone'}; deploy once it is Running`);
      }
      return new ApiError('conflict', `app profile ${profile.id} was deleted at the same moment`);
    },
  });
  await recordActivity(store, vc);
  return { app: { ...app, operationId: operation.id }, operation };
}

export async function getApp(store: Store, tenantId: string, projectId: string, id: string) {
  const app = await getItem(store, keys.app(tenantId, projectId, id), appItem);
  if (!app) throw notFound(`app ${id}`);
  return app;
}

export function listApps(store: Store, tenantId: string, projectId: string, query: { limit: number; cursor?: string; virtualClusterId?: string }) {
  if (query.virtualClusterId) {
    const vcId = query.virtualClusterId;
    return queryPage(
      store,
      { ...lists.appsOfVirtualCluster(tenantId, vcId), limit: query.limit, cursor: query.cursor, filter: { expression: 'projectId = :p', names: {}, values: { ':p': projectId } } },
      appItem,
    );
  }
  return queryPage(store, { ...lists.apps(tenantId, projectId), limit: query.limit, cursor: query.cursor }, appItem);
}

export interface DeployRequest {
  /** Another version of the app's profile (an upgrade); absent: the version it has (a redeploy). */
  appProfileId?: string;
  values?: AppValues;
}

/**
 * A redeploy or an upgrade: the next revision of the app, from the version it has or
 * another version of the same profile. Values not given carry over (for the tiers the
 * target version still has). `extraItems` joins the same transaction (a webhook's
 * delivery record, so the delivery and the deploy it started are one fact).
 */
export async function deployApp(
  tx: Tx,
  app: AppItem,
  request: DeployRequest,
  options: { ifMatch?: number; requestId?: string; extraItems?: (operationId: string) => TransactItem[]; onConflict?: (error: TransactionConflict) => Promise<Error | undefined> } = {},
) {
  assertIfMatch(app, options.ifMatch);
  const { store } = tx;
  if (app.status.phase === 'Deploying' || app.status.phase === 'Deleting') {
    throw new ApiError('invalid_state', `app ${app.name} is ${app.status.phase}; wait for the running operation to finish`);
  }
  const target = await profileFor(store, app.tenantId, app.projectId, request.appProfileId ?? app.appProfileId);
  if (target.name !== app.profileName) {
    throw validationFailed(`upgrade within profile ${app.profileName}; ${target.name} is another profile`, [{ path: 'body.appProfileId', message: 'must be a version of the app\'s profile' }]);
  }
  const vc = await getItem(store, keys.virtualCluster(app.tenantId, app.projectId, app.virtualClusterId), virtualClusterItem);
  if (!vc) throw new ApiError('invalid_state', `the app's virtual cluster ${app.virtualClusterId} is gone`);
  requireRunning(vc);
  const carried = Object.fromEntries(Object.entries(app.values).filter(([tier]) => target.tiers.some((t) => t.name === tier)));
  const values = (request.values ?? carried) as AppValues;
  checkValues(target, values);
  const now = nowIso();
  const pending: PendingAppChange = { kind: 'deploy', appProfileId: target.id, values, revision: app.revision + 1 };
  const status = {
    phase: 'Deploying' as const,
    message: target.id === app.appProfileId ? `redeploying ${target.name}@${target.profileVersion}` : `upgrading to ${target.name}@${target.profileVersion}`,
    tiers: pendingTiers(target),
  };
  const next: AppItem = { ...app, status, pending, revision: pending.revision, updatedAt: now, version: app.version + 1 };
  const operation = await startOperation({
    tx,
    resource: { type: 'app', tenantId: app.tenantId, projectId: app.projectId, id: app.id },
    kind: target.id === app.appProfileId ? 'app.deploy' : 'app.upgrade',
    workflow: workflowName('app', 'deploy'),
    items: (operationId) => [
      updateItem(keys.app(app.tenantId, app.projectId, app.id), { set: { status, pending, revision: pending.revision, operationId }, expectedVersion: app.version, now }),
      runningCluster(vc),
      ...profileReferenceUpdates(app.tenantId, app.projectId, profileRefsOf(app), profileRefsOf(next)),
      ...(options.extraItems?.(operationId) ?? []),
    ],
    input: () => workflowInputFor(next),
    requestId: options.requestId,
    onStartFailure: markStartFailure,
    onConflict: async (error) => {
      const custom = await options.onConflict?.(error);
      if (custom) return custom;
      if (error.reasons[0] === 'ConditionalCheckFailed') return new ApiError('conflict', `app ${app.name} changed at the same time; retry`);
      if (error.reasons[1] === 'ConditionalCheckFailed') return new ApiError('invalid_state', `virtual cluster ${vc.name} stopped running; deploy once it is Running`);
      return new ApiError('conflict', `app profile ${target.id} was deleted at the same moment`);
    },
  });
  await recordActivity(store, vc);
  return { app: { ...next, operationId: operation.id }, operation };
}

export async function deleteApp(tx: Tx, app: AppItem, options: { ifMatch?: number; requestId?: string } = {}) {
  assertIfMatch(app, options.ifMatch);
  if (app.status.phase === 'Deploying' || app.status.phase === 'Deleting') {
    throw new ApiError('invalid_state', `app ${app.name} is ${app.status.phase}; wait for the running operation to finish`);
  }
  const vc = await getItem(tx.store, keys.virtualCluster(app.tenantId, app.projectId, app.virtualClusterId), virtualClusterItem);
  if (!vc) throw new ApiError('invalid_state', `the app's virtual cluster ${app.virtualClusterId} is gone`);
  // What the app applied lives in the virtual cluster: it must be running to remove it.
  requireRunning(vc);
  const now = nowIso();
  const pending: PendingAppChange = { kind: 'delete' };
  const status = { ...app.status, phase: 'Deleting' as const, message: 'removing everything the app applied' };
  const next: AppItem = { ...app, status, pending, updatedAt: now, version: app.version + 1 };
  const operation = await startOperation({
    tx,
    resource: { type: 'app', tenantId: app.tenantId, projectId: app.projectId, id: app.id },
    kind: 'app.delete',
    workflow: workflowName('app', 'delete'),
    items: (operationId) => [
      updateItem(keys.app(app.tenantId, app.projectId, app.id), { set: { status, pending, operationId }, expectedVersion: app.version, now }),
      runningCluster(vc),
      // A failed upgrade's target is let go at once; the deployed version is held until the app is gone.
      ...profileReferenceUpdates(app.tenantId, app.projectId, profileRefsOf(app), profileRefsOf(next)),
    ],
    input: () => workflowInputFor(next),
    requestId: options.requestId,
    onStartFailure: markStartFailure,
    onConflict: (error) =>
      error.reasons[0] === 'ConditionalCheckFailed'
        ? new ApiError('conflict', `app ${app.name} changed at the same time; retry`)
        : new ApiError('invalid_state', `virtual cluster ${vc.name} stopped running; delete the app once it is Running`),
  });
  return { app: { ...next, operationId: operation.id }, operation };
}

/** What a finished app delete removes: the app, its name, its references. */
export function appDeletionItems(target: Target, app: Pick<AppItem, 'name' | 'virtualClusterId'>, refs: string[], operationId?: string): TransactItem[] {
  return [
    {
      Delete: {
        Key: keys.app(target.tenantId, target.projectId, target.appId),
        ...(operationId ? { ConditionExpression: 'operationId = :op', ExpressionAttributeValues: { ':op': operationId } } : { ConditionExpression: 'attribute_exists(pk)' }),
      },
    },
    { Delete: { Key: keys.appName(target.tenantId, target.projectId, app.name) } },
    ...profileReferenceUpdates(target.tenantId, target.projectId, refs, []),
  ];
}

/**
 * A virtual cluster's delete takes its apps with it (what they applied goes with the
 * cluster): the items that remove every app of the cluster, for its finish transaction.
 */
export async function appsRemovedWith(store: Store, target: { tenantId: string; projectId: string; virtualClusterId: string }): Promise<TransactItem[]> {
  const apps = await queryAll(store, lists.appsOfVirtualCluster(target.tenantId, target.virtualClusterId), appItem, MAX_APPS_PER_VIRTUAL_CLUSTER * 2);
  const items: TransactItem[] = [];
  const refs = new Map<string, number>();
  for (const app of apps) {
    items.push(
      { Delete: { Key: keys.app(app.tenantId, app.projectId, app.id) } },
      { Delete: { Key: keys.appName(app.tenantId, app.projectId, app.name) } },
    );
    for (const id of profileRefsOf(app)) refs.set(`${app.projectId}|${id}`, (refs.get(`${app.projectId}|${id}`) ?? 0) + 1);
  }
  for (const [ref, count] of refs) {
    const [projectId, id] = ref.split('|') as [string, string];
    items.push(updateItem(keys.appProfile(target.tenantId, projectId, id), { add: { apps: -count }, touch: false }));
  }
  return items;
}

// ---------------------------------------------------------------------------------
// Recovery of interrupted operations
// ---------------------------------------------------------------------------------

export const appRecovery: OperationRecovery = {
  async resume(store, operation) {
    const target = { tenantId: operation.tenantId, projectId: operation.projectId ?? '', appId: operation.resourceId };
    const app = operation.projectId ? await getItem(store, keys.app(target.tenantId, target.projectId, target.appId), appItem) : undefined;
    if (!app || app.operationId !== operation.id || !app.pending) {
      await transact(store, [finishOperationItem(target.tenantId, operation.id, { status: 'Failed', error: { code: 'Superseded', message: 'the app is gone or another operation replaced this one' } })]).catch(() => undefined);
      return false;
    }
    await launchWorkflow(store, operation, workflowInputFor(app), markStartFailure);
    return true;
  },
  async fail(store, operation, reason) {
    await failAppOperation(store, { tenantId: operation.tenantId, projectId: operation.projectId ?? '', appId: operation.resourceId }, operation.id, { code: 'OperationInterrupted', message: reason });
  },
};

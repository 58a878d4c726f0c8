/**
 * The steps of the host-cluster workflows (workflows/host-cluster.ts). Each is safe to
 * run again: the state machine retries transient failures, and repair restarts a lost
 * execution from the top. A step reads what it needs from the execution's state (the
 * context the API put there), not from the table; every write it makes is conditioned
 * on the operation still owning the cluster.
 */
import { ownedNodeType } from '../usage/prices.ts';
import { instanceTypes } from './instance-types.ts';
import type { NodePoolSpec } from '../providers/provider.ts';
import { stepDoneItem, stepMessageItem } from '../operations/progress.ts';
import * as z from 'zod';
import { logger } from '../observability/logger.ts';
import type { Store } from '../store/client.ts';
import { keys } from '../store/keys.ts';
import { getItem, getItems, nowIso, transact, TransactionConflict, type TransactItem } from '../store/table.ts';
import { commitFinish, finishOperationItem } from '../operations/operations.ts';
import { readableCause } from '../operations/step-errors.ts';
import { stepEventSchema as stepEvent } from '../operations/step-event.ts';
import { getClusterProfile } from '../cluster-profiles/cluster-profiles.ts';
import { renderTemplate } from '../cluster-profiles/variables.ts';
import { accountSettingsItem } from '../cloud-accounts/items.ts';
import { applyObjects, parseManifests } from '../kube/apply.ts';
import { kubeClient } from '../kube/kube-client.ts';
import { providerFor } from '../providers/index.ts';
import { PermanentProviderError } from '../providers/provider.ts';
import { hostClusterSteps } from '#workflows/names.ts';
import { clusterNetworkItem, edgeClusterItem, hostClusterItem, hostClusterProviders, nodePoolItem, pendingChange, type HostClusterPhase } from './items.ts';
import type { EdgeHostRef, NodePool } from './items.ts';
import { agentItem } from '../agents/items.ts';
import { clearTasksItem } from '../agents/agents.ts';
import { failClusterOperation, ownedClusterUpdate, referenceUpdates, type HostClusterContext } from './host-clusters.ts';
import { hostClusterMeter } from '../usage/meters.ts';
import { applyChartUses, chartUses, chartUsesState, registriesOf, type ChartRequest } from '../helm/apply.ts';
import { load } from '../kube/yaml.ts';

/** Where a cluster profile's helm layers are released. */
const ADDON_NAMESPACE = 'palette-system';
const addonLabels = (clusterId: string) => ({ 'app.kubernetes.io/managed-by': 'palette', 'palette.dev/cluster': clusterId.toLowerCase().replace('_', '-') });

/** A profile's helm layers as releases: the layer's name is the release's, its values YAML (variables filled in) the release's values. */
function helmLayerRequests(layers: Array<{ type: string; name: string; version: string; values?: string | undefined; registryId?: string | undefined; chart?: string | undefined }>, variables: Record<string, string>): ChartRequest[] {
  return layers.flatMap((layer) => {
    if (layer.type !== 'helm' || !layer.registryId || !layer.chart) return [];
    let values: unknown = {};
    try {
      values = layer.values ? (load(renderTemplate(layer.values, variables)) ?? {}) : {};
    } catch (error) {
      throw new PermanentProviderError(`layer ${layer.name}: its values are not valid YAML: ${(error as Error).message}`);
    }
    if (typeof values !== 'object' || Array.isArray(values)) throw new PermanentProviderError(`layer ${layer.name}: its values must be a YAML mapping`);
    return [{ release: layer.name, registryId: layer.registryId, chart: layer.chart, version: layer.version, values: values as Record<string, unknown> }];
  });
}

const context = z.object({
  change: pendingChange,
  cluster: z.object({
    tenantId: z.string(),
    projectId: z.string(),
    name: z.string(),
    provider: z.enum(hostClusterProviders),
    providerName: z.string(),
    staleProviderName: z.string().optional(),
    region: z.string().nullable(),
    kubernetesVersion: z.string().nullable(),
    nodePools: z.array(nodePoolItem),
    network: clusterNetworkItem.optional(),
    edge: edgeClusterItem.optional(),
    vsphere: z.object({ folder: z.string().optional(), resourcePool: z.string().optional() }).optional(),
  }),
  account: accountSettingsItem.optional(),
  addons: z.object({ profileId: z.string(), variables: z.record(z.string(), z.string()) }).optional(),
  refs: z.object({ accountId: z.string().nullable(), profileIds: z.array(z.string()) }),
}) satisfies z.ZodType<HostClusterContext>;

/** What every Task of the host-cluster workflows passes. */
export const stepEventSchema = stepEvent({
  resourceType: 'cluster',
  steps: hostClusterSteps,
  // Ready: helm layers' releases (checkAddons).
  targets: ['Running', 'Deleted', 'Ready'],
  context,
  state: {
    poll: z
      .object({
        attempts: z.number().optional(),
        message: z.string().optional(),
        endpoint: z.string().nullable().optional(),
        kubernetesVersion: z.string().nullable().optional(),
      })
      .loose()
      .optional(),
  },
});

export type StepEvent = z.infer<typeof stepEventSchema>;

/** A pool as its provider provisions it: with the instance type's GPUs, so it gets the GPU image or driver. */
const poolSpec = (pool: NodePool): NodePoolSpec => {
  const gpu = instanceTypes[pool.instanceType]?.gpu;
  return gpu ? { ...pool, gpu } : pool;
};

const inProgressPhase = (change: HostClusterContext['change']): HostClusterPhase =>
  change.kind === 'delete' ? 'Deleting' : change.kind === 'create' || change.kind === 'import' ? 'Provisioning' : 'Updating';

/** An imported cluster's kubeconfig is a credential: it stays in the table, not in the execution history. */
async function importedKubeconfig(store: Store, target: { tenantId: string; projectId: string; clusterId: string }) {
  const cluster = await getItem(store, keys.cluster(target.tenantId, target.projectId, target.clusterId), hostClusterItem);
  if (!cluster?.kubeconfig) throw new PermanentProviderError(`cluster ${target.clusterId} no longer exists or has no kubeconfig`);
  return cluster.kubeconfig;
}

export async function runHostClusterStep(store: Store, event: StepEvent): Promise<Record<string, unknown>> {
  const { args } = event;
  const ctx = args.context;
  const target = { tenantId: args.resource.tenantId, projectId: args.resource.projectId, clusterId: args.resource.id };
  logger.appendKeys({ clusterId: target.clusterId, operationId: args.operationId, step: event.step, ...(args.requestId ? { requestId: args.requestId } : {}) });
  const ref = { clusterId: target.clusterId, providerName: ctx.cluster.providerName, region: ctx.cluster.region ?? 'local' };
  const kubeconfig = ctx.cluster.provider === 'imported' && event.step !== 'markError' && event.step !== 'finish' ? await importedKubeconfig(store, target) : undefined;
  const provider = () =>
    providerFor({
      provider: ctx.cluster.provider,
      account: ctx.account,
      kubeconfig,
      scope: { tenantId: target.tenantId, projectId: target.projectId },
      operationId: args.operationId,
      ...(ctx.cluster.edge
        ? { edge: { hosts: ctx.cluster.edge.hosts, operationId: args.operationId, ...(ctx.change.kind === 'scale' && ctx.change.edge ? { scale: ctx.change.edge } : {}) } }
        : {}),
      ...(ctx.cluster.vsphere ? { vsphere: ctx.cluster.vsphere } : {}),
    });
  const change = ctx.change;

  switch (event.step) {
    case 'provision': {
      const cloud = await provider();
      if (ctx.cluster.staleProviderName) {
        // Best effort: the failed attempt's resources must not linger at the provider.
        await cloud.delete({ ...ref, providerName: ctx.cluster.staleProviderName }).catch((error: unknown) =>
          logger.warn('could not remove the failed attempt', { providerName: ctx.cluster.staleProviderName, error: error as Error }),
        );
      }
      // From the moment the cloud may hold something, a delete must ask it: a refusal
      // (permanent: no access, unreachable, invalid) created nothing; anything else may have.
      const cloudResource = (done: boolean) =>
        transact(store, [
          ownedClusterUpdate(target, args.operationId, { set: { cloudResourceAt: nowIso() }, touch: false }),
          ...(done ? [stepDoneItem(target.tenantId, args.operationId, 'provision')] : []),
        ]).catch((error: unknown) => {
          if (!(error instanceof TransactionConflict)) throw error;
        });
      try {
        await cloud.create({
          ...ref,
          kubernetesVersion: ctx.cluster.kubernetesVersion!,
          nodePools: ctx.cluster.nodePools.map(poolSpec),
          tags: { 'palette:cluster': target.clusterId, 'palette:tenant': target.tenantId, 'palette:project': target.projectId },
          ...(ctx.cluster.network ? { network: ctx.cluster.network } : {}),
        });
      } catch (error) {
        if (!(error instanceof PermanentProviderError)) await cloudResource(false);
        throw error;
      }
      await cloudResource(true);
      return { ok: true, stepRecorded: true };
    }

    case 'scale':
      if (change.kind !== 'scale') throw new PermanentProviderError('no scale is pending');
      await (await provider()).scaleNodePool(ref, poolSpec(change.pool));
      return { ok: true };

    case 'upgrade':
      if (change.kind !== 'upgrade') throw new PermanentProviderError('no upgrade is pending');
      if (change.kubernetesVersion !== ctx.cluster.kubernetesVersion) await (await provider()).upgrade(ref, change.kubernetesVersion);
      return { ok: true };

    case 'delete':
      if (change.kind === 'delete' && change.cloud === 'never-created') return { ok: true, cloud: 'not called: the create never reached it' };
      if (change.kind === 'delete' && change.cloud === 'forced') {
        // Asked once; whatever the cloud answers, the record goes (the audit entry says what may be left).
        await (await provider()).delete(ref).catch((error: unknown) => logger.warn('forced delete: the cloud did not confirm', { reason: (error as Error).message }));
        return { ok: true };
      }
      await (await provider()).delete(ref);
      return { ok: true };

    case 'validateImport': {
      const status = await (await provider()).describe(ref);
      return { phase: status.phase, endpoint: status.endpoint ?? null, kubernetesVersion: status.kubernetesVersion ?? null };
    }

    case 'describe': {
      const attempts = (args.poll?.attempts ?? 0) + 1;
      if (ctx.cluster.provider === 'imported' && event.target === 'Deleted') return { phase: 'Deleted', attempts };
      if (change.kind === 'delete' && change.cloud) return { phase: 'Deleted', attempts, message: change.cloud === 'forced' ? 'forced: not waited for' : 'nothing at the cloud' };
      const cloud = await provider();
      const status = await cloud.describe(ref);
      // EKS deletes node groups before the control plane: keep asking until it is gone.
      if (event.target === 'Deleted' && status.phase !== 'Deleted' && status.phase !== 'Deleting') await cloud.delete(ref);
      if (status.phase !== 'Failed' && status.message && status.message !== args.poll?.message) {
        // Progress a user can see on the cluster; a write that finds the operation gone changes nothing.
        await transact(store, [
          ownedClusterUpdate(target, args.operationId, { set: { status: { phase: inProgressPhase(change), message: status.message } } }),
          stepMessageItem(target.tenantId, args.operationId, status.message),
        ]).catch(() => undefined);
      }
      return {
        phase: status.phase,
        attempts,
        message: status.message ?? `the provider reports ${status.phase}`,
        endpoint: status.endpoint ?? null,
        kubernetesVersion: status.kubernetesVersion ?? null,
      };
    }

    case 'applyAddons': {
      if (!ctx.addons) return { applied: 0, helm: 0 };
      const profile = await getClusterProfile(store, target.tenantId, target.projectId, ctx.addons.profileId).catch(() => undefined);
      if (!profile) throw new PermanentProviderError(`cluster profile ${ctx.addons.profileId} no longer exists`);
      const variables = ctx.addons.variables;
      const objects = profile.layers
        .filter((layer) => layer.type === 'addon')
        .flatMap((layer) =>
          (layer.manifests ?? []).flatMap((manifest) => parseManifests(renderTemplate(manifest.content, variables), `layer ${layer.name}, manifest ${manifest.name}`)),
        );
      const charts = helmLayerRequests(profile.layers, variables);
      if (!objects.length && !charts.length) return { applied: 0, helm: 0 };
      const client = kubeClient(await (await provider()).clusterAccess(ref));
      if (objects.length) await applyObjects(client, objects);
      if (charts.length) {
        const registries = await registriesOf(store, target.tenantId, charts);
        await applyObjects(client, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ADDON_NAMESPACE, labels: addonLabels(target.clusterId) } }]);
        await applyChartUses(client, chartUses(charts, registries, ADDON_NAMESPACE, addonLabels(target.clusterId)), registries);
      }
      return { applied: objects.length, helm: charts.length };
    }

    case 'checkAddons': {
      // The poll before this one (describe) left the endpoint and version finish records: they ride along.
      const attempts = args.poll?.addons === true ? (args.poll.attempts ?? 0) + 1 : 1;
      const profile = ctx.addons ? await getClusterProfile(store, target.tenantId, target.projectId, ctx.addons.profileId).catch(() => undefined) : undefined;
      if (!profile || !ctx.addons) throw new PermanentProviderError(`cluster profile ${ctx.addons?.profileId ?? ''} no longer exists`);
      const charts = helmLayerRequests(profile.layers, ctx.addons.variables);
      const registries = await registriesOf(store, target.tenantId, charts);
      const client = kubeClient(await (await provider()).clusterAccess(ref));
      const state = await chartUsesState(client, chartUses(charts, registries, ADDON_NAMESPACE, addonLabels(target.clusterId)));
      if (state.state === 'waiting' && state.message !== args.poll?.message) {
        await transact(store, [
          ownedClusterUpdate(target, args.operationId, { set: { status: { phase: inProgressPhase(change), message: state.message } } }),
          stepMessageItem(target.tenantId, args.operationId, state.message),
        ]).catch(() => undefined);
      }
      return { ...args.poll, addons: true, attempts, phase: state.state === 'ready' ? 'Ready' : state.state === 'failed' ? 'Failed' : 'Applying', message: state.message };
    }

    case 'finish':
      await finish(store, args, target);
      return { ok: true };

    case 'markError': {
      // A poll that ran out of time says what it last saw (e.g. which edge host went quiet).
      const lastSeen = args.error?.Error === 'Timeout' && args.poll?.message ? `: ${args.poll.message}` : '';
      const message = `${readableCause(args.error)}${lastSeen}`;
      logger.warn('host cluster workflow failed', { reason: message });
      await failClusterOperation(store, target, args.operationId, { code: args.error?.Error ?? 'WorkflowFailed', message });
      return { ok: true };
    }
  }
}

/**
 * Applies the finished change to the cluster, moves its references and ends the
 * operation, in one transaction. A finish that runs again after it succeeded finds the
 * operation ended and changes nothing.
 */
/** An edge cluster's hosts go free, their tasks for it cleared (a host whose agent was removed has nothing left). */
async function releaseEdgeHosts(store: Store, clusterId: string, hosts: EdgeHostRef[]): Promise<TransactItem[]> {
  if (!hosts.length) return [];
  const agents = (await getItems(store, hosts.map((h) => keys.agentByKeyHash(h.keyHash)))).map((item) => (item ? agentItem.parse(item) : undefined));
  return hosts.flatMap((host, i) => {
    const agent = agents[i];
    if (!agent) return [];
    const ids = Object.values(agent.tasks).filter((t) => t.clusterId === clusterId).map((t) => t.id);
    return [clearTasksItem(host.keyHash, ids, { clusterId })];
  });
}

async function finish(store: Store, args: StepEvent['args'], target: { tenantId: string; projectId: string; clusterId: string }) {
  const { change, refs } = args.context;
  const done = finishOperationItem(target.tenantId, args.operationId, { status: 'Succeeded' });
  // What the cluster costs changes when it starts running, is scaled, or is gone.
  const metered = { tenantId: target.tenantId, projectId: target.projectId, id: target.clusterId, name: args.context.cluster.name, provider: args.context.cluster.provider };
  let items: TransactItem[];
  if (change.kind === 'delete') {
    items = [
      {
        Delete: {
          Key: keys.cluster(target.tenantId, target.projectId, target.clusterId),
          ConditionExpression: 'operationId = :op',
          ExpressionAttributeValues: { ':op': args.operationId },
        },
      },
      { Delete: { Key: keys.clusterName(target.tenantId, target.projectId, args.context.cluster.name) } },
      ...referenceUpdates(target.tenantId, target.projectId, refs, undefined),
      hostClusterMeter(metered, 'ended', []),
      ...(await releaseEdgeHosts(store, target.clusterId, args.context.cluster.edge?.hosts ?? [])),
      done,
    ];
  } else {
    const observed = { endpoint: args.poll?.endpoint ?? undefined, kubernetesVersion: args.poll?.kubernetesVersion ?? undefined };
    const set: Record<string, unknown> = { status: { phase: 'Running' }, pending: undefined };
    if (observed.endpoint) set.endpoint = observed.endpoint;
    let hosts = args.context.cluster.edge?.hosts ?? [];
    const released: TransactItem[] = [];
    if (change.kind === 'scale' && change.edge) {
      // The workers that left go free; those that joined were members from the request on.
      const leaving = change.edge.leave;
      hosts = hosts.filter((h) => !leaving.some((l) => l.hostId === h.hostId));
      set.edge = { hosts };
      released.push(...(await releaseEdgeHosts(store, target.clusterId, leaving)));
    } else if (change.kind === 'scale') {
      set.nodePools = args.context.cluster.nodePools.map((pool) => (pool.name === change.pool.name ? change.pool : pool));
    } else if (change.kind === 'upgrade') {
      Object.assign(set, { profileId: change.profileId, kubernetesVersion: change.kubernetesVersion, variables: change.variables });
    } else if (observed.kubernetesVersion) {
      set.kubernetesVersion = observed.kubernetesVersion;
    }
    const after = change.kind === 'upgrade' ? { accountId: refs.accountId, profileIds: [change.profileId] } : refs;
    // Edge hosts are metered as the owned machines they are (prices.ts OWNED_HARDWARE).
    const edgeNodes = hosts.flatMap((h) => (h.hardware ? [{ instanceType: ownedNodeType(h.hardware), count: 1 }] : []));
    const pools = (set.nodePools as typeof args.context.cluster.nodePools | undefined) ?? args.context.cluster.nodePools;
    const meter = change.kind === 'upgrade' ? [] : [hostClusterMeter(metered, 'running', [...pools, ...edgeNodes])];
    items = [ownedClusterUpdate(target, args.operationId, { set }), ...referenceUpdates(target.tenantId, target.projectId, refs, after), ...meter, ...released, done];
  }
  await commitFinish(store, items, { tenantId: target.tenantId, operationId: args.operationId, what: `cluster ${target.clusterId}` });
}

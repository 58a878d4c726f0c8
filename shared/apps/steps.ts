/**
 * The steps of the app workflows (workflows/app.ts). A deploy renders the target
 * profile version (render.ts: pure, so every step renders the same objects), applies
 * the tiers one at a time in order through the virtual cluster's own credential, waits
 * for each to be ready, prunes what the new version no longer has and records what is
 * deployed. Tiers whose content did not change are not touched. Every write to the
 * table is conditioned on the operation still owning the app.
 */
import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { logger } from '../observability/logger.ts';
import type { Store } from '../store/client.ts';
import { keys } from '../store/keys.ts';
import { getItem, transact, TransactionConflict, updateItem, type TransactItem } from '../store/table.ts';
import { commitFinish, finishOperationItem } from '../operations/operations.ts';
import { readableCause } from '../operations/step-errors.ts';
import { stepEventSchema } from '../operations/step-event.ts';
import { getAppProfile } from '../app-profiles/app-profiles.ts';
import type { AppTier } from '../app-profiles/items.ts';
import { applyObjects, inNamespace, kubeCall } from '../kube/apply.ts';
import { kubeClient, type KubeClient, type KubeObject } from '../kube/kube-client.ts';
import { PermanentProviderError } from '../providers/provider.ts';
import { virtualClusterItem } from '../virtual-clusters/items.ts';
import { virtualClusterAccess } from '../virtual-clusters/virtual-clusters.ts';
import { appSteps } from '#workflows/names.ts';
import { isWorkloadReady, renderTiers, type RenderedTier } from './render.ts';
import { chartUsesState, registriesOf, type ChartRequest } from '../helm/apply.ts';
import { credentialSecretNameOf, fluxCredentialSecret } from '../helm/flux.ts';
import { registryEndpoint } from '../registries/registries.ts';
import { deployedTierItem, pendingAppChange, type DeployedTier, type ObjectRef, type TierStatus } from './items.ts';
import { appDeletionItems, failAppOperation, ownedAppUpdate, profileReferenceUpdates, type AppContext } from './apps.ts';
import { appMeter, appRequests } from '../usage/meters.ts';

const context = z.object({
  change: pendingAppChange,
  app: z.object({ name: z.string(), namespace: z.string(), virtualClusterId: z.string(), profileName: z.string() }),
  deployed: z.array(deployedTierItem),
  refs: z.array(z.string()),
}) satisfies z.ZodType<AppContext>;

const plan = z.object({ count: z.number().int(), tiers: z.array(z.object({ name: z.string(), changed: z.boolean() })) });
const cursor = z.object({ index: z.number().int(), next: z.number().int(), name: z.string() });

export const appStepEvent = stepEventSchema({
  resourceType: 'app',
  steps: appSteps,
  targets: ['Ready', 'Deleted'],
  context,
  state: {
    /** What prepare found: the tiers to deploy and which of them changed. */
    plan: plan.optional(),
    /** The tier being deployed. */
    tier: cursor.optional(),
    poll: z.object({ attempts: z.number().optional(), message: z.string().optional(), tier: z.string().optional() }).loose().optional(),
  },
});
export type AppStepEvent = z.infer<typeof appStepEvent>;

type Target = { tenantId: string; projectId: string; appId: string };

/** The virtual cluster's API with its own credential (read from the table: a credential stays out of execution state). */
async function virtualClusterApi(store: Store, target: Target, virtualClusterId: string): Promise<KubeClient> {
  const vc = await getItem(store, keys.virtualCluster(target.tenantId, target.projectId, virtualClusterId), virtualClusterItem);
  if (!vc) throw new PermanentProviderError(`virtual cluster ${virtualClusterId} no longer exists`);
  if (vc.status.phase !== 'Running') throw new PermanentProviderError(`virtual cluster ${vc.name} is ${vc.status.phase}; deploy again once it is Running`);
  if (!vc.access) throw new PermanentProviderError(`virtual cluster ${vc.name} has no credential yet`);
  return kubeClient(await virtualClusterAccess({ ...vc, access: vc.access }));
}

async function render(store: Store, target: Target, ctx: AppContext): Promise<RenderedTier[]> {
  if (ctx.change.kind !== 'deploy') throw new PermanentProviderError('no deploy is pending');
  const profile = await getAppProfile(store, target.tenantId, target.projectId, ctx.change.appProfileId).catch(() => undefined);
  if (!profile) throw new PermanentProviderError(`app profile ${ctx.change.appProfileId} no longer exists`);
  const registries = await registriesOf(store, target.tenantId, helmRequestsOf(profile.tiers));
  const registryInfo = new Map([...registries.values()].map((r) => [r.id, { id: r.id, type: r.registryType, url: r.url, authenticated: r.sealedSecret !== undefined }]));
  return renderTiers({ appId: target.appId, appName: ctx.app.name, namespace: ctx.app.namespace, tiers: profile.tiers, values: ctx.change.values as never, registries: registryInfo });
}

/** The charts of a profile's helm tiers, as requests for the registries they name. */
const helmRequestsOf = (tiers: readonly AppTier[]): ChartRequest[] =>
  tiers.flatMap((t) => (t.type === 'helm' ? [{ release: t.name, registryId: t.registryId, chart: t.chart, version: t.version }] : []));

/** A helm tier's registry credential, as its Flux source reads it (written by the step: it is opened from its seal, never rendered). */
async function credentialSecrets(store: Store, tenantId: string, tier: RenderedTier): Promise<KubeObject[]> {
  if (!tier.charts.length) return [];
  const registries = await registriesOf(store, tenantId, tier.charts.map((c) => ({ release: c.release, registryId: c.registry.id, chart: c.chart, version: c.version })));
  const secrets = await Promise.all(tier.charts.map(async (use) => fluxCredentialSecret(use, await registryEndpoint(registries.get(use.registry.id)!))));
  return secrets.filter((secret): secret is KubeObject => secret !== undefined);
}

const refOf = (object: KubeObject, namespace?: string): ObjectRef => ({
  apiVersion: object.apiVersion!,
  kind: object.kind!,
  name: object.metadata!.name!,
  ...(object.metadata?.namespace ?? namespace ? { namespace: object.metadata?.namespace ?? namespace } : {}),
});

const objectsOf = (tier: RenderedTier) => tier.objects as KubeObject[];

/** What a tier holds once deployed, for prune and delete. */
async function deployedOf(client: KubeClient, tier: RenderedTier, namespace: string): Promise<DeployedTier> {
  const objects = (await inNamespace(client, objectsOf(tier), namespace)).map((o) => refOf(o));
  const secrets = tier.generatedSecrets.map((s) => ({ apiVersion: 'v1', kind: 'Secret', name: s.name, namespace: s.namespace }));
  const credentials = tier.charts.filter((c) => c.registry.authenticated).map((c) => ({ apiVersion: 'v1', kind: 'Secret', name: credentialSecretNameOf(c), namespace: c.namespace }));
  return { name: tier.name, type: tier.type, hash: tier.hash, objects: [...secrets, ...credentials, ...objects] };
}

async function deleteRefs(client: KubeClient, refs: ObjectRef[]): Promise<number> {
  let deleted = 0;
  for (const ref of [...refs].reverse()) {
    if (await kubeCall(`deleting ${ref.kind} ${ref.name}`, () => client.delete(ref))) deleted += 1;
  }
  return deleted;
}

/** Generated passwords are created once: an existing Secret keeps its value (a redeploy must not rotate it under a running database). */
async function ensureGeneratedSecrets(client: KubeClient, tier: RenderedTier) {
  for (const secret of tier.generatedSecrets) {
    const stringData = Object.fromEntries(secret.keys.map((key) => [key, randomBytes(24).toString('base64url')]));
    await kubeCall(`creating Secret ${secret.name}`, () =>
      client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: secret.name, namespace: secret.namespace, labels: secret.labels }, type: 'Opaque', stringData }),
    );
  }
}

/** The tiers' status while tier `index` is at `phase`: those before it Ready, unchanged ones Ready, the rest Pending. */
function tiersAt(p: z.infer<typeof plan>, index: number, phase: TierStatus['phase'], message?: string): TierStatus[] {
  return p.tiers.map((tier, i) => {
    if (i === index) return { name: tier.name, phase, ...(message ? { message } : {}) };
    return { name: tier.name, phase: i < index || !tier.changed ? 'Ready' : 'Pending' };
  });
}

async function writeStatus(store: Store, target: Target, operationId: string, status: { phase: string; message?: string; tiers: TierStatus[] }) {
  // Progress a user can see; a write that finds the operation gone changes nothing.
  await transact(store, [ownedAppUpdate(target, operationId, { set: { status } })]).catch((error: unknown) => {
    if (!(error instanceof TransactionConflict)) throw error;
  });
}

export async function runAppStep(store: Store, event: AppStepEvent): Promise<Record<string, unknown>> {
  const { args } = event;
  const ctx = args.context;
  const target = { tenantId: args.resource.tenantId, projectId: args.resource.projectId, appId: args.resource.id };
  logger.appendKeys({ appId: target.appId, operationId: args.operationId, step: event.step, ...(args.requestId ? { requestId: args.requestId } : {}) });
  const api = () => virtualClusterApi(store, target, ctx.app.virtualClusterId);

  switch (event.step) {
    case 'prepare': {
      const tiers = await render(store, target, ctx);
      const result = {
        count: tiers.length,
        tiers: tiers.map((tier) => ({ name: tier.name, changed: ctx.deployed.find((d) => d.name === tier.name)?.hash !== tier.hash })),
      };
      await writeStatus(store, target, args.operationId, { phase: 'Deploying', message: `deploying ${tiers.length} tier(s)`, tiers: tiersAt(result, 0, result.tiers[0]?.changed ? 'Pending' : 'Ready') });
      return result;
    }

    case 'applyTier': {
      const p = args.plan!;
      const index = args.tier?.next ?? 0;
      const tiers = await render(store, target, ctx);
      const tier = tiers[index]!;
      const client = await api();
      if (index === 0) {
        await applyObjects(client, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ctx.app.namespace, labels: { 'app.kubernetes.io/managed-by': 'palette', 'palette.dev/app': target.appId } } }]);
      }
      if (p.tiers[index]?.changed) {
        await writeStatus(store, target, args.operationId, { phase: 'Deploying', message: `deploying tier ${tier.name}`, tiers: tiersAt(p, index, 'Deploying') });
        await ensureGeneratedSecrets(client, tier);
        await applyObjects(client, await credentialSecrets(store, target.tenantId, tier));
        await applyObjects(client, await inNamespace(client, objectsOf(tier), ctx.app.namespace));
      }
      return { index, next: index + 1, name: tier.name };
    }

    case 'checkTier': {
      const p = args.plan!;
      const current = args.tier!;
      const attempts = args.poll?.tier === current.name ? (args.poll.attempts ?? 0) + 1 : 1;
      const tier = (await render(store, target, ctx))[current.index]!;
      const client = await api();
      const waiting: string[] = [];
      if (tier.charts.length) {
        const charts = await chartUsesState(client, tier.charts);
        // Flux gave up (a chart or version the registry no longer has, a refused login): the tier fails with its reason.
        if (charts.state === 'failed') throw new PermanentProviderError(`tier ${tier.name}: ${charts.message}`);
        if (charts.state === 'waiting') waiting.push(charts.message);
      }
      for (const workload of tier.workloads) {
        const object = await kubeCall(`reading ${workload.kind} ${workload.name}`, () =>
          client.get({ apiVersion: workload.apiVersion, kind: workload.kind, name: workload.name, namespace: workload.namespace }),
        );
        if (!isWorkloadReady(object)) {
          const status = (object as { status?: { readyReplicas?: number; availableReplicas?: number } } | undefined)?.status;
          const desired = (object as { spec?: { replicas?: number } } | undefined)?.spec?.replicas ?? 1;
          waiting.push(`${workload.kind} ${workload.name}: ${status?.availableReplicas ?? status?.readyReplicas ?? 0}/${desired} ready`);
        }
      }
      if (waiting.length) {
        const message = `waiting for ${waiting.join(', ')}`;
        if (message !== args.poll?.message) await writeStatus(store, target, args.operationId, { phase: 'Deploying', message, tiers: tiersAt(p, current.index, 'Deploying', message) });
        return { phase: 'Deploying', attempts, message, tier: current.name };
      }
      await writeStatus(store, target, args.operationId, { phase: 'Deploying', message: `tier ${current.name} is ready`, tiers: tiersAt(p, current.index + 1, 'Pending') });
      return { phase: 'Ready', attempts, message: 'ready', tier: current.name };
    }

    case 'prune': {
      const tiers = await render(store, target, ctx);
      const client = await api();
      const now = new Map(await Promise.all(tiers.map(async (t) => [t.name, await deployedOf(client, t, ctx.app.namespace)] as const)));
      const key = (r: ObjectRef) => `${r.apiVersion}|${r.kind}|${r.namespace ?? ''}|${r.name}`;
      const keep = new Set([...now.values()].flatMap((t) => t.objects.map(key)));
      const stale = ctx.deployed.flatMap((t) => t.objects).filter((r) => !keep.has(key(r)));
      const removedTiers = ctx.deployed.filter((t) => !now.has(t.name)).map((t) => t.name);
      if (stale.length) logger.info('pruning what the new version no longer has', { removedTiers, objects: stale.length });
      return { deleted: await deleteRefs(client, stale), removedTiers };
    }

    case 'remove': {
      const client = await api();
      await deleteRefs(client, ctx.deployed.flatMap((t) => t.objects));
      await kubeCall(`deleting namespace ${ctx.app.namespace}`, () => client.delete({ apiVersion: 'v1', kind: 'Namespace', name: ctx.app.namespace }));
      return { ok: true };
    }

    case 'describeRemoval': {
      const attempts = (args.poll?.attempts ?? 0) + 1;
      const namespace = await kubeCall('reading the app namespace', async () => (await api()).get({ apiVersion: 'v1', kind: 'Namespace', name: ctx.app.namespace }));
      return namespace ? { phase: 'Deleting', attempts, message: `namespace ${ctx.app.namespace} is terminating` } : { phase: 'Deleted', attempts, message: 'removed' };
    }

    case 'finish':
      await finish(store, args, target);
      return { ok: true };

    case 'markError': {
      const message = readableCause(args.error);
      logger.warn('app workflow failed', { reason: message, tier: args.tier?.name });
      const failing = args.tier ? args.tier.index : 0;
      const tiers = args.plan && ctx.change.kind === 'deploy' ? tiersAt(args.plan, failing, 'Error', message) : undefined;
      await failAppOperation(store, target, args.operationId, { code: args.error?.Error ?? 'WorkflowFailed', message }, tiers);
      return { ok: true };
    }
  }
}

/**
 * Records the finished change with the operation's end, in one transaction: the app
 * Deployed at the new revision with what it applied, its references moved to the
 * deployed version; or, after a delete, the app gone with its references.
 */
async function finish(store: Store, args: AppStepEvent['args'], target: Target) {
  const ctx = args.context;
  const done = finishOperationItem(target.tenantId, args.operationId, { status: 'Succeeded' });
  const metered = { tenantId: target.tenantId, projectId: target.projectId, id: target.appId, name: ctx.app.name, virtualClusterId: ctx.app.virtualClusterId };
  let items: TransactItem[];
  if (ctx.change.kind === 'delete') {
    items = [
      ...appDeletionItems(target, ctx.app, ctx.refs, args.operationId),
      updateItem(keys.virtualCluster(target.tenantId, target.projectId, ctx.app.virtualClusterId), { add: { apps: -1 }, touch: false }),
      appMeter(metered, 'ended', { cpu: 0, memoryMiB: 0, storageGiB: 0 }),
      done,
    ];
  } else {
    const profile = await getAppProfile(store, target.tenantId, target.projectId, ctx.change.appProfileId);
    const client = await virtualClusterApi(store, target, ctx.app.virtualClusterId);
    const tiers = await render(store, target, ctx);
    const deployed = await Promise.all(tiers.map((t) => deployedOf(client, t, ctx.app.namespace)));
    items = [
      ownedAppUpdate(target, args.operationId, {
        set: {
          status: { phase: 'Deployed', tiers: tiers.map((t) => ({ name: t.name, phase: 'Ready' })) },
          deployed,
          appProfileId: profile.id,
          profileVersion: profile.profileVersion,
          values: ctx.change.values,
          revision: ctx.change.revision,
          pending: undefined,
        },
      }),
      ...profileReferenceUpdates(target.tenantId, target.projectId, ctx.refs, [profile.id]),
      // What its tiers request from here on, charged at its virtual cluster's host's prices.
      appMeter(metered, 'running', appRequests(profile.tiers, ctx.change.values)),
      done,
    ];
  }
  await commitFinish(store, items, { tenantId: target.tenantId, operationId: args.operationId, what: `app ${target.appId}` });
}

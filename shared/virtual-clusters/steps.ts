/**
 * The steps of the virtual-cluster workflows (workflows/virtual-cluster.ts): what
 * vcluster's Helm chart and its operator would do on the host, through the host's
 * Kubernetes API, and the bookkeeping in the table. Each step is safe to run again
 * (server-side apply; deletes that find nothing are done); every write to the table is
 * conditioned on the operation still owning the virtual cluster.
 */
import * as z from 'zod';
import { logger } from '../observability/logger.ts';
import type { Store } from '../store/client.ts';
import { keys } from '../store/keys.ts';
import { getItem, transact, type TransactItem } from '../store/table.ts';
import { commitFinish, finishOperationItem } from '../operations/operations.ts';
import { readableCause } from '../operations/step-errors.ts';
import { stepEventSchema } from '../operations/step-event.ts';
import { accountSettingsItem } from '../cloud-accounts/items.ts';
import { edgeClusterItem, hostClusterItem, hostClusterProviders } from '../host-clusters/items.ts';
import { applyObjects, FIELD_MANAGER, kubeCall } from '../kube/apply.ts';
import { kubeClient, type KubeClient, type KubeObject, type ObjectRef } from '../kube/kube-client.ts';
import { parseKubeconfig, type ClusterAccess } from '../kube/kubeconfig.ts';
import { clusterRef, providerFor } from '../providers/index.ts';
import { ClusterGoneError, PermanentProviderError, TransientProviderError } from '../providers/provider.ts';
import { secretBoxFromEnv } from '../secrets/secret-box.ts';
import { virtualClusterSteps } from '#workflows/names.ts';
import { hostRef, pendingVirtualClusterChange, reservationItem, resourcesItem, type AccessItem } from './items.ts';
import { appsRemovedWith } from '../apps/apps.ts';
import { hostObjects, kubeconfigSecretOf, REPLICAS_BEFORE_PAUSE, SYNCED_BY } from './manifests.ts';
import { credentialPurpose, deletionItems, failVirtualClusterOperation, ownedUpdate, type VirtualClusterContext } from './virtual-clusters.ts';
import { virtualClusterMeter } from '../usage/meters.ts';
import { decodeSnapshot, restoreObjects } from '../backups/snapshot.ts';
import { backupStoreFromEnv } from '../backups/store.ts';

const context = z.object({
  change: pendingVirtualClusterChange,
  virtualCluster: z.object({
    name: z.string(),
    namespace: z.string(),
    endpointType: z.enum(['Ingress', 'LoadBalancer']),
    resources: resourcesItem,
    ownerId: z.string(),
    ingressHost: z.string().optional(),
  }),
  host: hostRef
    .extend({
      name: z.string(),
      provider: z.enum(hostClusterProviders),
      providerName: z.string(),
      region: z.string().nullable(),
      account: accountSettingsItem.optional(),
      edge: edgeClusterItem.optional(),
    })
    .nullable(),
  reservation: reservationItem.optional(),
}) satisfies z.ZodType<VirtualClusterContext>;

/** Where the describe step found the API server reachable from outside the host. */
const exposure = z.object({ endpoint: z.string(), server: z.string(), tlsServerName: z.string().optional() });

export const virtualClusterStepEvent = stepEventSchema({
  resourceType: 'virtualcluster',
  steps: virtualClusterSteps,
  targets: ['Running', 'Paused', 'Deleted'],
  context,
  state: {
    poll: z.object({ attempts: z.number().optional(), message: z.string().optional(), exposure: exposure.nullable().optional() }).loose().optional(),
    /** What the delete step found: a host gone for good leaves nothing to wait for. */
    removal: z.object({ hostGone: z.boolean(), reason: z.string().optional() }).optional(),
  },
});
export type VirtualClusterStepEvent = z.infer<typeof virtualClusterStepEvent>;

type Host = NonNullable<VirtualClusterContext['host']>;

/** How long a warm step Lambda keeps a host's access (EKS tokens last 15 minutes). */
const ACCESS_TTL_MS = 5 * 60_000;
const accessCache = new Map<string, { access: Promise<ClusterAccess>; until: number }>();

/**
 * The host's API, as its provider grants it, kept for a few minutes per host (an
 * imported host's kubeconfig is read from the table: it is a credential, not state).
 */
async function hostApi(store: Store, host: Host): Promise<KubeClient> {
  const key = `${host.tenantId}/${host.clusterId}/${host.providerName}`;
  const cached = accessCache.get(key);
  if (cached && cached.until > Date.now()) return kubeClient(await cached.access);
  const access = (async () => {
    let kubeconfig: string | undefined;
    if (host.provider === 'imported') {
      kubeconfig = (await getItem(store, keys.cluster(host.tenantId, host.projectId, host.clusterId), hostClusterItem))?.kubeconfig;
      if (!kubeconfig) throw new ClusterGoneError(`host cluster ${host.name} no longer exists`);
    }
    const provider = await providerFor({
      provider: host.provider,
      account: host.account,
      kubeconfig,
      scope: { tenantId: host.tenantId, projectId: host.projectId },
      // Reaching an edge host adds no task: only clusterAccess is asked.
      ...(host.edge ? { edge: { hosts: host.edge.hosts, operationId: '' } } : {}),
    });
    return provider.clusterAccess(clusterRef({ id: host.clusterId, providerName: host.providerName, region: host.region }));
  })();
  accessCache.set(key, { access, until: Date.now() + ACCESS_TTL_MS });
  // A failure is not kept: the next step asks the provider again.
  access.catch(() => accessCache.delete(key));
  return kubeClient(await access);
}

/** After a call to the host failed, the next attempt asks its provider afresh (the host may have moved, or gone for good). */
const forgetAccess = (host: Host) => accessCache.delete(`${host.tenantId}/${host.clusterId}/${host.providerName}`);

const ref = (apiVersion: string, kind: string, name: string, namespace?: string): ObjectRef => ({ apiVersion, kind, name, ...(namespace ? { namespace } : {}) });

interface LoadBalancerIngress {
  ip?: string;
  hostname?: string;
  ports?: Array<{ port?: number }>;
}

/** Where a Service or Ingress is published: `https://<address>[:port]`. */
function addressOf(ingress: LoadBalancerIngress | undefined, defaultPort = 443) {
  const address = ingress?.ip ?? ingress?.hostname;
  if (!address) return undefined;
  const port = ingress?.ports?.[0]?.port ?? defaultPort;
  return port === 443 ? `https://${address}` : `https://${address}:${port}`;
}

const publishedAt = (object: KubeObject | undefined) =>
  addressOf((object?.status as { loadBalancer?: { ingress?: LoadBalancerIngress[] } } | undefined)?.loadBalancer?.ingress?.[0]);

async function findExposure(client: KubeClient, vc: VirtualClusterContext['virtualCluster']): Promise<z.infer<typeof exposure> | undefined> {
  const { name, namespace } = vc;
  if (vc.endpointType === 'LoadBalancer') {
    const server = publishedAt(await kubeCall(`reading Service ${name}`, () => client.get(ref('v1', 'Service', name, namespace))));
    return server ? { endpoint: server, server } : undefined;
  }
  const server = publishedAt(await kubeCall(`reading Ingress ${name}`, () => client.get(ref('networking.k8s.io/v1', 'Ingress', name, namespace))));
  if (!server || !vc.ingressHost) return undefined;
  // The Ingress host name is what users see; clients connect to the ingress address and name the host by SNI.
  return { endpoint: `https://${vc.ingressHost}`, server, tlsServerName: vc.ingressHost };
}

const syncedPods = (vc: VirtualClusterContext['virtualCluster']) => `${SYNCED_BY}=${vc.name}`;
const controlPlane = (vc: VirtualClusterContext['virtualCluster']) => ref('apps/v1', 'StatefulSet', vc.name, vc.namespace);
const kubeconfigSecret = (vc: VirtualClusterContext['virtualCluster']) => ref('v1', 'Secret', kubeconfigSecretOf(vc.name), vc.namespace);

interface Observed {
  phase: string;
  message: string;
  exposure?: z.infer<typeof exposure> | null;
}

async function observe(client: KubeClient, vc: VirtualClusterContext['virtualCluster'], target: 'Running' | 'Paused' | 'Deleted'): Promise<Observed> {
  const { namespace } = vc;
  if (target === 'Deleted') {
    const ns = await kubeCall(`reading Namespace ${namespace}`, () => client.get(ref('v1', 'Namespace', namespace)));
    if (!ns) return { phase: 'Deleted', message: 'removed from its host' };
    if (!ns.metadata?.deletionTimestamp) await kubeCall(`deleting Namespace ${namespace}`, () => client.delete(ref('v1', 'Namespace', namespace)));
    return { phase: 'Deleting', message: `namespace ${namespace} is terminating on the host` };
  }
  const statefulSet = await kubeCall('reading the control plane', () => client.get(controlPlane(vc)));
  if (!statefulSet) throw new PermanentProviderError(`the control plane StatefulSet ${namespace}/${vc.name} is missing on the host`);
  const spec = statefulSet.spec as { replicas?: number } | undefined;
  const ready = (statefulSet.status as { readyReplicas?: number } | undefined)?.readyReplicas ?? 0;
  if (target === 'Paused') {
    const pods = await kubeCall('listing synced pods', () => client.list('v1', 'Pod', namespace, syncedPods(vc)));
    if (spec?.replicas === 0 && ready === 0 && pods.length === 0) return { phase: 'Paused', message: 'paused' };
    return { phase: 'Pausing', message: `waiting for the control plane to stop (${ready} ready) and ${pods.length} synced pod(s) to go` };
  }
  if (ready < 1) return { phase: 'Provisioning', message: 'waiting for the control plane to become ready' };
  const secret = await kubeCall('reading the kubeconfig Secret', () => client.get(kubeconfigSecret(vc)));
  if (!(secret?.data as { config?: string } | undefined)?.config) return { phase: 'Provisioning', message: `waiting for vcluster to write its kubeconfig (Secret ${kubeconfigSecretOf(vc.name)})` };
  const found = await findExposure(client, vc);
  if (!found) return { phase: 'Provisioning', message: `waiting for the ${vc.endpointType === 'LoadBalancer' ? 'load balancer' : 'ingress'} address` };
  return { phase: 'Running', message: 'running', exposure: found };
}

/** The credential and CA vcluster wrote, with the address clients reach it at. */
async function writtenAccess(client: KubeClient, args: VirtualClusterStepEvent['args']) {
  const vc = args.context.virtualCluster;
  const found = args.poll?.exposure;
  if (!found) throw new PermanentProviderError('the virtual cluster has no address to reach it at');
  const secret = await kubeCall('reading the kubeconfig Secret', () => client.get(kubeconfigSecret(vc)));
  const config = (secret?.data as { config?: string } | undefined)?.config;
  if (!config) throw new PermanentProviderError(`the kubeconfig Secret ${kubeconfigSecretOf(vc.name)} is gone`);
  const written = parseKubeconfig(Buffer.from(config, 'base64').toString('utf8'));
  const credentials = {
    ...(written.token ? { token: written.token } : {}),
    ...(written.clientCertificateData ? { clientCertificateData: written.clientCertificateData } : {}),
    ...(written.clientKeyData ? { clientKeyData: written.clientKeyData } : {}),
  };
  return {
    server: found.server,
    ...(written.caData ? { caData: written.caData } : {}),
    ...(found.tlsServerName ? { tlsServerName: found.tlsServerName } : {}),
    credentials,
  };
}

/** The credential and CA vcluster wrote, sealed, with the address clients reach it at. */
async function accessOf(client: KubeClient, args: VirtualClusterStepEvent['args']): Promise<AccessItem> {
  const { credentials, ...address } = await writtenAccess(client, args);
  return { ...address, sealedCredentials: await secretBoxFromEnv().seal(JSON.stringify(credentials), credentialPurpose(args.resource.id)) };
}

/** A create from a backup: the snapshot's objects applied through the new cluster's own credential, before it is Running. */
async function restoreInto(client: KubeClient, args: VirtualClusterStepEvent['args']): Promise<Record<string, unknown>> {
  const restore = args.context.change.kind === 'create' ? args.context.change.restore : undefined;
  if (!restore) return { applied: 0, skipped: {} };
  const bytes = await backupStoreFromEnv().get(restore.storageKey);
  if (!bytes) throw new PermanentProviderError(`the snapshot of backup ${restore.backupId} is gone (deleted or expired)`);
  const snapshot = decodeSnapshot(bytes);
  const { credentials, ...address } = await writtenAccess(client, args);
  const outcome = await restoreObjects(kubeClient({ name: args.context.virtualCluster.name, ...address, ...credentials }), snapshot.objects);
  logger.info('backup restored', { backupId: restore.backupId, applied: outcome.applied, skipped: outcome.skipped });
  return { ...outcome };
}

export async function runVirtualClusterStep(store: Store, event: VirtualClusterStepEvent): Promise<Record<string, unknown>> {
  try {
    return await runStep(store, event);
  } catch (error) {
    if (error instanceof TransientProviderError && event.args.context.host) forgetAccess(event.args.context.host);
    throw error;
  }
}

async function runStep(store: Store, event: VirtualClusterStepEvent): Promise<Record<string, unknown>> {
  const { args } = event;
  const ctx = args.context;
  const vc = ctx.virtualCluster;
  const target = { tenantId: args.resource.tenantId, projectId: args.resource.projectId, virtualClusterId: args.resource.id };
  logger.appendKeys({ virtualClusterId: target.virtualClusterId, operationId: args.operationId, step: event.step, ...(args.requestId ? { requestId: args.requestId } : {}) });
  const host = async () => {
    if (!ctx.host) throw new ClusterGoneError('the virtual cluster\'s host cluster no longer exists');
    return hostApi(store, ctx.host);
  };
  const objects = () =>
    hostObjects({ id: args.resource.id, name: vc.name, namespace: vc.namespace, tenantId: target.tenantId, ownerId: vc.ownerId, resources: vc.resources, endpointType: vc.endpointType, ...(vc.ingressHost ? { ingressHost: vc.ingressHost } : {}) });

  switch (event.step) {
    case 'provision':
      await applyObjects(await host(), objects());
      return { ok: true };

    case 'resize': {
      const client = await host();
      // The StatefulSet's volume template is immutable: the quota and limits follow the
      // new size, and the control plane's claim is expanded in place.
      await applyObjects(client, objects().filter((o) => o.kind === 'ResourceQuota' || o.kind === 'LimitRange'));
      const claim = ref('v1', 'PersistentVolumeClaim', `data-${vc.name}-0`, vc.namespace);
      // A claim that does not exist yet is created from the template at the new size by the next pod.
      if (await kubeCall('reading the control plane volume', () => client.get(claim))) {
        await kubeCall('expanding the control plane volume', () => client.mergePatch(claim, { spec: { resources: { requests: { storage: `${vc.resources.storageGiB}Gi` } } } }, FIELD_MANAGER));
      }
      return { ok: true };
    }

    case 'pause': {
      const client = await host();
      const current = await kubeCall('reading the control plane', () => client.get(controlPlane(vc)));
      if (!current) throw new PermanentProviderError(`the control plane StatefulSet ${vc.namespace}/${vc.name} is missing on the host`);
      const replicas = (current.spec as { replicas?: number } | undefined)?.replicas ?? 1;
      const kept = current.metadata?.annotations?.[REPLICAS_BEFORE_PAUSE];
      await kubeCall('scaling the control plane to zero', () =>
        client.mergePatch(controlPlane(vc), { metadata: { annotations: { [REPLICAS_BEFORE_PAUSE]: kept ?? String(Math.max(1, replicas)) } }, spec: { replicas: 0 } }, FIELD_MANAGER),
      );
      // vcluster's synced workloads stop with it: their host pods are removed.
      await kubeCall('removing synced pods', () => client.deleteCollection('v1', 'Pod', vc.namespace, syncedPods(vc)));
      return { ok: true };
    }

    case 'resume': {
      const client = await host();
      const current = await kubeCall('reading the control plane', () => client.get(controlPlane(vc)));
      if (!current) throw new PermanentProviderError(`the control plane StatefulSet ${vc.namespace}/${vc.name} is missing on the host`);
      const replicas = Number(current.metadata?.annotations?.[REPLICAS_BEFORE_PAUSE] ?? '1') || 1;
      await kubeCall('starting the control plane', () =>
        client.mergePatch(controlPlane(vc), { metadata: { annotations: { [REPLICAS_BEFORE_PAUSE]: null } }, spec: { replicas } }, FIELD_MANAGER),
      );
      return { ok: true };
    }

    case 'delete': {
      try {
        const client = await host();
        await kubeCall(`deleting Namespace ${vc.namespace}`, () => client.delete(ref('v1', 'Namespace', vc.namespace)));
        return { hostGone: false };
      } catch (error) {
        // A host that is gone, or out of reach for good, cannot hold the delete hostage.
        if (!(error instanceof PermanentProviderError)) throw error;
        logger.warn('the host cannot be reached; the virtual cluster is removed without cleaning up its namespace', { reason: error.message, namespace: vc.namespace });
        return { hostGone: true, reason: error.message };
      }
    }

    case 'describe': {
      const attempts = (args.poll?.attempts ?? 0) + 1;
      if (event.target === 'Deleted' && args.removal?.hostGone) return { phase: 'Deleted', attempts, message: 'host unreachable' };
      const observed = await observe(await host(), vc, event.target ?? 'Running');
      if (observed.phase !== event.target && observed.message !== args.poll?.message) {
        // Progress a user can see; a write that finds the operation gone changes nothing.
        const phase = ({ Running: args.context.change.kind === 'resume' ? 'Resuming' : 'Provisioning', Paused: 'Pausing', Deleted: 'Deleting' } as const)[event.target ?? 'Running'];
        await transact(store, [ownedUpdate(target, args.operationId, { set: { status: { phase, message: observed.message } } })]).catch(() => undefined);
      }
      return { ...observed, attempts, exposure: observed.exposure ?? null };
    }

    case 'restore':
      return restoreInto(await host(), args);

    case 'finish':
      await finish(store, args, target, ctx.change.kind === 'create' ? await accessOf(await host(), args) : undefined);
      return { ok: true };

    case 'markError': {
      const message = readableCause(args.error);
      logger.warn('virtual cluster workflow failed', { reason: message, change: ctx.change.kind });
      await failVirtualClusterOperation(store, target, args.operationId, ctx, { code: args.error?.Error ?? 'WorkflowFailed', message });
      return { ok: true };
    }
  }
}

/**
 * Applies the finished change and ends the operation in one transaction: Running with
 * its address and sealed access after a create, Paused, Running again, or gone (with
 * its apps, its reservation given back). A finish that runs again changes nothing.
 */
async function finish(store: Store, args: VirtualClusterStepEvent['args'], target: { tenantId: string; projectId: string; virtualClusterId: string }, access: AccessItem | undefined) {
  const { change } = args.context;
  const done = finishOperationItem(target.tenantId, args.operationId, { status: 'Succeeded' });
  // Pause, resume and delete change what the virtual cluster accrues (create and resize were metered when they began).
  const vc = args.context.virtualCluster;
  const host = args.context.reservation?.host ?? args.context.host;
  const meterState = ({ pause: 'paused', resume: 'running', delete: 'ended' } as const)[change.kind as 'pause' | 'resume' | 'delete'];
  const meter = meterState && host
    ? [virtualClusterMeter({ tenantId: target.tenantId, projectId: target.projectId, id: target.virtualClusterId, name: vc.name, ownerId: vc.ownerId, host }, meterState, vc.resources)]
    : [];
  let items: TransactItem[];
  if (change.kind === 'delete') {
    items = [...deletionItems(target, args.operationId, args.context), ...(await appsRemovedWith(store, target)), ...meter, done];
  } else {
    const set: Record<string, unknown> = { status: { phase: change.kind === 'pause' ? 'Paused' : 'Running' }, pending: undefined };
    if (access) Object.assign(set, { access, endpoint: args.poll?.exposure?.endpoint });
    items = [ownedUpdate(target, args.operationId, { set }), ...meter, done];
  }
  await commitFinish(store, items, { tenantId: target.tenantId, operationId: args.operationId, what: `virtual cluster ${target.virtualClusterId}` });
}

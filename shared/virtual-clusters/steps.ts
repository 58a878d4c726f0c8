/**
 * The steps of the virtual-cluster workflows (workflows/virtual-cluster.ts): what
 * vcluster's Helm chart and its operator would do on the host, through the host's
 * Kubernetes API, and the bookkeeping in the table. Each step is safe to run again
 * (server-side apply; deletes that find nothing are done); every write to the table is
 * conditioned on the operation still owning the virtual cluster.
 */
import { AppsV1Api, CoreV1Api, KubernetesObjectApi, NetworkingV1Api, PatchStrategy, type KubeConfig, type V1LoadBalancerIngress } from '@kubernetes/client-node';
import * as z from 'zod';
import { logger } from '../observability/logger.ts';
import type { Store } from '../store/client.ts';
import { keys } from '../store/keys.ts';
import { getItem, transact, TransactionConflict, type TransactItem } from '../store/table.ts';
import { finishOperationItem } from '../operations/operations.ts';
import { operationItem } from '../operations/items.ts';
import { readableCause } from '../operations/step-errors.ts';
import { accountSettingsItem } from '../cloud-accounts/items.ts';
import { hostClusterItem, hostClusterProviders } from '../host-clusters/items.ts';
import { applyObjects, FIELD_MANAGER } from '../kube/apply.ts';
import { clientConfig } from '../kube/client.ts';
import { parseKubeconfig } from '../kube/kubeconfig.ts';
import { clusterRef, providerFor } from '../providers/index.ts';
import { ClusterGoneError, PermanentProviderError, TransientProviderError } from '../providers/provider.ts';
import { secretBoxFromEnv } from '../secrets/secret-box.ts';
import { virtualClusterSteps } from '#workflows/names.ts';
import { hostRef, pendingVirtualClusterChange, reservationItem, resourcesItem, type AccessItem } from './items.ts';
import { appsRemovedWith } from '../apps/apps.ts';
import { hostObjects, kubeconfigSecretOf, REPLICAS_BEFORE_PAUSE, SYNCED_BY } from './manifests.ts';
import { credentialPurpose, deletionItems, failVirtualClusterOperation, ownedUpdate, type VirtualClusterContext } from './virtual-clusters.ts';

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
    })
    .nullable(),
  reservation: reservationItem.optional(),
}) satisfies z.ZodType<VirtualClusterContext>;

/** Where the describe step found the API server reachable from outside the host. */
const exposure = z.object({ endpoint: z.string(), server: z.string(), tlsServerName: z.string().optional() });

export const virtualClusterStepEvent = z.object({
  step: z.enum(virtualClusterSteps),
  args: z
    .object({
      operationId: z.string().min(1),
      workflow: z.string(),
      requestId: z.string().optional(),
      resource: z.object({ type: z.literal('virtualcluster'), tenantId: z.string().min(1), projectId: z.string().min(1), id: z.string().min(1) }),
      pollSeconds: z.number(),
      maxPolls: z.number(),
      context,
      poll: z.object({ attempts: z.number().optional(), message: z.string().optional(), exposure: exposure.nullable().optional() }).loose().optional(),
      /** What the delete step found: a host gone for good leaves nothing to wait for. */
      removal: z.object({ hostGone: z.boolean(), reason: z.string().optional() }).optional(),
      error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).optional(),
    })
    .loose(),
  target: z.enum(['Running', 'Paused', 'Deleted']).optional(),
});
export type VirtualClusterStepEvent = z.infer<typeof virtualClusterStepEvent>;

const statusCode = (error: unknown) => (error as { code?: number }).code ?? (error as { statusCode?: number }).statusCode;
const isNotFound = (error: unknown) => statusCode(error) === 404;

/** A Kubernetes call whose failure the state machine can act on: retried when a retry can cure it. */
async function kube<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const status = statusCode(error);
    if (status === undefined || status >= 500 || status === 429 || status === 409) throw new TransientProviderError(`${what}: ${(error as Error).message}`);
    throw new PermanentProviderError(`${what} was refused by the host (HTTP ${status}): ${(error as Error).message}`);
  }
}

async function orNothing<T>(what: string, call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    if (isNotFound(error)) return undefined;
    return kube(what, () => Promise.reject(error));
  }
}

/** A JSON merge patch (null removes a field), as field manager `palette`. */
const mergePatch = (config: KubeConfig, patch: Record<string, unknown>) =>
  KubernetesObjectApi.makeApiClient(config).patch(patch as never, undefined, undefined, FIELD_MANAGER, undefined, PatchStrategy.MergePatch);

type Host = NonNullable<VirtualClusterContext['host']>;

/** The host's API, as its provider grants it (an imported host's kubeconfig is read from the table: it is a credential). */
async function hostApi(store: Store, host: Host): Promise<KubeConfig> {
  let kubeconfig: string | undefined;
  if (host.provider === 'imported') {
    kubeconfig = (await getItem(store, keys.cluster(host.tenantId, host.projectId, host.clusterId), hostClusterItem))?.kubeconfig;
    if (!kubeconfig) throw new ClusterGoneError(`host cluster ${host.name} no longer exists`);
  }
  const provider = await providerFor({ provider: host.provider, account: host.account, kubeconfig });
  return clientConfig(await provider.clusterAccess(clusterRef({ id: host.clusterId, providerName: host.providerName, region: host.region })));
}

/** Where a Service or Ingress is published: `https://<address>[:port]`. */
function addressOf(ingress: V1LoadBalancerIngress | undefined, defaultPort = 443) {
  const address = ingress?.ip ?? ingress?.hostname;
  if (!address) return undefined;
  const port = ingress?.ports?.[0]?.port ?? defaultPort;
  return port === 443 ? `https://${address}` : `https://${address}:${port}`;
}

async function findExposure(config: KubeConfig, vc: VirtualClusterContext['virtualCluster']): Promise<z.infer<typeof exposure> | undefined> {
  const { name, namespace } = vc;
  if (vc.endpointType === 'LoadBalancer') {
    const service = await orNothing(`reading Service ${name}`, () => config.makeApiClient(CoreV1Api).readNamespacedService({ name, namespace }));
    const server = addressOf(service?.status?.loadBalancer?.ingress?.[0]);
    return server ? { endpoint: server, server } : undefined;
  }
  const ingress = await orNothing(`reading Ingress ${name}`, () => config.makeApiClient(NetworkingV1Api).readNamespacedIngress({ name, namespace }));
  const server = addressOf(ingress?.status?.loadBalancer?.ingress?.[0]);
  if (!server || !vc.ingressHost) return undefined;
  // The Ingress host name is what users see; clients connect to the ingress address and name the host by SNI.
  return { endpoint: `https://${vc.ingressHost}`, server, tlsServerName: vc.ingressHost };
}

const syncedPods = (vc: VirtualClusterContext['virtualCluster']) => `${SYNCED_BY}=${vc.name}`;

interface Observed {
  phase: string;
  message: string;
  exposure?: z.infer<typeof exposure> | null;
}

async function observe(config: KubeConfig, vc: VirtualClusterContext['virtualCluster'], target: 'Running' | 'Paused' | 'Deleted'): Promise<Observed> {
  const { name, namespace } = vc;
  const core = config.makeApiClient(CoreV1Api);
  if (target === 'Deleted') {
    const ns = await orNothing(`reading Namespace ${namespace}`, () => core.readNamespace({ name: namespace }));
    if (!ns) return { phase: 'Deleted', message: 'removed from its host' };
    if (!ns.metadata?.deletionTimestamp) await orNothing(`deleting Namespace ${namespace}`, () => core.deleteNamespace({ name: namespace }));
    return { phase: 'Deleting', message: `namespace ${namespace} is terminating on the host` };
  }
  const statefulSet = await orNothing(`reading StatefulSet ${name}`, () => config.makeApiClient(AppsV1Api).readNamespacedStatefulSet({ name, namespace }));
  if (!statefulSet) throw new PermanentProviderError(`the control plane StatefulSet ${namespace}/${name} is missing on the host`);
  const ready = statefulSet.status?.readyReplicas ?? 0;
  if (target === 'Paused') {
    const pods = await kube('listing synced pods', () => core.listNamespacedPod({ namespace, labelSelector: syncedPods(vc) }));
    if (statefulSet.spec?.replicas === 0 && ready === 0 && pods.items.length === 0) return { phase: 'Paused', message: 'paused' };
    return { phase: 'Pausing', message: `waiting for the control plane to stop (${ready} ready) and ${pods.items.length} synced pod(s) to go` };
  }
  if (ready < 1) return { phase: 'Provisioning', message: 'waiting for the control plane to become ready' };
  const secret = await orNothing('reading the kubeconfig Secret', () => core.readNamespacedSecret({ name: kubeconfigSecretOf(name), namespace }));
  if (!secret?.data?.config) return { phase: 'Provisioning', message: `waiting for vcluster to write its kubeconfig (Secret ${kubeconfigSecretOf(name)})` };
  const found = await findExposure(config, vc);
  if (!found) return { phase: 'Provisioning', message: `waiting for the ${vc.endpointType === 'LoadBalancer' ? 'load balancer' : 'ingress'} address` };
  return { phase: 'Running', message: 'running', exposure: found };
}

/** The credential and CA vcluster wrote, sealed, with the address clients reach it at. */
async function accessOf(config: KubeConfig, args: VirtualClusterStepEvent['args']): Promise<AccessItem> {
  const vc = args.context.virtualCluster;
  const found = args.poll?.exposure;
  if (!found) throw new PermanentProviderError('the virtual cluster has no address to reach it at');
  const secret = await kube('reading the kubeconfig Secret', () => config.makeApiClient(CoreV1Api).readNamespacedSecret({ name: kubeconfigSecretOf(vc.name), namespace: vc.namespace }));
  const written = parseKubeconfig(Buffer.from(secret.data?.config ?? '', 'base64').toString('utf8'));
  const credentials = {
    ...(written.token ? { token: written.token } : {}),
    ...(written.clientCertificateData ? { clientCertificateData: written.clientCertificateData } : {}),
    ...(written.clientKeyData ? { clientKeyData: written.clientKeyData } : {}),
  };
  return {
    server: found.server,
    ...(written.caData ? { caData: written.caData } : {}),
    ...(found.tlsServerName ? { tlsServerName: found.tlsServerName } : {}),
    sealedCredentials: await secretBoxFromEnv().seal(JSON.stringify(credentials), credentialPurpose(args.resource.id)),
  };
}

export async function runVirtualClusterStep(store: Store, event: VirtualClusterStepEvent): Promise<Record<string, unknown>> {
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
      const config = await host();
      // The StatefulSet's volume template is immutable: the quota and limits follow the
      // new size, and the control plane's claim is expanded in place.
      await applyObjects(config, objects().filter((o) => o.kind === 'ResourceQuota' || o.kind === 'LimitRange'));
      await kube('expanding the control plane volume', () =>
        mergePatch(config, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: `data-${vc.name}-0`, namespace: vc.namespace }, spec: { resources: { requests: { storage: `${vc.resources.storageGiB}Gi` } } } }),
      ).catch((error: unknown) => {
        // A claim that does not exist yet is created from the template at the new size by the next pod.
        if (error instanceof PermanentProviderError && /HTTP 404/.test(error.message)) return;
        throw error;
      });
      return { ok: true };
    }

    case 'pause': {
      const config = await host();
      const current = await kube('reading the control plane', () => config.makeApiClient(AppsV1Api).readNamespacedStatefulSet({ name: vc.name, namespace: vc.namespace }));
      const replicas = current.spec?.replicas ?? 1;
      const kept = current.metadata?.annotations?.[REPLICAS_BEFORE_PAUSE];
      await kube('scaling the control plane to zero', () =>
        mergePatch(config, {
          apiVersion: 'apps/v1',
          kind: 'StatefulSet',
          metadata: { name: vc.name, namespace: vc.namespace, annotations: { [REPLICAS_BEFORE_PAUSE]: kept ?? String(Math.max(1, replicas)) } },
          spec: { replicas: 0 },
        }),
      );
      // vcluster's synced workloads stop with it: their host pods are removed.
      await kube('removing synced pods', () => config.makeApiClient(CoreV1Api).deleteCollectionNamespacedPod({ namespace: vc.namespace, labelSelector: syncedPods(vc) }));
      return { ok: true };
    }

    case 'resume': {
      const config = await host();
      const current = await kube('reading the control plane', () => config.makeApiClient(AppsV1Api).readNamespacedStatefulSet({ name: vc.name, namespace: vc.namespace }));
      const replicas = Number(current.metadata?.annotations?.[REPLICAS_BEFORE_PAUSE] ?? '1') || 1;
      await kube('starting the control plane', () =>
        mergePatch(config, { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: vc.name, namespace: vc.namespace, annotations: { [REPLICAS_BEFORE_PAUSE]: null } }, spec: { replicas } }),
      );
      return { ok: true };
    }

    case 'delete': {
      try {
        const config = await host();
        await orNothing(`deleting Namespace ${vc.namespace}`, () => config.makeApiClient(CoreV1Api).deleteNamespace({ name: vc.namespace }));
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
  let items: TransactItem[];
  if (change.kind === 'delete') {
    items = [...deletionItems(target, args.operationId, args.context), ...(await appsRemovedWith(store, target)), done];
  } else {
    const set: Record<string, unknown> = { status: { phase: change.kind === 'pause' ? 'Paused' : 'Running' }, pending: undefined };
    if (access) Object.assign(set, { access, endpoint: args.poll?.exposure?.endpoint });
    items = [ownedUpdate(target, args.operationId, { set }), done];
  }
  try {
    await transact(store, items);
  } catch (error) {
    if (!(error instanceof TransactionConflict)) throw error;
    const operation = await getItem(store, keys.operation(target.tenantId, args.operationId), operationItem);
    if (operation?.status === 'Succeeded') return;
    throw new PermanentProviderError(`operation ${args.operationId} no longer owns virtual cluster ${target.virtualClusterId}`);
  }
}

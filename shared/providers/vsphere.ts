/**
 * The `vsphere` provider: clusters of VMs in a customer's vCenter, which the platform
 * reaches only through the data-centre gateway agent the cloud account names. Every
 * change is a task added to that gateway's agent item, with the cluster's spec and the
 * vCenter password still sealed (the agents function opens it for that gateway alone,
 * in its heartbeat answer); `describe` reads the gateway's reports.
 */
import type { AccountSettings } from '../cloud-accounts/items.ts';
import type { Store } from '../store/client.ts';
import { keys } from '../store/keys.ts';
import { getItem, transact } from '../store/table.ts';
import { secretBoxFromEnv } from '../secrets/secret-box.ts';
import { parseKubeconfig } from '../kube/kubeconfig.ts';
import { agentItem, agentRefItem } from '../agents/items.ts';
import { addTaskItem, clusterKubeconfigPurpose, latestTask, taskIdFor } from '../agents/agents.ts';
import { agentPhase } from '../agents/heartbeat.ts';
import { PermanentProviderError, type ClusterProvider, type ClusterRef, type NodePoolSpec, type ProviderClusterStatus } from './provider.ts';

const KINDS = { create: 'vsphere.create', scale: 'vsphere.scale', upgrade: 'vsphere.upgrade', delete: 'vsphere.delete' } as const;

export async function createVsphereProvider(
  store: Store,
  options: {
    account: AccountSettings;
    /** The cluster's tenant and project: the gateway is registered there. */
    scope: { tenantId: string; projectId: string };
    operationId: string;
    placement?: { folder?: string | undefined; resourcePool?: string | undefined };
  },
): Promise<ClusterProvider> {
  const settings = options.account.vsphere!;
  const ref = await getItem(store, keys.agentRef(options.scope.tenantId, options.scope.projectId, settings.gatewayId), agentRefItem);
  if (!ref) throw new PermanentProviderError(`the gateway ${settings.gatewayId} of this vSphere account was removed`);
  const gatewayKey = keys.agentByKeyHash(ref.keyHash);
  const readGateway = async () => getItem(store, gatewayKey, agentItem);
  const vcenter = {
    accountId: options.account.id,
    vcenter: settings.vcenter,
    datacenter: settings.datacenter,
    datastore: settings.datastore,
    network: settings.network,
    username: settings.username,
    sealedPassword: settings.sealedPassword,
    ...(options.placement?.folder ? { folder: options.placement.folder } : {}),
    ...(options.placement?.resourcePool ? { resourcePool: options.placement.resourcePool } : {}),
  };
  const addTask = (cluster: ClusterRef, kind: string, spec: Record<string, unknown>) =>
    transact(store, [
      addTaskItem(ref.keyHash, {
        id: taskIdFor(options.operationId, settings.gatewayId, kind),
        kind,
        spec: { cluster: cluster.providerName, ...vcenter, ...spec },
        clusterId: cluster.clusterId,
        operationId: options.operationId,
      }),
    ]);

  return {
    kind: 'vsphere',
    create: (input) => addTask(input, KINDS.create, { kubernetesVersion: input.kubernetesVersion, nodePools: input.nodePools }),
    scaleNodePool: (cluster, pool: NodePoolSpec) => addTask(cluster, KINDS.scale, { pool }),
    upgrade: (cluster, kubernetesVersion) => addTask(cluster, KINDS.upgrade, { kubernetesVersion }),
    delete: (cluster) => addTask(cluster, KINDS.delete, {}),

    async describe(cluster: ClusterRef): Promise<ProviderClusterStatus> {
      const gateway = await readGateway();
      if (!gateway) return { phase: 'Failed', message: `the gateway ${settings.gatewayId} was removed`, nodePools: [] };
      const task = latestTask(gateway, cluster.clusterId);
      if (!task) return { phase: 'Deleted', nodePools: [] };
      const deleting = task.kind === KINDS.delete;
      if (task.phase === 'Failed') return { phase: 'Failed', message: `gateway ${gateway.name}: ${task.message ?? 'the task failed'}`, nodePools: [] };
      if (task.phase === 'Succeeded') {
        if (deleting) return { phase: 'Deleted', nodePools: [] };
        const created = latestTask(gateway, cluster.clusterId, KINDS.create);
        const endpoint = typeof created?.result?.endpoint === 'string' ? created.result.endpoint : undefined;
        const version = typeof task.result?.kubernetesVersion === 'string' ? task.result.kubernetesVersion : undefined;
        return { phase: 'Running', ...(endpoint ? { endpoint } : {}), ...(version ? { kubernetesVersion: version } : {}), nodePools: [] };
      }
      const quiet = agentPhase(gateway) === 'Unreachable' ? `gateway ${gateway.name} is unreachable (last seen ${gateway.lastSeenAt})` : undefined;
      const doing = deleting ? 'Deleting' : task.kind === KINDS.create ? 'Provisioning' : 'Updating';
      return { phase: doing, message: quiet ?? `gateway ${gateway.name}: ${task.message ?? (task.phase === 'Pending' ? 'the task waits for its next heartbeat' : 'working')}`, nodePools: [] };
    },

    async clusterAccess(cluster: ClusterRef) {
      const created = latestTask(await readGateway(), cluster.clusterId, KINDS.create);
      const sealed = created?.phase === 'Succeeded' ? created.result?.sealedKubeconfig : undefined;
      if (typeof sealed !== 'string') throw new PermanentProviderError("the gateway has not reported the cluster's kubeconfig");
      return parseKubeconfig(await secretBoxFromEnv().open(sealed, clusterKubeconfigPurpose(cluster.clusterId)));
    },
  };
}

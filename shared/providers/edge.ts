/**
 * The `edge` provider: a cluster made of registered edge hosts, which the platform
 * cannot reach. Every change is a task added to each host's agent item (agents pull
 * them with their heartbeat); `describe` reads the hosts' items and their reports. The
 * control-plane host reports the cluster's kubeconfig, sealed for the cluster on arrival.
 */
import type { Store } from '../store/client.ts';
import { keys } from '../store/keys.ts';
import { getItems, transact } from '../store/table.ts';
import { secretBoxFromEnv } from '../secrets/secret-box.ts';
import { parseKubeconfig } from '../kube/kubeconfig.ts';
import { agentItem, type AgentItem } from '../agents/items.ts';
import { addTaskItem, clusterKubeconfigPurpose, latestTask, taskIdFor } from '../agents/agents.ts';
import { agentPhase } from '../agents/heartbeat.ts';
import type { EdgeHostRef } from '../host-clusters/items.ts';
import { PermanentProviderError, type ClusterProvider, type ClusterRef, type CreateClusterInput, type ProviderClusterStatus } from './provider.ts';

export const EDGE_JOIN = 'edge.join';
export const EDGE_LEAVE = 'edge.leave';

export function createEdgeProvider(store: Store, options: { hosts: EdgeHostRef[]; operationId: string }): ClusterProvider {
  const { hosts, operationId } = options;
  const readAgents = async () => (await getItems(store, hosts.map((h) => keys.agentByKeyHash(h.keyHash)))).map((item) => (item ? agentItem.parse(item) : undefined));
  const controlPlane = () => hosts.find((h) => h.role === 'control-plane')!;
  const addTasks = (ref: ClusterRef, kind: string, spec: (host: EdgeHostRef) => Record<string, unknown>) =>
    transact(
      store,
      hosts.map((host) => addTaskItem(host.keyHash, { id: taskIdFor(operationId, host.hostId, kind), kind, spec: spec(host), clusterId: ref.clusterId, operationId })),
    );
  const quiet = (agents: Array<AgentItem | undefined>) =>
    hosts.flatMap((host, i) => {
      const agent = agents[i];
      return agent && agentPhase(agent) === 'Unreachable' ? [`edge host ${host.name} is unreachable (last seen ${agent.lastSeenAt})`] : [];
    });

  return {
    kind: 'edge',
    async create(input: CreateClusterInput) {
      const members = hosts.map((h) => ({ name: h.name, role: h.role, ...(h.hardware ? { hardware: h.hardware } : {}) }));
      await addTasks(input, EDGE_JOIN, (host) => ({
        cluster: input.providerName,
        role: host.role,
        kubernetesVersion: input.kubernetesVersion,
        controlPlane: controlPlane().name,
        hosts: members,
      }));
    },

    async describe(ref: ClusterRef): Promise<ProviderClusterStatus> {
      const agents = await readAgents();
      const leaving = hosts.map((_, i) => latestTask(agents[i], ref.clusterId, EDGE_LEAVE));
      const joining = hosts.map((_, i) => latestTask(agents[i], ref.clusterId, EDGE_JOIN));
      const pools = [{ name: 'edge', instanceType: 'edge', count: hosts.length, phase: 'Running' as const }];
      if (leaving.some(Boolean)) {
        const failed = leaving.findIndex((t) => t?.phase === 'Failed');
        if (failed >= 0) return { phase: 'Failed', message: `edge host ${hosts[failed]!.name} could not leave the cluster: ${leaving[failed]!.message ?? 'no reason given'}`, nodePools: [] };
        // A host whose agent is gone has nothing left to leave.
        if (leaving.every((t, i) => t?.phase === 'Succeeded' || !agents[i])) return { phase: 'Deleted', nodePools: [] };
        return { phase: 'Deleting', message: [...quiet(agents), 'waiting for the hosts to leave'][0]!, nodePools: [] };
      }
      if (!joining.some(Boolean)) return { phase: 'Deleted', nodePools: [] };
      const failed = joining.findIndex((t) => t?.phase === 'Failed');
      if (failed >= 0) return { phase: 'Failed', message: `edge host ${hosts[failed]!.name} could not join: ${joining[failed]!.message ?? 'no reason given'}`, nodePools: pools };
      if (joining.every((t) => t?.phase === 'Succeeded')) {
        const cp = joining[hosts.indexOf(controlPlane())]!;
        const endpoint = typeof cp.result?.endpoint === 'string' ? cp.result.endpoint : undefined;
        const version = typeof cp.result?.kubernetesVersion === 'string' ? cp.result.kubernetesVersion : undefined;
        return { phase: 'Running', ...(endpoint ? { endpoint } : {}), ...(version ? { kubernetesVersion: version } : {}), nodePools: pools };
      }
      const waiting = hosts.filter((_, i) => joining[i]?.phase !== 'Succeeded').map((h) => h.name);
      return { phase: 'Provisioning', message: quiet(agents)[0] ?? `waiting for edge hosts ${waiting.join(', ')} to join`, nodePools: pools };
    },

    async scaleNodePool() {
      throw new PermanentProviderError('an edge cluster is made of its hosts: it has no node pools to scale');
    },

    async upgrade() {
      throw new PermanentProviderError('edge hosts upgrade Kubernetes themselves; the platform does not change their version');
    },

    async delete(ref: ClusterRef) {
      await addTasks(ref, EDGE_LEAVE, (host) => ({ cluster: ref.providerName, role: host.role }));
    },

    async clusterAccess(ref: ClusterRef) {
      const cp = controlPlane();
      const [agent] = (await getItems(store, [keys.agentByKeyHash(cp.keyHash)])).map((item) => (item ? agentItem.parse(item) : undefined));
      const joined = latestTask(agent, ref.clusterId, EDGE_JOIN);
      const sealed = joined?.phase === 'Succeeded' ? joined.result?.sealedKubeconfig : undefined;
      if (typeof sealed !== 'string') throw new PermanentProviderError(`the control-plane host ${cp.name} has not reported the cluster's kubeconfig`);
      return parseKubeconfig(await secretBoxFromEnv().open(sealed, clusterKubeconfigPurpose(ref.clusterId)));
    },
  };
}

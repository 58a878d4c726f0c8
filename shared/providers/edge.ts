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

export interface EdgeProviderOptions {
  /** The cluster's hosts (during a scale: those joining too, and those leaving still). */
  hosts: EdgeHostRef[];
  operationId: string;
  /** A scale in progress: who joins, who leaves. */
  scale?: { join: EdgeHostRef[]; leave: EdgeHostRef[] } | undefined;
}

export function createEdgeProvider(store: Store, options: EdgeProviderOptions): ClusterProvider {
  const { hosts, operationId, scale } = options;
  const readAgents = async () => (await getItems(store, hosts.map((h) => keys.agentByKeyHash(h.keyHash)))).map((item) => (item ? agentItem.parse(item) : undefined));
  const controlPlane = () => hosts.find((h) => h.role === 'control-plane')!;
  const taskItems = (ref: ClusterRef, to: EdgeHostRef[], kind: string, spec: (host: EdgeHostRef) => Record<string, unknown>) =>
    to.map((host) => addTaskItem(host.keyHash, { id: taskIdFor(operationId, host.hostId, kind), kind, spec: spec(host), clusterId: ref.clusterId, operationId }));
  const addTasks = (ref: ClusterRef, kind: string, spec: (host: EdgeHostRef) => Record<string, unknown>) => transact(store, taskItems(ref, hosts, kind, spec));
  const members = (of: EdgeHostRef[]) => of.map((h) => ({ name: h.name, role: h.role, ...(h.hardware ? { hardware: h.hardware } : {}) }));
  const quiet = (agents: Array<AgentItem | undefined>) =>
    hosts.flatMap((host, i) => {
      const agent = agents[i];
      return agent && agentPhase(agent) === 'Unreachable' ? [`edge host ${host.name} is unreachable (last seen ${agent.lastSeenAt})`] : [];
    });

  /** A scale is done when every joining host reports its join and every leaving one its leave (a host whose agent is gone has left). */
  const describeScale = (agents: Array<AgentItem | undefined>): ProviderClusterStatus => {
    const moves = [...scale!.join.map((host) => ({ host, kind: EDGE_JOIN })), ...scale!.leave.map((host) => ({ host, kind: EDGE_LEAVE }))];
    const reports = moves.map(({ host, kind }) => {
      const agent = agents[hosts.findIndex((h) => h.hostId === host.hostId)];
      return { host, kind, agent, task: agent?.tasks[taskIdFor(operationId, host.hostId, kind)] };
    });
    const pools = [{ name: 'worker', instanceType: 'edge', count: hosts.filter((h) => h.role === 'worker').length - scale!.leave.length, phase: 'Running' as const }];
    const failed = reports.find((r) => r.task?.phase === 'Failed');
    if (failed) {
      return { phase: 'Failed', message: `edge host ${failed.host.name} could not ${failed.kind === EDGE_JOIN ? 'join' : 'leave'}: ${failed.task!.message ?? 'no reason given'}`, nodePools: pools };
    }
    const waiting = reports.filter((r) => r.task?.phase !== 'Succeeded' && !(r.kind === EDGE_LEAVE && !r.agent));
    if (!waiting.length) return { phase: 'Running', nodePools: pools };
    const quietOnes = quiet(agents).filter((line) => waiting.some((w) => line.startsWith(`edge host ${w.host.name} `)));
    const names = (kind: string) => waiting.filter((w) => w.kind === kind).map((w) => w.host.name);
    const story = [names(EDGE_JOIN).length ? `${names(EDGE_JOIN).join(', ')} to join` : '', names(EDGE_LEAVE).length ? `${names(EDGE_LEAVE).join(', ')} to leave` : '']
      .filter(Boolean)
      .join(' and ');
    return { phase: 'Updating', message: quietOnes[0] ?? `waiting for edge hosts ${story}`, nodePools: pools };
  };

  return {
    kind: 'edge',
    async create(input: CreateClusterInput) {
      await addTasks(input, EDGE_JOIN, (host) => ({
        cluster: input.providerName,
        role: host.role,
        kubernetesVersion: input.kubernetesVersion,
        controlPlane: controlPlane().name,
        hosts: members(hosts),
      }));
    },

    async describe(ref: ClusterRef): Promise<ProviderClusterStatus> {
      const agents = await readAgents();
      if (scale) return describeScale(agents);
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

    async scaleNodePool(ref: ClusterRef) {
      if (!scale) throw new PermanentProviderError('an edge cluster scales by its hosts joining and leaving; none are named');
      if (!scale.join.length && !scale.leave.length) return;
      const staying = hosts.filter((h) => !scale.leave.some((l) => l.hostId === h.hostId));
      await transact(store, [
        // A joining worker is told the cluster it joins and its control plane, as at create.
        ...taskItems(ref, scale.join, EDGE_JOIN, (host) => ({ cluster: ref.providerName, role: host.role, controlPlane: controlPlane().name, hosts: members(staying) })),
        ...taskItems(ref, scale.leave, EDGE_LEAVE, (host) => ({ cluster: ref.providerName, role: host.role })),
      ]);
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

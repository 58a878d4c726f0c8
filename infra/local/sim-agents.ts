/**
 * Simulated edge hosts for the local runtime: each is a real client of the agent
 * protocol over HTTP (register with a token, heartbeat, report tasks), the code path a
 * real agent takes. An `edge.join` task on the control-plane host makes the cluster in
 * the Kubernetes API emulator (one node per host, with the host's hardware) and reports
 * its kubeconfig; `edge.leave` on it removes the cluster. A worker joining a running
 * cluster registers its own Node over the cluster's API, as a kubelet does, and removes
 * it when it leaves; at create the control plane registers every member.
 */
import { CoreV1Api, type V1Node } from '@kubernetes/client-node';
import { emulatedNode, type KubeEmulator, type SeedNodePool } from './kube-emulator/index.ts';

export interface SimEdgeHost {
  name: string;
  hardware: { cpu: number; memoryMiB: number; storageGiB: number; arch: 'amd64' | 'arm64'; gpus?: Array<{ model: string }> };
}

interface Task {
  id: string;
  kind: string;
  spec: Record<string, unknown>;
}

interface HostMember {
  name: string;
  role: string;
  hardware?: SimEdgeHost['hardware'];
}

/** The default fleet: three hosts, the third with a GPU (API.md "The local runtime"). */
export function defaultEdgeHosts(count: number): SimEdgeHost[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `edge-host-${i + 1}`,
    hardware: { cpu: 4, memoryMiB: 8192, storageGiB: 100, arch: 'amd64', ...(i === 2 ? { gpus: [{ model: 'sim-t4' }] } : {}) },
  }));
}

/** The emulator cluster of an edge cluster, named after the cluster's provider name. */
const emulatorName = (cluster: string) => `edge-${cluster}`;

/** Agents of one kind, each heartbeating on its own timer and running its tasks with `work`. */
async function startAgents(options: {
  apiUrl: string;
  registrationToken: string;
  kind: 'edge' | 'gateway';
  hosts: SimEdgeHost[];
  heartbeatSeconds: number;
  work: (task: Task, host: SimEdgeHost) => Promise<Record<string, unknown> | undefined>;
  log?: ((line: string) => void) | undefined;
}) {
  const call = async (path: string, credential: string, body: unknown) => {
    const response = await fetch(`${options.apiUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${path} answered ${response.status}: ${text.slice(0, 300)}`);
    return JSON.parse(text) as Record<string, unknown>;
  };

  const agents = await Promise.all(
    options.hosts.map(async (host) => {
      const registered = await call('/v1/agents/register', options.registrationToken, { name: host.name, kind: options.kind, hardware: host.hardware });
      return { host, id: String(registered.id), key: String(registered.agentKey), done: new Set<string>(), paused: false, timer: undefined as NodeJS.Timeout | undefined };
    }),
  );

  const beat = async (agent: (typeof agents)[number]) => {
    if (agent.paused) return;
    try {
      const answer = await call('/v1/agents/heartbeat', agent.key, { status: { agent: `palette-sim-${options.kind}`, tasksDone: agent.done.size } });
      for (const task of (answer.tasks as Task[]) ?? []) {
        if (agent.done.has(task.id)) continue;
        try {
          await call(`/v1/agents/tasks/${task.id}`, agent.key, { phase: 'Running' });
          const result = await options.work(task, agent.host);
          await call(`/v1/agents/tasks/${task.id}`, agent.key, { phase: 'Succeeded', ...(result ? { result } : {}) });
        } catch (error) {
          await call(`/v1/agents/tasks/${task.id}`, agent.key, { phase: 'Failed', message: (error as Error).message }).catch(() => undefined);
        }
        agent.done.add(task.id);
      }
    } catch (error) {
      options.log?.(`sim ${options.kind} ${agent.host.name}: ${(error as Error).message}`);
    }
  };

  let stopped = false;
  const schedule = (agent: (typeof agents)[number]) => {
    agent.timer = setTimeout(async () => {
      await beat(agent);
      if (!stopped) schedule(agent);
    }, options.heartbeatSeconds * 1000);
    agent.timer.unref?.();
  };
  for (const agent of agents) {
    await beat(agent);
    schedule(agent);
  }

  return {
    hosts: agents.map((a) => ({ id: a.id, name: a.host.name })),
    /** Stops (or resumes) one agent's heartbeats, as if it lost its network. */
    setPaused(name: string, paused: boolean) {
      const agent = agents.find((a) => a.host.name === name);
      if (agent) agent.paused = paused;
    },
    stop() {
      stopped = true;
      for (const agent of agents) if (agent.timer) clearTimeout(agent.timer);
    },
  };
}

export async function startSimEdgeHosts(options: {
  apiUrl: string;
  registrationToken: string;
  hosts: SimEdgeHost[];
  emulator: KubeEmulator;
  heartbeatSeconds: number;
  log?: ((line: string) => void) | undefined;
}) {
  return startAgents({
    ...options,
    kind: 'edge',
    work: async (task, host) => {
      const spec = task.spec;
      const cluster = String(spec.cluster);
      if (task.kind === 'edge.join' && spec.role === 'control-plane') {
        const members = (spec.hosts as HostMember[]) ?? [];
        const nodePools = members.map(hostPool);
        const created = options.emulator.createCluster(emulatorName(cluster), { kubernetesVersion: `v${String(spec.kubernetesVersion ?? '1.31')}`, nodePools });
        return { kubeconfig: created.kubeconfig(), endpoint: created.server, kubernetesVersion: String(spec.kubernetesVersion ?? '1.31') };
      }
      if (task.kind === 'edge.leave' && spec.role === 'control-plane') await options.emulator.deleteCluster(emulatorName(cluster));
      const running = options.emulator.getCluster(emulatorName(cluster));
      // A worker joining a cluster that already runs registers its own Node (at create the control plane registered it).
      if (spec.role === 'worker' && running) {
        const nodes = running.kubeConfigObject().makeApiClient(CoreV1Api);
        const pool = hostPool({ name: host.name, role: 'worker', hardware: host.hardware });
        const node = emulatedNode({ name: running.name, kubernetesVersion: running.kubernetesVersion }, pool, { n: 1, i: 100 + (hostNumber(host.name) % 150), total: 2 }) as V1Node;
        const name = node.metadata!.name!;
        const registered = await nodes.readNode({ name }).then(() => true, () => false);
        if (task.kind === 'edge.join' && !registered) {
          const { status, ...body } = node;
          await nodes.createNode({ body });
          await nodes.replaceNodeStatus({ name, body: { ...body, metadata: { name }, status } });
        }
        if (task.kind === 'edge.leave' && registered) await nodes.deleteNode({ name });
      }
      return undefined;
    },
  });
}

/** An edge host is one node: its pool of one, sized by its hardware. */
const hostPool = (m: HostMember): SeedNodePool => ({
  name: m.name,
  count: 1,
  instanceType: 'edge-host',
  cpu: m.hardware?.cpu ?? 4,
  memoryMiB: m.hardware?.memoryMiB ?? 8192,
  storageGiB: m.hardware?.storageGiB ?? 100,
  gpu: m.hardware?.gpus?.length ?? 0,
  labels: { 'palette.dev/edge-host': m.name, ...(m.role === 'control-plane' ? { 'node-role.kubernetes.io/control-plane': '' } : {}) },
});

/** edge-host-7 → 7: keeps a joining node's pod CIDR apart from its neighbours'. */
const hostNumber = (name: string) => Number(/(\d+)$/.exec(name)?.[1] ?? 0);

/**
 * A simulated data-centre gateway: registers as a `gateway` agent and plays the vCenter
 * it fronts. A `vsphere.create` task (with the password the platform opened for it,
 * checked against this vCenter's) makes the cluster's VMs as emulator nodes, sized from
 * the instance-type catalog; scale and upgrade acknowledge; delete removes the cluster.
 */
export async function startSimGateway(options: {
  apiUrl: string;
  registrationToken: string;
  name: string;
  vcenter: { username: string; password: string };
  emulator: KubeEmulator;
  heartbeatSeconds: number;
  nodeSize: (instanceType: string) => { cpu: number; memoryMiB: number; storageGiB: number };
  log?: ((line: string) => void) | undefined;
}) {
  const gateway = await startAgents({
    ...options,
    kind: 'gateway',
    hosts: [{ name: options.name, hardware: { cpu: 4, memoryMiB: 8192, storageGiB: 50, arch: 'amd64' } }],
    work: async (task) => {
      const spec = task.spec;
      const cluster = `vs-${String(spec.cluster)}`;
      if (spec.username !== options.vcenter.username || spec.password !== options.vcenter.password) {
        throw new Error(`vCenter ${String(spec.vcenter)} refused the login of ${String(spec.username)}`);
      }
      if (task.kind === 'vsphere.create') {
        const pools = (spec.nodePools as Array<{ name: string; instanceType: string; count: number }>) ?? [];
        const nodePools: SeedNodePool[] = pools.filter((p) => p.count > 0).map((p) => ({ name: p.name, count: p.count, instanceType: p.instanceType, gpu: 0, ...options.nodeSize(p.instanceType) }));
        const created = options.emulator.createCluster(cluster, { kubernetesVersion: `v${String(spec.kubernetesVersion ?? '1.31')}`, ...(nodePools.length ? { nodePools } : { nodes: 1 }) });
        return { kubeconfig: created.kubeconfig(), endpoint: created.server, kubernetesVersion: String(spec.kubernetesVersion ?? '1.31') };
      }
      if (task.kind === 'vsphere.upgrade') return { kubernetesVersion: String(spec.kubernetesVersion) };
      if (task.kind === 'vsphere.delete') await options.emulator.deleteCluster(cluster);
      return undefined;
    },
  });
  return { ...gateway, id: gateway.hosts[0]!.id };
}

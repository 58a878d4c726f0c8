/**
 * Edge clusters through agents, from the outside in: simulated edge hosts are real
 * clients of the agent protocol over HTTP (infra/local/sim-agents.ts); the test enters
 * at the API and ends at the agents' tasks, the emulator cluster the control-plane
 * host made (read with kubectl through the kubeconfig the API hands out) and the table.
 */
process.env.PALETTE_AGENT_HEARTBEAT_SECONDS = '1';

import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, until, type ApiClient, type TestRuntime } from '../support/local-api.ts';

const run = promisify(execFile);
let rt: TestRuntime;
let api: ApiClient;
const base = '/v1/projects/default';
const secrets: string[] = [];

beforeAll(async () => {
  rt = await startTestRuntime({ simSpeed: 20, simEdgeHosts: 5 });
  api = rt.admin;
});
afterAll(async () => {
  await rt?.stop();
});

const agentCall = (path: string, credential: string, body: unknown) =>
  fetch(`${rt.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('agents and edge clusters', () => {
  let edgeAccount: string;
  let profileId: string;
  let hosts: Array<{ id: string; name: string }>;
  let clusterId: string;

  beforeAll(async () => {
    const accounts = await api.get(`${base}/cloudaccounts`);
    edgeAccount = accounts.body.items.find((a: { provider: string }) => a.provider === 'edge').id;
    const profile = await api.post(`${base}/clusterprofiles`, {
      name: 'edge-k3s', version: '1.0.0', cloud: 'edge', type: 'full',
      layers: [{ type: 'os', name: 'ubuntu-core', version: '22' }, { type: 'k8s', name: 'k3s', version: '1.31' }],
    });
    expect(profile.status).toBe(201);
    profileId = profile.body.id;
  });

  it('lists the registered simulated hosts as Ready, with their hardware', async () => {
    const listed = await api.get(`${base}/edgehosts`);
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((h: { name: string }) => h.name).sort()).toEqual(['edge-host-1', 'edge-host-2', 'edge-host-3', 'edge-host-4', 'edge-host-5']);
    for (const host of listed.body.items) expect(host.status.phase).toBe('Ready');
    expect(listed.body.items.find((h: { name: string }) => h.name === 'edge-host-3').hardware.gpus).toEqual([{ model: 'sim-t4' }]);
    hosts = listed.body.items.map((h: { id: string; name: string }) => ({ id: h.id, name: h.name })).sort((a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : 1));
  });

  it('registers an agent with a token once, and refuses a revoked or expired token without writing a host', async () => {
    const token = await api.post(`${base}/registrationtokens`, { name: 'lab', kind: 'edge' });
    expect(token.status).toBe(201);
    expect(token.body.token).toMatch(/^prt_/);
    secrets.push(token.body.token);
    const listed = await api.get(`${base}/registrationtokens`);
    expect(JSON.stringify(listed.body)).not.toContain(token.body.token);

    const registered = await agentCall('/v1/agents/register', token.body.token, { name: 'bench-box', kind: 'edge', hardware: { cpu: 8, memoryMiB: 16384, storageGiB: 200, arch: 'arm64' } });
    expect(registered.status).toBe(201);
    const agent = (await registered.json()) as { id: string; agentKey: string };
    expect(agent.agentKey).toMatch(/^pak_/);
    secrets.push(agent.agentKey);
    const audit = await api.get('/v1/audit?action=agent.register&limit=100');
    expect(audit.body.items.some((e: { resourceId: string; actor: string }) => e.resourceId === agent.id && e.actor === `agent:${agent.id}`)).toBe(true);

    // A token for gateways does not register edge hosts.
    const gatewayToken = await api.post(`${base}/registrationtokens`, { name: 'dc', kind: 'gateway' });
    expect((await agentCall('/v1/agents/register', gatewayToken.body.token, { name: 'x', kind: 'edge' })).status).toBe(403);

    expect((await api.delete(`${base}/registrationtokens/${token.body.id}`)).status).toBe(204);
    const before = (await api.get(`${base}/edgehosts?limit=100`)).body.items.length;
    expect((await agentCall('/v1/agents/register', token.body.token, { name: 'late', kind: 'edge' })).status).toBe(401);

    const shortLived = await api.post(`${base}/registrationtokens`, { name: 'short', kind: 'edge', expiresAt: new Date(Date.now() + 1500).toISOString() });
    await new Promise((r) => setTimeout(r, 1700));
    expect((await agentCall('/v1/agents/register', shortLived.body.token, { name: 'too-late', kind: 'edge' })).status).toBe(401);
    expect((await api.get(`${base}/edgehosts?limit=100`)).body.items.length).toBe(before);
    expect((await agentCall('/v1/agents/register', 'prt_not-a-token-at-all-000000', { name: 'x', kind: 'edge' })).status).toBe(401);

    expect((await api.delete(`${base}/edgehosts/${agent.id}`)).status).toBe(204);
    expect((await agentCall('/v1/agents/heartbeat', agent.agentKey, {})).status).toBe(401);
  });

  it('lets exactly one of two clusters racing for the same hosts take them', async () => {
    const body = (name: string) => ({
      name, cloudAccountId: edgeAccount, region: 'factory-1', profileId, hostCluster: { enabled: true },
      edge: { hosts: [{ hostId: hosts[0]!.id, role: 'control-plane' }, { hostId: hosts[1]!.id, role: 'worker' }, { hostId: hosts[2]!.id, role: 'worker' }] },
    });
    const [a, b] = await Promise.all([api.post(`${base}/clusters`, body('line-a')), api.post(`${base}/clusters`, body('line-b'))]);
    expect([a.status, b.status].sort()).toEqual([202, 409]);
    const loser = a.status === 409 ? a : b;
    expect(loser.body.detail).toMatch(/already in another cluster/);
    const winner = a.status === 202 ? a : b;
    clusterId = winner.body.id;
    expect(winner.body.edge.hosts.map((h: { name: string }) => h.name)).toEqual(['edge-host-1', 'edge-host-2', 'edge-host-3']);
    expect(JSON.stringify(winner.body)).not.toContain('keyHash');
  });

  it('runs once the hosts have joined: the control plane reports a kubeconfig that works in kubectl', async () => {
    const running = await until('edge cluster Running', () => api.get(`${base}/clusters/${clusterId}`), (r) => r.body.status.phase !== 'Provisioning', 30_000);
    expect(running.body.status.phase).toBe('Running');
    expect(running.body.capacity).toEqual({ cpu: 12, memoryMiB: 3 * 8192, storageGiB: 300, gpu: 1 });
    const inUse = await api.get(`${base}/edgehosts/${hosts[1]!.id}`);
    expect(inUse.body).toMatchObject({ clusterId, status: { phase: 'InUse' } });

    const kubeconfig = await api.get(`${base}/clusters/${clusterId}/kubeconfig`);
    expect(kubeconfig.status).toBe(200);
    const dir = await mkdtemp(join(tmpdir(), 'edge-kubeconfig-'));
    await writeFile(join(dir, 'config'), kubeconfig.text);
    const { stdout } = await run('kubectl', ['--kubeconfig', join(dir, 'config'), 'get', 'nodes', '-o', 'json']);
    const nodes = JSON.parse(stdout).items as Array<{ metadata: { labels: Record<string, string> }; status: { capacity: Record<string, string> } }>;
    expect(nodes.map((n) => n.metadata.labels['palette.dev/edge-host']).sort()).toEqual(['edge-host-1', 'edge-host-2', 'edge-host-3']);
    expect(nodes.find((n) => n.metadata.labels['palette.dev/edge-host'] === 'edge-host-3')!.status.capacity['nvidia.com/gpu']).toBe('1');
  });

  it('hosts virtual clusters once it joins a cluster group, with its hosts\' hardware as capacity', async () => {
    const projectId = (await api.get(base)).body.id;
    const group = await api.post('/v1/clustergroups', { name: 'factory', hostClusters: [{ projectId, clusterId }] });
    expect(group.status).toBe(201);
    // The hosts' 12 cores under the group's oversubscription; GPUs are never oversubscribed.
    expect(group.body.capacity).toMatchObject({ cpu: Math.floor((12 * group.body.oversubscriptionPercent) / 100), gpu: 1 });
    const vc = await api.post(`${base}/virtualclusters`, { name: 'line-apps', clusterGroupId: group.body.id });
    expect(vc.status).toBe(202);
    expect(vc.body.hostClusterId).toBe(clusterId);
    await until('virtual cluster on the edge Running', () => api.get(`${base}/virtualclusters/${vc.body.id}`), (r) => r.body.status.phase !== 'Provisioning', 30_000);
    expect((await api.get(`${base}/virtualclusters/${vc.body.id}`)).body.status.phase).toBe('Running');
    expect((await api.delete(`${base}/virtualclusters/${vc.body.id}`)).status).toBe(202);
    await until('virtual cluster gone', () => api.get(`${base}/virtualclusters/${vc.body.id}`), (r) => r.status === 404, 30_000);
    expect((await api.delete(`/v1/clustergroups/${group.body.id}`)).status).toBe(204);
  });

  it('grows by free Ready hosts and shrinks by the workers it names, with the nodes joining and leaving in kubectl', async () => {
    const scale = (pool: string, body: unknown) => api.patch(`${base}/clusters/${clusterId}/nodepools/${pool}`, body);
    const nodeHosts = async () => {
      const dir = await mkdtemp(join(tmpdir(), 'edge-scale-'));
      await writeFile(join(dir, 'config'), (await api.get(`${base}/clusters/${clusterId}/kubeconfig`)).text);
      const { stdout } = await run('kubectl', ['--kubeconfig', join(dir, 'config'), 'get', 'nodes', '-o', 'json']);
      return (JSON.parse(stdout).items as Array<{ metadata: { labels: Record<string, string> }; status: { capacity: Record<string, string>; conditions: Array<{ type: string; status: string }> } }>)
        .map((n) => ({ host: n.metadata.labels['palette.dev/edge-host'], cpu: n.status.capacity.cpu, ready: n.status.conditions.find((c) => c.type === 'Ready')?.status }))
        .sort((a, b) => (a.host! < b.host! ? -1 : 1));
    };
    const running = () => until('edge scale done', () => api.get(`${base}/clusters/${clusterId}`), (r) => r.body.status.phase !== 'Updating', 30_000);

    // Bad requests change nothing.
    expect((await scale('control-plane', { count: 2 })).body.code).toBe('invalid_state');
    expect((await scale('edge', { count: 2 })).status).toBe(404);
    const upgrade = await api.post(`${base}/clusters/${clusterId}/upgrade`, { profileId: (await api.get(`${base}/clusters/${clusterId}`)).body.profileId });
    expect(upgrade.status).toBe(409);
    expect(upgrade.body.detail).toMatch(/upgrade Kubernetes themselves/);
    const miscounted = await scale('worker', { count: 4, hostIds: [hosts[3]!.id] });
    expect(miscounted.status).toBe(400);
    expect(miscounted.body.errors[0].path).toBe('body.hostIds');
    const member = await scale('worker', { count: 3, hostIds: [hosts[1]!.id] });
    expect(member.status).toBe(400);
    expect(member.body.errors[0]).toMatchObject({ path: 'body.hostIds.0', message: expect.stringMatching(/already in cluster/) });
    const overBound = await scale('worker', { count: 200 });
    expect(overBound.status).toBe(400);
    expect(overBound.body.errors[0]).toMatchObject({ path: 'body.count', message: 'at most 92' });
    const tooMany = await scale('worker', { count: 9 });
    expect(tooMany.status).toBe(409);
    expect(tooMany.body.detail).toMatch(/only 2 edge host\(s\) of this project are free and Ready/);
    expect((await api.get(`${base}/clusters/${clusterId}`)).body).toMatchObject({ status: { phase: 'Running' }, edge: { hosts: expect.any(Array) } });
    expect((await api.get(`${base}/clusters/${clusterId}`)).body.edge.hosts).toHaveLength(3);

    // Grow: the first free host by name joins and registers its node.
    const grown = await scale('worker', { count: 3 });
    expect(grown.status).toBe(202);
    expect(grown.body.status).toMatchObject({ phase: 'Updating', message: 'scaling node pool worker to 3' });
    expect(grown.body.edge.hosts.map((h: { name: string }) => h.name)).toEqual(['edge-host-1', 'edge-host-2', 'edge-host-3', 'edge-host-4']);
    expect((await api.get(`${base}/edgehosts/${hosts[3]!.id}`)).body).toMatchObject({ clusterId, status: { phase: 'InUse' } });
    const afterGrow = await running();
    expect(afterGrow.body.status.phase).toBe('Running');
    expect(afterGrow.body.capacity).toMatchObject({ cpu: 16, memoryMiB: 4 * 8192, storageGiB: 400, gpu: 1 });
    expect(await nodeHosts()).toEqual(['edge-host-1', 'edge-host-2', 'edge-host-3', 'edge-host-4'].map((host) => ({ host, cpu: '4', ready: 'True' })));
    const operation = await api.get(`/v1/operations/${grown.body.operationId}`);
    expect(operation.body).toMatchObject({ kind: 'cluster.scale', status: 'Succeeded' });

    // Shrink by naming the worker that leaves: it goes free and its node is gone.
    const shrunk = await scale('worker', { count: 2, hostIds: [hosts[1]!.id] });
    expect(shrunk.status).toBe(202);
    const afterShrink = await running();
    expect(afterShrink.body.status.phase).toBe('Running');
    expect(afterShrink.body.edge.hosts.map((h: { name: string }) => h.name)).toEqual(['edge-host-1', 'edge-host-3', 'edge-host-4']);
    expect(afterShrink.body.capacity.cpu).toBe(12);
    expect((await nodeHosts()).map((n) => n.host)).toEqual(['edge-host-1', 'edge-host-3', 'edge-host-4']);
    const freed = await api.get(`${base}/edgehosts/${hosts[1]!.id}`);
    expect(freed.body.status.phase).toBe('Ready');
    expect(freed.body.clusterId).toBeUndefined();
    const agentItem = (await rt.store.doc.send(new ScanCommand({ TableName: rt.store.tableName, ConsistentRead: true }))).Items!.find((i) => i.type === 'agent' && i.id === hosts[1]!.id)!;
    expect(Object.values(agentItem.tasks as Record<string, { clusterId: string }>).filter((t) => t.clusterId === clusterId)).toEqual([]);
  });

  it('keeps an agent to its own tasks and its key to the agent routes', async () => {
    const token = await api.post(`${base}/registrationtokens`, { name: 'probe', kind: 'edge' });
    const registered = (await (await agentCall('/v1/agents/register', token.body.token, { name: 'probe', kind: 'edge' })).json()) as { id: string; agentKey: string };
    secrets.push(token.body.token, registered.agentKey);
    // An agent key is not an API key.
    expect((await fetch(`${rt.url}/v1/me`, { headers: { authorization: `Bearer ${registered.agentKey}` } })).status).toBe(401);
    expect((await fetch(`${rt.url}${base}/clusters`, { headers: { authorization: `Bearer ${registered.agentKey}` } })).status).toBe(401);
    // An API key is not an agent key.
    expect((await agentCall('/v1/agents/heartbeat', rt.seeded.adminKey!, {})).status).toBe(401);
    // Another agent's task is not found for it.
    const theirs = Object.keys((await rt.store.doc.send(new ScanCommand({ TableName: rt.store.tableName, ConsistentRead: true }))).Items!.find((i) => i.type === 'agent' && i.clusterId === clusterId)!.tasks)[0]!;
    expect((await agentCall(`/v1/agents/tasks/${theirs}`, registered.agentKey, { phase: 'Failed', message: 'not mine' })).status).toBe(404);
    const beat = (await (await agentCall('/v1/agents/heartbeat', registered.agentKey, { status: { uptime: 1 } })).json()) as { tasks: unknown[]; heartbeatSeconds: number };
    expect(beat).toMatchObject({ tasks: [], heartbeatSeconds: 1 });
    await api.delete(`${base}/edgehosts/${registered.id}`);
  });

  it('shows a control-plane host that stopped heartbeating as Unreachable, and the cluster says so', async () => {
    rt.edgeHosts!.setPaused('edge-host-1', true);
    try {
      const quiet = await until('edge-host-1 Unreachable', () => api.get(`${base}/edgehosts/${hosts[0]!.id}`), (r) => r.body.status.phase === 'Unreachable', 10_000);
      expect(quiet.body.status.lastSeenAt).toEqual(expect.any(String));
      const cluster = await api.get(`${base}/clusters/${clusterId}`);
      expect(cluster.body.status.message).toMatch(/control-plane host edge-host-1 is unreachable/);
    } finally {
      rt.edgeHosts!.setPaused('edge-host-1', false);
    }
    await until('edge-host-1 back', () => api.get(`${base}/edgehosts/${hosts[0]!.id}`), (r) => r.body.status.phase === 'InUse', 10_000);
  });

  it('refuses to remove a host a cluster uses, and frees the hosts when the cluster is deleted', async () => {
    const refused = await api.delete(`${base}/edgehosts/${hosts[2]!.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('invalid_state');
    const deleting = await api.delete(`${base}/clusters/${clusterId}`);
    expect(deleting.status).toBe(202);
    await until('edge cluster gone', () => api.get(`${base}/clusters/${clusterId}`), (r) => r.status === 404, 30_000);
    for (const host of hosts) {
      const read = await api.get(`${base}/edgehosts/${host.id}`);
      expect(read.body.status.phase).toBe('Ready');
      expect(read.body.clusterId).toBeUndefined();
    }
  });

  it('stores no registration token and no agent key in plain text', async () => {
    const all = JSON.stringify((await rt.store.doc.send(new ScanCommand({ TableName: rt.store.tableName, ConsistentRead: true }))).Items);
    expect(secrets.length).toBeGreaterThan(3);
    for (const secret of secrets) expect(all).not.toContain(secret);
  });
});

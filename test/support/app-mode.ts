/**
 * App Mode test helpers: beehive ready, fresh users with their own key, and the host
 * side of a virtual cluster read through the simulated cloud's kubeconfig, as any
 * outside observer of the host would.
 */
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { expect } from 'vitest';
import { keys, SYSTEM_TENANT } from '#shared/store/keys.ts';
import { getItem, queryAll } from '#shared/store/table.ts';
import { clusterGroupItem } from '#shared/cluster-groups/items.ts';
import { hostClusterItem, type HostClusterItem } from '#shared/host-clusters/items.ts';
import { lists } from '#shared/store/keys.ts';
import { virtualClusterItem } from '#shared/virtual-clusters/items.ts';
import { until, type ApiClient, type TestRuntime } from './local-api.ts';

/** beehive's hosts, once every one is Running. */
export async function beehiveHosts(rt: TestRuntime): Promise<HostClusterItem[]> {
  const group = await until('beehive seeded', () => getItem(rt.store, keys.clusterGroup(SYSTEM_TENANT, 'beehive'), clusterGroupItem), (g) => !!g);
  return until(
    'beehive hosts Running',
    () => Promise.all(group!.hostClusters.map((m) => getItem(rt.store, keys.cluster(m.tenantId, m.projectId, m.clusterId), hostClusterItem))),
    (hosts) => hosts.every((h) => h?.status.phase === 'Running'),
    60_000,
  ) as Promise<HostClusterItem[]>;
}

let users = 0;

/** A tenant member with project.editor in `default` and an API key of their own. */
export async function freshUser(rt: TestRuntime, label = 'dev'): Promise<{ id: string; api: ApiClient }> {
  users += 1;
  const email = `${label}-${users}-${Date.now()}@example.com`;
  const user = await rt.admin.post('/v1/users', { email, name: `${label} ${users}`, role: 'tenant.member' });
  expect(user.status).toBe(201);
  const key = await rt.admin.post(`/v1/users/${user.body.id}/apikeys`, { name: 'tests' });
  expect(key.status).toBe(201);
  const member = await rt.admin.put(`/v1/projects/default/members/${user.body.id}`, { role: 'project.editor' });
  expect(member.status).toBe(200);
  return { id: user.body.id, api: rt.as(key.body.key) };
}

/** A host cluster's Kubernetes API, as the simulated cloud hands it out. */
export async function hostKube(rt: TestRuntime, host: Pick<HostClusterItem, 'providerName'>): Promise<KubeConfig> {
  const response = await fetch(`${rt.simEndpoint}/clusters/${host.providerName}/kubeconfig`);
  const { kubeconfig } = (await response.json()) as { kubeconfig: string };
  const config = new KubeConfig();
  config.loadFromString(kubeconfig);
  return config;
}

export async function hostOf(rt: TestRuntime, tenantId: string, projectId: string, virtualClusterId: string): Promise<HostClusterItem> {
  const vc = await getItem(rt.store, keys.virtualCluster(tenantId, projectId, virtualClusterId), virtualClusterItem);
  const host = await getItem(rt.store, keys.cluster(vc!.host.tenantId, vc!.host.projectId, vc!.host.clusterId), hostClusterItem);
  return host!;
}

export async function namespaceExists(config: KubeConfig, name: string) {
  try {
    await config.makeApiClient(CoreV1Api).readNamespace({ name });
    return true;
  } catch (error) {
    if ((error as { code?: number }).code === 404) return false;
    throw error;
  }
}

/**
 * What the counters say against what exists: every host's allocation is the sum of
 * the reservations of the virtual clusters placed on it.
 */
export async function allocationsMatch(rt: TestRuntime, hosts: HostClusterItem[]) {
  const all = (
    await Promise.all(Array.from({ length: 8 }, (_, shard) => queryAll(rt.store, lists.ofKind('virtualcluster', shard), virtualClusterItem, 10_000)))
  ).flat();
  for (const host of hosts) {
    const current = (await getItem(rt.store, keys.cluster(host.tenantId, host.projectId, host.id), hostClusterItem))!;
    const held = all.filter((vc) => vc.reservation && vc.reservation.host.clusterId === host.id);
    expect({
      virtualClusters: current.virtualClusters,
      cpu: current.allocatedCpu,
      memoryMiB: current.allocatedMemoryMiB,
      storageGiB: current.allocatedStorageGiB,
    }).toEqual({
      virtualClusters: held.length,
      cpu: held.reduce((n, vc) => n + vc.reservation!.cpu, 0),
      memoryMiB: held.reduce((n, vc) => n + vc.reservation!.memoryMiB, 0),
      storageGiB: held.reduce((n, vc) => n + vc.reservation!.storageGiB, 0),
    });
  }
}

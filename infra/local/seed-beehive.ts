import type { Store } from '#shared/store/client.ts';
import { keys, SYSTEM_TENANT } from '#shared/store/keys.ts';
import { getItem } from '#shared/store/table.ts';
import { createTx } from '#shared/store/tx.ts';
import { createProject, findProject } from '#shared/tenancy/projects.ts';
import { createCloudAccount, listCloudAccounts } from '#shared/cloud-accounts/cloud-accounts.ts';
import { accountSettingsOf } from '#shared/cloud-accounts/items.ts';
import { createClusterProfile, listClusterProfiles } from '#shared/cluster-profiles/cluster-profiles.ts';
import type { ProfileLayer } from '#shared/cluster-profiles/schemas.ts';
import { createHostCluster } from '#shared/host-clusters/host-clusters.ts';
import { clusterNameItem, hostClusterItem } from '#shared/host-clusters/items.ts';
import { BEEHIVE, createClusterGroup } from '#shared/cluster-groups/cluster-groups.ts';
import { clusterGroupItem } from '#shared/cluster-groups/items.ts';

/**
 * Beehive is the system's own cluster group: host clusters on the simulated cloud,
 * owned by the system tenant in its `beehive` project. Two clusters of 2 × sim.4xlarge
 * (64 CPU, 256 GiB each) give 256 CPU raw, 307 at 120 % oversubscription: room for
 * 76 default virtual clusters (4 CPU, 4096 MiB, 2 GiB).
 */
export const BEEHIVE_HOSTS = ['beehive-1', 'beehive-2'];
/** Per virtual cluster in beehive: the same as a user's default quota. */
export const BEEHIVE_LIMITS = { maxCpu: 12, maxMemoryMiB: 16384, maxStorageGiB: 20 };

/** The layers of a plain simulated host cluster (beehive's hosts, and the benchmark's). */
export const SIM_HOST_LAYERS: ProfileLayer[] = [
  { type: 'os', name: 'ubuntu', version: '22.04' },
  { type: 'k8s', name: 'kubernetes', version: '1.31' },
  { type: 'cni', name: 'cilium', version: '1.16.0' },
  { type: 'csi', name: 'local-path', version: '0.0.30' },
];

async function ensureSystemProject(store: Store) {
  return (await findProject(store, SYSTEM_TENANT, BEEHIVE)) ?? createProject(createTx(store), SYSTEM_TENANT, { name: BEEHIVE, description: 'Host clusters of the system group beehive' });
}

export async function seedBeehive(store: Store, options: { nodesPerHost?: number } = {}): Promise<{ created: boolean }> {
  if (await getItem(store, keys.clusterGroup(SYSTEM_TENANT, BEEHIVE), clusterGroupItem)) return { created: false };
  const tx = createTx(store);
  const project = await ensureSystemProject(store);
  const accounts = await listCloudAccounts(store, SYSTEM_TENANT, project.id, { limit: 10 });
  const account =
    accounts.items.find((a) => a.name === 'beehive-sim') ??
    (await createCloudAccount(tx, SYSTEM_TENANT, project.id, { name: 'beehive-sim', provider: 'sim', sim: { provisionSeconds: 1, failProvisioning: false } }));
  const profiles = await listClusterProfiles(store, SYSTEM_TENANT, project.id, { limit: 10, name: 'beehive-host' });
  const profile =
    profiles.items.find((p) => p.profileVersion === '1.0.0') ??
    (await createClusterProfile(tx, SYSTEM_TENANT, project.id, { name: 'beehive-host', version: '1.0.0', cloud: 'sim', type: 'full', layers: SIM_HOST_LAYERS, variables: [] }));
  const members = [];
  for (const name of BEEHIVE_HOSTS) {
    const existing = await getItem(store, keys.clusterName(SYSTEM_TENANT, project.id, name), clusterNameItem);
    let clusterId = existing?.id;
    const cluster = clusterId ? await getItem(store, keys.cluster(SYSTEM_TENANT, project.id, clusterId), hostClusterItem) : undefined;
    if (!cluster || cluster.status.phase === 'Error') {
      const created = await createHostCluster(
        tx,
        { tenantId: SYSTEM_TENANT, projectId: project.id },
        {
          name,
          provider: 'sim',
          cloudAccountId: account.id,
          region: 'sim-local-1',
          profileId: profile.id,
          kubernetesVersion: '1.31',
          nodePools: [{ name: 'workers', instanceType: 'sim.4xlarge', count: options.nodesPerHost ?? 2 }],
          hostCluster: { enabled: true },
          variables: {},
        },
        { account: accountSettingsOf(account) },
      );
      clusterId = created.cluster.id;
    }
    members.push({ tenantId: SYSTEM_TENANT, projectId: project.id, clusterId: clusterId! });
  }
  await createClusterGroup(tx, SYSTEM_TENANT, {
    id: BEEHIVE,
    name: BEEHIVE,
    system: true,
    members,
    endpointType: 'Ingress',
    limits: BEEHIVE_LIMITS,
    oversubscriptionPercent: 120,
  });
  return { created: true };
}

import { dumpYaml } from '@kubernetes/client-node';
import { createApiHandler } from '../../shared/http/api-handler.ts';
import { mapPage } from '../../shared/store/pagination.ts';
import { ApiError, validationFailed } from '../../shared/errors.ts';
import { requireTenant } from '../../shared/auth/permissions.ts';
import { getCloudAccount } from '../../shared/catalog/cloud-accounts.ts';
import { getClusterProfile } from '../../shared/catalog/cluster-profiles.ts';
import { resolveProfileVariables } from '../../shared/catalog/profile-variables.ts';
import {
  assertPoolExists,
  assertScaleWithinBounds,
  beginChange,
  createHostCluster,
  getHostCluster,
  listHostClusters,
  toHostCluster,
} from '../../shared/clusters/host-clusters.ts';
import {
  BEEHIVE,
  createClusterGroup,
  deleteClusterGroup,
  getClusterGroup,
  listClusterGroups,
  resolveMembers,
  toClusterGroup,
  updateClusterGroup,
} from '../../shared/clusters/cluster-groups.ts';
import { compareKubernetesVersions } from '../../shared/clusters/kubernetes-version.ts';
import { parseKubeconfig } from '../../shared/providers/imported.ts';
import { clusterRef, providerFor } from '../../shared/providers/index.ts';
import { PermanentProviderError } from '../../shared/providers/provider.ts';
import type { Store } from '../../shared/store/client.ts';

const profileCloudFor = { aws: 'eks', sim: 'sim' } as const;

const stringify = (values: Record<string, string | number | boolean>) =>
  Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v)]));

async function loadProfile(store: Store, tenantId: string, projectId: string, profileId: string, path: string) {
  const profile = await getClusterProfile(store, tenantId, projectId, profileId).catch(() => undefined);
  if (!profile) throw validationFailed(`no cluster profile ${profileId} in this project`, [{ path, message: 'unknown cluster profile' }]);
  return profile;
}

export const handler = createApiHandler('clusters', {
  'cluster.create': async ({ store, principal, project, body }) => {
    const tenantId = requireTenant(principal);
    const projectId = project.project.id;
    const account = await getCloudAccount(store, tenantId, projectId, body.cloudAccountId).catch(() => undefined);
    if (!account) throw validationFailed(`no cloud account ${body.cloudAccountId} in this project`, [{ path: 'cloudAccountId', message: 'unknown cloud account' }]);
    const profile = await loadProfile(store, tenantId, projectId, body.profileId, 'profileId');
    if (profile.profileType === 'add-on') {
      throw validationFailed('an add-on profile cannot create a cluster; use an infra or full profile', [{ path: 'profileId', message: 'add-on profile' }]);
    }
    if (profile.cloud !== 'all' && profile.cloud !== profileCloudFor[account.provider]) {
      throw validationFailed(`profile ${profile.name}@${profile.profileVersion} is for ${profile.cloud}, the account is ${account.provider}`, [
        { path: 'profileId', message: `profile cloud ${profile.cloud} does not match the account's provider ${account.provider}` },
      ]);
    }
    const { values } = resolveProfileVariables(profile.variables, stringify(body.variables));
    const { cluster, operation } = await createHostCluster(store, { tenantId, projectId }, {
      name: body.name,
      provider: account.provider === 'aws' ? 'eks' : 'sim',
      cloudAccountId: account.id,
      region: body.region,
      profileId: profile.id,
      kubernetesVersion: body.kubernetesVersion ?? profile.kubernetesVersion ?? null,
      nodePools: body.nodePools,
      hostCluster: body.hostCluster,
      variables: values,
    }, { simProvisionSeconds: account.sim?.provisionSeconds });
    return { status: 202, body: { ...toHostCluster(cluster), operationId: operation.id }, etag: cluster.version, resourceId: cluster.id };
  },

  'cluster.import': async ({ store, principal, project, body }) => {
    const tenantId = requireTenant(principal);
    try {
      parseKubeconfig(body.kubeconfig);
    } catch (error) {
      throw validationFailed((error as Error).message, [{ path: 'kubeconfig', message: (error as Error).message }]);
    }
    const { cluster, operation } = await createHostCluster(store, { tenantId, projectId: project.project.id }, {
      name: body.name,
      provider: 'imported',
      cloudAccountId: null,
      region: null,
      profileId: null,
      kubernetesVersion: null,
      nodePools: [],
      hostCluster: body.hostCluster,
      variables: {},
      kubeconfig: body.kubeconfig,
    });
    return { status: 202, body: { ...toHostCluster(cluster), operationId: operation.id }, etag: cluster.version, resourceId: cluster.id };
  },

  'cluster.list': async ({ store, principal, project, query }) => {
    const page = await listHostClusters(store, requireTenant(principal), project.project.id, query);
    return { status: 200, body: mapPage(page, toHostCluster) };
  },

  'cluster.get': async ({ store, principal, project, params }) => {
    const cluster = await getHostCluster(store, requireTenant(principal), project.project.id, params.id);
    return { status: 200, body: toHostCluster(cluster), etag: cluster.version };
  },

  'cluster.scale': async ({ store, principal, project, params, body, ifMatch }) => {
    const cluster = await getHostCluster(store, requireTenant(principal), project.project.id, params.id);
    if (cluster.provider === 'imported') throw new ApiError('invalid_state', 'node pools of an imported cluster are managed outside this platform');
    const pool = assertPoolExists(cluster, params.pool);
    assertScaleWithinBounds(pool, body.count);
    const { cluster: next, operation } = await beginChange(store, cluster, { kind: 'scale', pool: { ...pool, count: body.count } }, { ifMatch });
    return { status: 202, body: { ...toHostCluster(next), operationId: operation.id }, etag: next.version, resourceId: cluster.id };
  },

  'cluster.upgrade': async ({ store, principal, project, params, body, ifMatch }) => {
    const tenantId = requireTenant(principal);
    const cluster = await getHostCluster(store, tenantId, project.project.id, params.id);
    if (!cluster.profileId) throw new ApiError('invalid_state', 'an imported cluster is upgraded outside this platform');
    const current = await loadProfile(store, tenantId, project.project.id, cluster.profileId, 'profileId');
    const target = await loadProfile(store, tenantId, project.project.id, body.profileId, 'profileId');
    if (target.name !== current.name) {
      throw validationFailed(`upgrade within profile ${current.name}; ${target.name} is another profile`, [{ path: 'profileId', message: 'must be a version of the same profile' }]);
    }
    if (target.id === current.id) throw new ApiError('invalid_state', `the cluster already runs ${current.name}@${current.profileVersion}`);
    if (target.profileType === 'add-on') throw validationFailed('an add-on profile cannot define a cluster', [{ path: 'profileId', message: 'add-on profile' }]);
    if (target.kubernetesVersion && cluster.kubernetesVersion && compareKubernetesVersions(target.kubernetesVersion, cluster.kubernetesVersion) < 0) {
      throw validationFailed(`Kubernetes cannot be downgraded from ${cluster.kubernetesVersion} to ${target.kubernetesVersion}`, [
        { path: 'profileId', message: `Kubernetes ${target.kubernetesVersion} is older than the cluster's ${cluster.kubernetesVersion}` },
      ]);
    }
    const given = body.variables ? stringify(body.variables) : {};
    const carried = Object.fromEntries(Object.entries(cluster.variables).filter(([name]) => target.variables.some((v) => v.name === name)));
    const { values } = resolveProfileVariables(target.variables, { ...carried, ...given });
    const { cluster: next, operation } = await beginChange(
      store,
      cluster,
      { kind: 'upgrade', profileId: target.id, kubernetesVersion: target.kubernetesVersion ?? cluster.kubernetesVersion ?? '1.31', variables: values },
      { ifMatch },
    );
    return { status: 202, body: { ...toHostCluster(next), operationId: operation.id }, etag: next.version, resourceId: cluster.id };
  },

  'cluster.delete': async ({ store, principal, project, params, ifMatch }) => {
    const cluster = await getHostCluster(store, requireTenant(principal), project.project.id, params.id);
    const { cluster: next, operation } = await beginChange(store, cluster, { kind: 'delete' }, { ifMatch });
    return { status: 202, body: { ...toHostCluster(next), operationId: operation.id }, etag: next.version, resourceId: cluster.id };
  },

  'cluster.kubeconfig': async ({ store, principal, project, params }) => {
    const tenantId = requireTenant(principal);
    const cluster = await getHostCluster(store, tenantId, project.project.id, params.id);
    if (cluster.status.phase !== 'Running' && cluster.status.phase !== 'Updating') {
      throw new ApiError('invalid_state', `cluster ${cluster.name} is ${cluster.status.phase}; its kubeconfig is available once Running`);
    }
    const account = cluster.cloudAccountId ? await getCloudAccount(store, tenantId, cluster.projectId, cluster.cloudAccountId).catch(() => undefined) : undefined;
    try {
      const config = await (await providerFor(cluster, account)).kubeConfig(clusterRef(cluster));
      return { status: 200, raw: { contentType: 'application/yaml', text: dumpYaml(JSON.parse(config.exportConfig())) } };
    } catch (error) {
      if (error instanceof PermanentProviderError) throw new ApiError('invalid_state', error.message);
      throw error;
    }
  },

  'clustergroup.create': async ({ store, principal, body }) => {
    const tenantId = requireTenant(principal);
    const members = await resolveMembers(store, tenantId, body.hostClusters);
    const group = await createClusterGroup(store, tenantId, {
      name: body.name,
      members,
      endpointType: body.endpointType,
      limits: body.limits,
      oversubscriptionPercent: body.oversubscriptionPercent,
    });
    return { status: 201, body: await toClusterGroup(store, group), etag: group.version, resourceId: group.id };
  },

  'clustergroup.list': async ({ store, principal, query }) => {
    const page = await listClusterGroups(store, principal.tenantId, query);
    return { status: 200, body: { items: await Promise.all(page.items.map((g) => toClusterGroup(store, g))), nextCursor: page.nextCursor } };
  },

  'clustergroup.get': async ({ store, principal, params }) => {
    const group = await getClusterGroup(store, principal.tenantId, params.id);
    return { status: 200, body: await toClusterGroup(store, group), etag: group.version };
  },

  'clustergroup.update': async ({ store, principal, params, body, ifMatch }) => {
    if ((params.id === BEEHIVE) !== (principal.role === 'system.admin')) {
      throw new ApiError('forbidden', params.id === BEEHIVE ? 'only the system admin manages beehive' : 'the system admin manages only beehive');
    }
    const group = await getClusterGroup(store, principal.tenantId, params.id);
    const members = body.hostClusters ? await resolveMembers(store, group.tenantId, body.hostClusters) : undefined;
    const { hostClusters: _ignored, ...changes } = body;
    const next = await updateClusterGroup(store, group, { ...changes, members }, ifMatch);
    return { status: 200, body: await toClusterGroup(store, next), etag: next.version, resourceId: next.id };
  },

  'clustergroup.delete': async ({ store, principal, params, ifMatch }) => {
    const group = await getClusterGroup(store, requireTenant(principal), params.id);
    await deleteClusterGroup(store, group, ifMatch);
    return { status: 204, resourceId: group.id };
  },
});

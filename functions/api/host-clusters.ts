import { ApiError } from '#shared/errors.ts';
import { createApiHandler } from '#shared/http/api-handler.ts';
import { mapPage } from '#shared/store/pagination.ts';
import { requireTenant } from '#shared/auth/permissions.ts';
import { hostClusterRoutes } from '#shared/host-clusters/routes.ts';
import { listInstanceTypes } from '#shared/usage/prices.ts';
import {
  accountOf,
  beginChange,
  createHostCluster,
  getHostCluster,
  withEdgeHealth,
  hostClusterKubeconfig,
  listHostClusters,
  planClusterCreate,
  planClusterImport,
  planEdgeScale,
  planScale,
  planUpgrade,
  toHostCluster,
} from '#shared/host-clusters/host-clusters.ts';
import type { HostClusterItem } from '#shared/host-clusters/items.ts';

const accepted = (cluster: HostClusterItem & { operationId: string }) => ({
  status: 202,
  body: toHostCluster(cluster),
  etag: cluster.version,
  resourceId: cluster.id,
});

export const handler = createApiHandler(hostClusterRoutes, {
  'cluster.create': async ({ tx, store, principal, project, body, requestId }) => {
    const scope = { tenantId: requireTenant(principal), projectId: project.project.id };
    const { spec, account } = await planClusterCreate(store, scope, body);
    return accepted((await createHostCluster(tx, scope, spec, { account, requestId })).cluster);
  },
  'cluster.import': async ({ tx, principal, project, body, requestId }) => {
    const scope = { tenantId: requireTenant(principal), projectId: project.project.id };
    return accepted((await createHostCluster(tx, scope, planClusterImport(body), { requestId })).cluster);
  },
  'instancetype.list': async ({ query }) => ({ status: 200, body: { items: listInstanceTypes(query.provider) } }),
  'cluster.list': async ({ store, principal, project, query }) => ({
    status: 200,
    body: mapPage(await listHostClusters(store, requireTenant(principal), project.project.id, query), toHostCluster),
  }),
  'cluster.get': async ({ store, principal, project, params }) => {
    const cluster = await withEdgeHealth(store, await getHostCluster(store, requireTenant(principal), project.project.id, params.id));
    return { status: 200, body: toHostCluster(cluster), etag: cluster.version };
  },
  'cluster.scale': async ({ tx, store, principal, project, params, body, ifMatch, requestId }) => {
    const cluster = await getHostCluster(store, requireTenant(principal), project.project.id, params.id);
    const change = cluster.provider === 'edge' ? await planEdgeScale(store, cluster, params.pool, body) : planScale(cluster, params.pool, body);
    return accepted((await beginChange(tx, cluster, change, { ifMatch, requestId, account: await accountOf(store, cluster) })).cluster);
  },
  'cluster.upgrade': async ({ tx, store, principal, project, params, body, ifMatch, requestId }) => {
    const cluster = await getHostCluster(store, requireTenant(principal), project.project.id, params.id);
    const change = await planUpgrade(store, cluster, body);
    return accepted((await beginChange(tx, cluster, change, { ifMatch, requestId, account: await accountOf(store, cluster) })).cluster);
  },
  'cluster.delete': async ({ tx, store, principal, project, params, query, ifMatch, requestId }) => {
    if (query.force && project.role !== 'project.admin') throw new ApiError('forbidden', 'a forced delete needs project.admin');
    const cluster = await getHostCluster(store, requireTenant(principal), project.project.id, params.id);
    return accepted((await beginChange(tx, cluster, { kind: 'delete' }, { ifMatch, requestId, force: query.force, account: await accountOf(store, cluster) })).cluster);
  },
  'cluster.kubeconfig': async ({ store, principal, project, params }) => {
    const cluster = await getHostCluster(store, requireTenant(principal), project.project.id, params.id);
    return { status: 200, raw: { contentType: 'application/yaml', text: await hostClusterKubeconfig(store, cluster) } };
  },
});

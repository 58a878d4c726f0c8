import { createApiHandler } from '#shared/http/api-handler.ts';
import { mapPage } from '#shared/store/pagination.ts';
import { requireTenant } from '#shared/auth/permissions.ts';
import { virtualClusterRoutes } from '#shared/virtual-clusters/routes.ts';
import {
  beginChange,
  createVirtualCluster,
  getVirtualCluster,
  listVirtualClusters,
  planResize,
  recordActivity,
  sleepSettingsChange,
  toVirtualCluster,
  updateSleepSettings,
  virtualClusterKubeconfig,
} from '#shared/virtual-clusters/virtual-clusters.ts';
import type { VirtualClusterItem } from '#shared/virtual-clusters/items.ts';

const accepted = (vc: VirtualClusterItem & { operationId: string }) => ({ status: 202, body: toVirtualCluster(vc), etag: vc.version, resourceId: vc.id });

export const handler = createApiHandler(virtualClusterRoutes, {
  'virtualcluster.create': async ({ tx, principal, project, body, requestId }) => {
    const scope = { tenantId: requireTenant(principal), projectId: project.project.id, ownerId: principal.userId };
    return accepted((await createVirtualCluster(tx, scope, body, { requestId })).virtualCluster);
  },
  'virtualcluster.list': async ({ store, principal, project, query }) => ({
    status: 200,
    body: mapPage(await listVirtualClusters(store, requireTenant(principal), project.project.id, query), toVirtualCluster),
  }),
  'virtualcluster.get': async ({ store, principal, project, params }) => {
    const vc = await getVirtualCluster(store, requireTenant(principal), project.project.id, params.id);
    await recordActivity(store, vc);
    return { status: 200, body: toVirtualCluster(vc), etag: vc.version };
  },
  // With `resources` a resize (202), the sleep settings written in its own conditional write; without, the settings alone (200).
  'virtualcluster.resize': async ({ tx, store, principal, project, params, body, ifMatch, requestId }) => {
    const vc = await getVirtualCluster(store, requireTenant(principal), project.project.id, params.id);
    const { resources, ...settings } = body;
    if (!resources) {
      const next = await updateSleepSettings(tx, vc, settings, { ifMatch });
      return { status: 200, body: toVirtualCluster(next), etag: next.version, resourceId: next.id };
    }
    const resize = await planResize(store, vc, resources);
    return accepted((await beginChange(tx, vc, { kind: 'resize', previous: vc.resources }, { ifMatch, requestId, resize, also: sleepSettingsChange(settings) })).virtualCluster);
  },
  'virtualcluster.pause': async ({ tx, store, principal, project, params, ifMatch, requestId }) => {
    const vc = await getVirtualCluster(store, requireTenant(principal), project.project.id, params.id);
    return accepted((await beginChange(tx, vc, { kind: 'pause' }, { ifMatch, requestId })).virtualCluster);
  },
  'virtualcluster.resume': async ({ tx, store, principal, project, params, ifMatch, requestId }) => {
    const vc = await getVirtualCluster(store, requireTenant(principal), project.project.id, params.id);
    return accepted((await beginChange(tx, vc, { kind: 'resume' }, { ifMatch, requestId })).virtualCluster);
  },
  'virtualcluster.delete': async ({ tx, store, principal, project, params, ifMatch, requestId }) => {
    const vc = await getVirtualCluster(store, requireTenant(principal), project.project.id, params.id);
    return accepted((await beginChange(tx, vc, { kind: 'delete' }, { ifMatch, requestId })).virtualCluster);
  },
  'virtualcluster.kubeconfig': async ({ store, principal, project, params }) => {
    const vc = await getVirtualCluster(store, requireTenant(principal), project.project.id, params.id);
    return { status: 200, raw: { contentType: 'application/yaml', text: await virtualClusterKubeconfig(store, vc) } };
  },
});

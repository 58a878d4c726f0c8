import { ApiError } from '#shared/errors.ts';
import { createApiHandler } from '#shared/http/api-handler.ts';
import { requireTenant } from '#shared/auth/permissions.ts';
import { clusterGroupRoutes } from '#shared/cluster-groups/routes.ts';
import {
  BEEHIVE,
  createClusterGroup,
  deleteClusterGroup,
  getClusterGroup,
  listClusterGroups,
  resolveMembers,
  toClusterGroup,
  updateClusterGroup,
} from '#shared/cluster-groups/cluster-groups.ts';

export const handler = createApiHandler(clusterGroupRoutes, {
  'clustergroup.create': async ({ tx, store, principal, body }) => {
    const tenantId = requireTenant(principal);
    const members = await resolveMembers(store, tenantId, body.hostClusters);
    const group = await createClusterGroup(tx, tenantId, { ...body, members });
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
  'clustergroup.update': async ({ tx, store, principal, params, body, ifMatch }) => {
    if ((params.id === BEEHIVE) !== (principal.role === 'system.admin')) {
      throw new ApiError('forbidden', params.id === BEEHIVE ? 'only the system admin manages beehive' : 'the system admin manages only beehive');
    }
    const group = await getClusterGroup(store, principal.tenantId, params.id);
    const { hostClusters, ...changes } = body;
    const members = hostClusters ? await resolveMembers(store, group.tenantId, hostClusters) : undefined;
    const next = await updateClusterGroup(tx, group, { ...changes, members }, ifMatch);
    return { status: 200, body: await toClusterGroup(store, next), etag: next.version, resourceId: next.id };
  },
  'clustergroup.delete': async ({ tx, store, principal, params, ifMatch }) => {
    const group = await getClusterGroup(store, requireTenant(principal), params.id);
    await deleteClusterGroup(tx, group, ifMatch);
    return { status: 204, resourceId: group.id };
  },
});

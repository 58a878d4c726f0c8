import { createApiHandler } from '#shared/http/api-handler.ts';
import { mapPage } from '#shared/store/pagination.ts';
import { requireTenant } from '#shared/auth/permissions.ts';
import { clusterProfileRoutes } from '#shared/cluster-profiles/routes.ts';
import {
  createClusterProfile,
  deleteClusterProfile,
  getClusterProfile,
  listClusterProfiles,
  toClusterProfile,
} from '#shared/cluster-profiles/cluster-profiles.ts';

export const handler = createApiHandler(clusterProfileRoutes, {
  'clusterprofile.create': async ({ tx, principal, project, body }) => {
    const profile = await createClusterProfile(tx, requireTenant(principal), project.project.id, body);
    return { status: 201, body: toClusterProfile(profile), etag: profile.version, resourceId: profile.id };
  },
  'clusterprofile.list': async ({ store, principal, project, query }) => ({
    status: 200,
    body: mapPage(await listClusterProfiles(store, requireTenant(principal), project.project.id, query), toClusterProfile),
  }),
  'clusterprofile.get': async ({ store, principal, project, params }) => {
    const profile = await getClusterProfile(store, requireTenant(principal), project.project.id, params.id);
    return { status: 200, body: toClusterProfile(profile), etag: profile.version };
  },
  'clusterprofile.delete': async ({ tx, principal, project, params, ifMatch }) => {
    await deleteClusterProfile(tx, requireTenant(principal), project.project.id, params.id, ifMatch);
    return { status: 204, resourceId: params.id };
  },
});

import { createApiHandler } from '#shared/http/api-handler.ts';
import { mapPage } from '#shared/store/pagination.ts';
import { requireTenant } from '#shared/auth/permissions.ts';
import { appProfileRoutes } from '#shared/app-profiles/routes.ts';
import { createAppProfile, deleteAppProfile, getAppProfile, listAppProfiles, toAppProfile } from '#shared/app-profiles/app-profiles.ts';

export const handler = createApiHandler(appProfileRoutes, {
  'appprofile.create': async ({ tx, principal, project, body }) => {
    const profile = await createAppProfile(tx, requireTenant(principal), project.project.id, body);
    return { status: 201, body: toAppProfile(profile), etag: profile.version, resourceId: profile.id };
  },
  'appprofile.list': async ({ store, principal, project, query }) => ({
    status: 200,
    body: mapPage(await listAppProfiles(store, requireTenant(principal), project.project.id, query), toAppProfile),
  }),
  'appprofile.get': async ({ store, principal, project, params }) => {
    const profile = await getAppProfile(store, requireTenant(principal), project.project.id, params.id);
    return { status: 200, body: toAppProfile(profile), etag: profile.version };
  },
  'appprofile.delete': async ({ tx, principal, project, params, ifMatch }) => {
    await deleteAppProfile(tx, requireTenant(principal), project.project.id, params.id, ifMatch);
    return { status: 204, resourceId: params.id };
  },
});

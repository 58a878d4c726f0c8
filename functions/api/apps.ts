import { createApiHandler } from '#shared/http/api-handler.ts';
import { requireTenant } from '#shared/auth/permissions.ts';
import { appRoutes } from '#shared/apps/routes.ts';
import { createApp, deleteApp, deployApp, getApp, listApps, viewApps } from '#shared/apps/apps.ts';
import type { AppItem } from '#shared/apps/items.ts';
import type { Store } from '#shared/store/client.ts';

const view = async (store: Store, app: AppItem) => (await viewApps(store, [app]))[0]!;
const accepted = async (store: Store, app: AppItem & { operationId: string }) => ({ status: 202, body: await view(store, app), etag: app.version, resourceId: app.id });

export const handler = createApiHandler(appRoutes, {
  'app.create': async ({ tx, store, principal, project, body, requestId }) => {
    const scope = { tenantId: requireTenant(principal), projectId: project.project.id };
    return accepted(store, (await createApp(tx, scope, body, { requestId })).app);
  },
  'app.list': async ({ store, principal, project, query }) => {
    const page = await listApps(store, requireTenant(principal), project.project.id, query);
    return { status: 200, body: { items: await viewApps(store, page.items), nextCursor: page.nextCursor } };
  },
  'app.get': async ({ store, principal, project, params }) => {
    const app = await getApp(store, requireTenant(principal), project.project.id, params.id);
    return { status: 200, body: await view(store, app), etag: app.version };
  },
  'app.upgrade': async ({ tx, store, principal, project, params, body, ifMatch, requestId }) => {
    const app = await getApp(store, requireTenant(principal), project.project.id, params.id);
    return accepted(store, (await deployApp(tx, app, body, { ifMatch, requestId })).app);
  },
  'app.delete': async ({ tx, store, principal, project, params, ifMatch, requestId }) => {
    const app = await getApp(store, requireTenant(principal), project.project.id, params.id);
    return accepted(store, (await deleteApp(tx, app, { ifMatch, requestId })).app);
  },
});

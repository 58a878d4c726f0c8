import { createApiHandler } from '#shared/http/api-handler.ts';
import { mapPage } from '#shared/store/pagination.ts';
import { requireTenant } from '#shared/auth/permissions.ts';
import { registryRoutes } from '#shared/registries/routes.ts';
import { createRegistry, deleteRegistry, getRegistry, listRegistries, registryCharts, toRegistry } from '#shared/registries/registries.ts';

export const handler = createApiHandler(registryRoutes, {
  'registry.create': async ({ tx, principal, body }) => {
    const item = await createRegistry(tx, requireTenant(principal), body);
    return { status: 201, body: toRegistry(item), etag: item.version, resourceId: item.id };
  },
  'registry.list': async ({ store, principal, query }) => ({ status: 200, body: mapPage(await listRegistries(store, requireTenant(principal), query), toRegistry) }),
  'registry.get': async ({ store, principal, params }) => {
    const item = await getRegistry(store, requireTenant(principal), params.id);
    return { status: 200, body: toRegistry(item), etag: item.version };
  },
  'registry.delete': async ({ tx, principal, params, ifMatch }) => {
    await deleteRegistry(tx, requireTenant(principal), params.id, ifMatch);
    return { status: 204, resourceId: params.id };
  },
  'registry.charts': async ({ store, principal, params, query }) => ({
    status: 200,
    body: { items: await registryCharts(store, requireTenant(principal), params.id, query.name) },
  }),
});

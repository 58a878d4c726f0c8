import { createApiHandler } from '#shared/http/api-handler.ts';
import { requireTenant } from '#shared/auth/permissions.ts';
import { usageRoutes } from '#shared/usage/routes.ts';
import { projectUsage, tenantUsage } from '#shared/usage/usage.ts';

export const handler = createApiHandler(usageRoutes, {
  'usage.project': async ({ store, principal, project, query }) => ({
    status: 200,
    body: await projectUsage(store, requireTenant(principal), project.project.id, query),
  }),
  'usage.tenant': async ({ store, principal, query }) => ({
    status: 200,
    body: await tenantUsage(store, requireTenant(principal), query),
  }),
});

import { notFound } from '#shared/errors.ts';
import { createApiHandler } from '#shared/http/api-handler.ts';
import { requireTenant } from '#shared/auth/permissions.ts';
import { projectAccess } from '#shared/tenancy/projects.ts';
import { operationRoutes } from '#shared/operations/routes.ts';
import { getOperation, listOperations, toOperation } from '#shared/operations/operations.ts';
import { mapPage } from '#shared/store/pagination.ts';

export const handler = createApiHandler(operationRoutes, {
  'operation.list': async ({ store, principal, query }) => {
    const tenantId = requireTenant(principal);
    return { status: 200, body: mapPage(await listOperations(store, { ...principal, tenantId }, query), toOperation) };
  },
  'operation.get': async ({ store, principal, params }) => {
    const operation = await getOperation(store, requireTenant(principal), params.id);
    // An operation of a project the caller cannot see does not exist for it.
    if (operation.projectId && !(await projectAccess(store, principal, operation.projectId))) throw notFound(`operation ${params.id}`);
    return { status: 200, body: toOperation(operation), etag: operation.version };
  },
});

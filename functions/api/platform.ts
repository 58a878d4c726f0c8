import { createApiHandler } from '../../shared/http/api-handler.ts';
import { mapPage } from '../../shared/store/pagination.ts';
import { listAudit, toAuditEntry } from '../../shared/audit/audit-log.ts';
import { getOperation, toOperation } from '../../shared/operations/operations.ts';
import { requireTenant } from '../../shared/auth/permissions.ts';
import { projectAccess } from '../../shared/tenancy/projects.ts';
import { notFound } from '../../shared/errors.ts';

export const handler = createApiHandler('platform', {
  'operation.get': async ({ store, principal, params }) => {
    const operation = await getOperation(store, requireTenant(principal), params.id);
    // An operation of a project the caller cannot see does not exist for it.
    if (operation.projectId && !(await projectAccess(store, principal, operation.projectId))) {
      throw notFound(`operation ${params.id}`);
    }
    return { status: 200, body: toOperation(operation), etag: operation.version };
  },
  'audit.list': async ({ store, principal, query }) => {
    const { limit, cursor, ...filter } = query;
    const result = await listAudit(store, principal.tenantId, filter, { limit, cursor });
    return { status: 200, body: mapPage(result, toAuditEntry) };
  },
});

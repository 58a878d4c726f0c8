import { createApiHandler } from '#shared/http/api-handler.ts';
import { mapPage } from '#shared/store/pagination.ts';
import { auditRoutes } from '#shared/audit/routes.ts';
import { listAudit, toAuditEntry } from '#shared/audit/audit-log.ts';

export const handler = createApiHandler(auditRoutes, {
  'audit.list': async ({ store, principal, query }) => {
    const { limit, cursor, ...filter } = query;
    return { status: 200, body: mapPage(await listAudit(store, principal.tenantId, filter, { limit, cursor }), toAuditEntry) };
  },
});

import { listOf } from '../api/schema-kit.ts';
import { featureRoutes, ok } from '../api/route-kit.ts';
import { auditEntry, auditQuery } from './schemas.ts';

export const auditRoutes = featureRoutes('audit', {
  'audit.list': {
    method: 'GET', path: '/v1/audit', permission: 'tenant.admin', resourceType: 'audit',
    summary: 'The audit log, newest first (system.admin sees the platform\'s own log)', systemAllowed: true, query: auditQuery,
    responses: ok(listOf(auditEntry, 'AuditList')),
  },
});

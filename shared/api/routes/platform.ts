import { listOf } from '../schema-kit.ts';
import { idParams, ok, route, type RouteSpec } from '../route-kit.ts';
import * as p from '../platform-schemas.ts';

export const platformRoutes = {
  // Operations and audit
  'operation.get': route({
    method: 'GET', path: '/v1/operations/{id}', group: 'platform', permission: 'tenant.member', resourceType: 'operation',
    summary: 'A long-running operation', params: idParams('operation'), responses: ok(p.operation),
  }),
  'audit.list': route({
    method: 'GET', path: '/v1/audit', group: 'platform', permission: 'tenant.admin', resourceType: 'audit',
    summary: 'The audit log, newest first (system.admin sees the platform\'s own log)', systemAllowed: true, query: p.auditQuery,
    responses: ok(listOf(p.auditEntry, 'AuditList')),
  }),
} satisfies Record<string, RouteSpec>;

import { featureRoutes, idParams, ok } from '../api/route-kit.ts';
import { listOf } from '../api/schema-kit.ts';
import { keys } from '../store/keys.ts';
import { operation, operationListQuery } from './schemas.ts';

export const operationRoutes = featureRoutes('operations', {
  'operation.list': {
    method: 'GET', path: '/v1/operations', permission: 'tenant.member', resourceType: 'operation',
    summary: "The caller's visible operations, newest first (one resource's with ?resourceId=)", query: operationListQuery,
    responses: ok(listOf(operation, 'OperationList')),
  },
  'operation.get': {
    method: 'GET', path: '/v1/operations/{id}', permission: 'tenant.member', resourceType: 'operation',
    summary: 'A long-running operation', params: idParams('operation'), responses: ok(operation),
    reads: ({ tenantId, params }) => (params.id ? [keys.operation(tenantId, params.id)] : []),
  },
});

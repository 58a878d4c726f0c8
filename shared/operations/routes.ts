import { featureRoutes, idParams, ok } from '../api/route-kit.ts';
import { keys } from '../store/keys.ts';
import { operation } from './schemas.ts';

export const operationRoutes = featureRoutes('operations', {
  'operation.get': {
    method: 'GET', path: '/v1/operations/{id}', permission: 'tenant.member', resourceType: 'operation',
    summary: 'A long-running operation', params: idParams('operation'), responses: ok(operation),
    reads: ({ tenantId, params }) => (params.id ? [keys.operation(tenantId, params.id)] : []),
  },
});

import { featureRoutes, ok } from '../api/route-kit.ts';
import { keys } from '../store/keys.ts';
import { quota, quotaBody } from './schemas.ts';

export const quotaRoutes = featureRoutes('quotas', {
  'quota.get': {
    method: 'GET', path: '/v1/quotas', permission: 'tenant.member', resourceType: 'quota',
    reads: ({ tenantId, userId }) => [keys.quotaLimits(tenantId, 'beehive'), keys.quotaUsage(tenantId, 'beehive', userId)], summary: 'Your quota in beehive: the per-user limits of your tenant and what your virtual clusters use', responses: ok(quota),
  },
  'quota.put': {
    method: 'PUT', path: '/v1/quotas', permission: 'tenant.admin', resourceType: 'quota',
    reads: ({ tenantId, userId }) => [keys.quotaLimits(tenantId, 'beehive'), keys.quotaUsage(tenantId, 'beehive', userId)], summary: 'Set the per-user limits in beehive for every user of the tenant (new creates and resizes are held to them; nothing running is destroyed)',
    body: quotaBody, responses: ok(quota),
  },
});

import { featureRoutes, ok, projectParams } from '../api/route-kit.ts';
import { projectUsageQuery, tenantUsageQuery, usageResult } from './schemas.ts';

/** Usage and cost (API.md "Operations, audit, usage, reports"). */
export const usageRoutes = featureRoutes('usage', {
  'usage.project': {
    method: 'GET', path: '/v1/projects/{p}/usage', permission: 'project.viewer', resourceType: 'usage',
    summary: 'A project\'s usage and cost over [from, to), by host cluster, virtual cluster or app, optionally per hour or day',
    params: projectParams, query: projectUsageQuery, responses: ok(usageResult),
  },
  'usage.tenant': {
    method: 'GET', path: '/v1/usage', permission: 'tenant.admin', resourceType: 'usage',
    summary: 'The tenant\'s usage and cost over [from, to), by project (default) or by resource across projects',
    query: tenantUsageQuery, responses: ok(usageResult),
  },
});

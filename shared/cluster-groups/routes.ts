import * as z from 'zod';
import { listOf, listQuery } from '../api/schema-kit.ts';
import { created, featureRoutes, noContent, ok } from '../api/route-kit.ts';
import * as c from './schemas.ts';

const groupParams = z.strictObject({ id: z.string().regex(/^(beehive|cg_[0-9A-HJKMNP-TV-Z]{26})$/, 'must be a cluster group id') });

export const clusterGroupRoutes = featureRoutes('cluster-groups', {
  'clustergroup.create': {
    method: 'POST', path: '/v1/clustergroups', permission: 'tenant.admin', resourceType: 'clustergroup',
    summary: 'Group Running host clusters that accept virtual clusters', body: c.createClusterGroupBody, idempotent: true,
    responses: created(c.clusterGroup),
  },
  'clustergroup.list': {
    method: 'GET', path: '/v1/clustergroups', permission: 'tenant.member', resourceType: 'clustergroup',
    summary: 'The tenant\'s cluster groups and the system group beehive', systemAllowed: true,
    query: listQuery,
    responses: ok(listOf(c.clusterGroup, 'ClusterGroupList')),
  },
  'clustergroup.get': {
    method: 'GET', path: '/v1/clustergroups/{id}', permission: 'tenant.member', resourceType: 'clustergroup',
    summary: 'Get a cluster group with its capacity', systemAllowed: true, params: groupParams, responses: ok(c.clusterGroup),
  },
  'clustergroup.update': {
    method: 'PATCH', path: '/v1/clustergroups/{id}', permission: 'tenant.admin', resourceType: 'clustergroup',
    summary: 'Change a cluster group (beehive: system.admin only)', systemAllowed: true, params: groupParams,
    body: c.updateClusterGroupBody, responses: ok(c.clusterGroup),
  },
  'clustergroup.delete': {
    method: 'DELETE', path: '/v1/clustergroups/{id}', permission: 'tenant.admin', resourceType: 'clustergroup',
    summary: 'Delete a cluster group', params: groupParams, responses: noContent,
  },
});

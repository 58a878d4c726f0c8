import { idOf, listOf, z } from '../schema-kit.ts';
import { accepted, created, noContent, ok, projectRef, route, type RouteSpec } from '../route-kit.ts';
import * as c from '../cluster-schemas.ts';

const clusterParams = z.strictObject({ p: projectRef, id: idOf('cluster') });
const groupParams = z.strictObject({ id: z.string().regex(/^(beehive|cg_[0-9A-HJKMNP-TV-Z]{26})$/, 'must be a cluster group id') });

export const clusterRoutes = {
  // Host clusters
  'cluster.create': route({
    method: 'POST', path: '/v1/projects/{p}/clusters', group: 'clusters', permission: 'project.editor', resourceType: 'cluster',
    summary: 'Provision a host cluster from a cluster profile on a cloud account', params: z.strictObject({ p: projectRef }),
    body: c.createClusterBody, idempotent: true, responses: accepted(c.acceptedCluster),
  }),
  'cluster.import': route({
    method: 'POST', path: '/v1/projects/{p}/clusters/import', group: 'clusters', permission: 'project.editor', resourceType: 'cluster',
    summary: 'Import an existing cluster by kubeconfig', params: z.strictObject({ p: projectRef }),
    body: c.importClusterBody, idempotent: true, responses: accepted(c.acceptedCluster),
  }),
  'cluster.list': route({
    method: 'GET', path: '/v1/projects/{p}/clusters', group: 'clusters', permission: 'project.viewer', resourceType: 'cluster',
    summary: 'List host clusters (`?phase=` filters)', params: z.strictObject({ p: projectRef }), query: c.clusterListQuery,
    responses: ok(listOf(c.hostCluster, 'HostClusterList')),
  }),
  'cluster.get': route({
    method: 'GET', path: '/v1/projects/{p}/clusters/{id}', group: 'clusters', permission: 'project.viewer', resourceType: 'cluster',
    summary: 'Get a host cluster', params: clusterParams, responses: ok(c.hostCluster),
  }),
  'cluster.scale': route({
    method: 'PATCH', path: '/v1/projects/{p}/clusters/{id}/nodepools/{pool}', group: 'clusters', permission: 'project.editor',
    resourceType: 'cluster', summary: 'Scale a node pool',
    params: z.strictObject({ p: projectRef, id: idOf('cluster'), pool: z.string().min(1).max(40) }),
    body: c.scaleNodePoolBody, responses: accepted(c.acceptedCluster),
  }),
  'cluster.upgrade': route({
    method: 'POST', path: '/v1/projects/{p}/clusters/{id}/upgrade', group: 'clusters', permission: 'project.editor',
    resourceType: 'cluster', summary: 'Move the cluster to another version of its cluster profile', params: clusterParams,
    body: c.upgradeClusterBody, responses: accepted(c.acceptedCluster),
  }),
  'cluster.delete': route({
    method: 'DELETE', path: '/v1/projects/{p}/clusters/{id}', group: 'clusters', permission: 'project.editor', resourceType: 'cluster',
    summary: 'Delete a host cluster (refused while virtual clusters live on it)', params: clusterParams,
    responses: accepted(c.acceptedCluster),
  }),
  'cluster.kubeconfig': route({
    method: 'GET', path: '/v1/projects/{p}/clusters/{id}/kubeconfig', group: 'clusters', permission: 'project.admin',
    resourceType: 'cluster', summary: 'Download the cluster\'s kubeconfig (YAML)', params: clusterParams,
    responses: { 200: { description: 'kubeconfig', schema: z.string(), contentType: 'application/yaml' } },
  }),

  // Cluster groups
  'clustergroup.create': route({
    method: 'POST', path: '/v1/clustergroups', group: 'clusters', permission: 'tenant.admin', resourceType: 'clustergroup',
    summary: 'Group Running host clusters that accept virtual clusters', body: c.createClusterGroupBody, idempotent: true,
    responses: created(c.clusterGroup),
  }),
  'clustergroup.list': route({
    method: 'GET', path: '/v1/clustergroups', group: 'clusters', permission: 'tenant.member', resourceType: 'clustergroup',
    summary: 'The tenant\'s cluster groups and the system group beehive', systemAllowed: true,
    query: z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(25).openapi({ type: 'integer' }), cursor: z.string().min(1).max(2048).optional() }),
    responses: ok(listOf(c.clusterGroup, 'ClusterGroupList')),
  }),
  'clustergroup.get': route({
    method: 'GET', path: '/v1/clustergroups/{id}', group: 'clusters', permission: 'tenant.member', resourceType: 'clustergroup',
    summary: 'Get a cluster group with its capacity', systemAllowed: true, params: groupParams, responses: ok(c.clusterGroup),
  }),
  'clustergroup.update': route({
    method: 'PATCH', path: '/v1/clustergroups/{id}', group: 'clusters', permission: 'tenant.admin', resourceType: 'clustergroup',
    summary: 'Change a cluster group (beehive: system.admin only)', systemAllowed: true, params: groupParams,
    body: c.updateClusterGroupBody, responses: ok(c.clusterGroup),
  }),
  'clustergroup.delete': route({
    method: 'DELETE', path: '/v1/clustergroups/{id}', group: 'clusters', permission: 'tenant.admin', resourceType: 'clustergroup',
    summary: 'Delete a cluster group', params: groupParams, responses: noContent,
  }),
} satisfies Record<string, RouteSpec>;

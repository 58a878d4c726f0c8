import * as z from 'zod';
import { keys } from '../store/keys.ts';
import { idOf, listOf } from '../api/schema-kit.ts';
import { accepted, featureRoutes, ok, projectRef, readsResource } from '../api/route-kit.ts';
import * as c from './schemas.ts';

const clusterParams = z.strictObject({ p: projectRef, id: idOf('cluster') });

export const hostClusterRoutes = featureRoutes('host-clusters', {
  'instancetype.list': {
    method: 'GET', path: '/v1/instancetypes', permission: 'tenant.member', resourceType: 'instancetype',
    summary: 'The instance types node pools may use, per provider, with their size, GPUs and hourly price', query: c.instanceTypeQuery,
    responses: ok(c.instanceTypeList),
  },
  // Host clusters
  'cluster.create': {
    method: 'POST', path: '/v1/projects/{p}/clusters', permission: 'project.editor', resourceType: 'cluster',
    summary: 'Provision a host cluster from a cluster profile on a cloud account', params: z.strictObject({ p: projectRef }),
    body: c.createClusterBody, idempotent: true, responses: accepted(c.acceptedCluster),
  },
  'cluster.import': {
    method: 'POST', path: '/v1/projects/{p}/clusters/import', permission: 'project.editor', resourceType: 'cluster',
    summary: 'Import an existing cluster by kubeconfig', params: z.strictObject({ p: projectRef }),
    body: c.importClusterBody, idempotent: true, responses: accepted(c.acceptedCluster),
  },
  'cluster.list': {
    method: 'GET', path: '/v1/projects/{p}/clusters', permission: 'project.viewer', resourceType: 'cluster',
    summary: 'List host clusters (`?phase=` filters)', params: z.strictObject({ p: projectRef }), query: c.clusterListQuery,
    responses: ok(listOf(c.hostCluster, 'HostClusterList')),
  },
  'cluster.get': {
    method: 'GET', path: '/v1/projects/{p}/clusters/{id}', permission: 'project.viewer', resourceType: 'cluster',
    reads: readsResource(keys.cluster), summary: 'Get a host cluster', params: clusterParams, responses: ok(c.hostCluster),
  },
  'cluster.scale': {
    method: 'PATCH', path: '/v1/projects/{p}/clusters/{id}/nodepools/{pool}', permission: 'project.editor',
    resourceType: 'cluster', reads: readsResource(keys.cluster), summary: 'Scale a node pool',
    params: z.strictObject({ p: projectRef, id: idOf('cluster'), pool: z.string().min(1).max(40) }),
    body: c.scaleNodePoolBody, responses: accepted(c.acceptedCluster),
  },
  'cluster.upgrade': {
    method: 'POST', path: '/v1/projects/{p}/clusters/{id}/upgrade', permission: 'project.editor',
    resourceType: 'cluster', reads: readsResource(keys.cluster), summary: 'Move the cluster to another version of its cluster profile', params: clusterParams,
    body: c.upgradeClusterBody, responses: accepted(c.acceptedCluster),
  },
  'cluster.delete': {
    method: 'DELETE', path: '/v1/projects/{p}/clusters/{id}', permission: 'project.editor', resourceType: 'cluster',
    reads: readsResource(keys.cluster), params: clusterParams, query: c.deleteClusterQuery,
    summary: 'Delete a host cluster (refused while virtual clusters live on it); ?force=true (project.admin) removes the record whatever the cloud answers',
    responses: accepted(c.acceptedCluster),
  },
  'cluster.kubeconfig': {
    method: 'GET', path: '/v1/projects/{p}/clusters/{id}/kubeconfig', permission: 'project.admin',
    resourceType: 'cluster', reads: readsResource(keys.cluster), summary: 'Download the cluster\'s kubeconfig (YAML)', params: clusterParams,
    responses: { 200: { description: 'kubeconfig', schema: z.string(), contentType: 'application/yaml' } },
  },
});

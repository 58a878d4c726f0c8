import * as z from 'zod';
import { keys } from '../store/keys.ts';
import { listOf } from '../api/schema-kit.ts';
import { accepted, featureRoutes, ok, projectParams, projectResourceParams, readsResource } from '../api/route-kit.ts';
import { createVirtualClusterBody, resizeVirtualClusterBody, virtualCluster, virtualClusterListQuery } from './schemas.ts';

const params = projectResourceParams('virtualCluster');

export const virtualClusterRoutes = featureRoutes('virtual-clusters', {
  'virtualcluster.create': {
    method: 'POST', path: '/v1/projects/{p}/virtualclusters', permission: 'project.editor', resourceType: 'virtualcluster',
    summary: 'Create a virtual cluster in a cluster group (default beehive), within your quota', params: projectParams,
    body: createVirtualClusterBody, idempotent: true, responses: accepted(virtualCluster),
  },
  'virtualcluster.list': {
    method: 'GET', path: '/v1/projects/{p}/virtualclusters', permission: 'project.viewer', resourceType: 'virtualcluster',
    summary: 'List virtual clusters (`?phase=` filters)', params: projectParams, query: virtualClusterListQuery,
    responses: ok(listOf(virtualCluster, 'VirtualClusterList')),
  },
  'virtualcluster.get': {
    method: 'GET', path: '/v1/projects/{p}/virtualclusters/{id}', permission: 'project.viewer', resourceType: 'virtualcluster',
    reads: readsResource(keys.virtualCluster), summary: 'Get a virtual cluster', params, responses: ok(virtualCluster),
  },
  'virtualcluster.resize': {
    method: 'PATCH', path: '/v1/projects/{p}/virtualclusters/{id}', permission: 'project.editor', resourceType: 'virtualcluster',
    reads: readsResource(keys.virtualCluster),
    summary: 'Resize a virtual cluster (202; quota-checked; storage can grow, not shrink) and/or change its sleep settings (alone: 200, no operation)', params, body: resizeVirtualClusterBody,
    responses: { ...ok(virtualCluster, 'the sleep settings changed (no resources given: nothing to run)'), ...accepted(virtualCluster) },
  },
  'virtualcluster.pause': {
    method: 'POST', path: '/v1/projects/{p}/virtualclusters/{id}/pause', permission: 'project.editor', resourceType: 'virtualcluster',
    reads: readsResource(keys.virtualCluster), summary: 'Pause a virtual cluster: its control plane scaled to zero, its workloads stopped (it still counts in the quota)', params,
    responses: accepted(virtualCluster),
  },
  'virtualcluster.resume': {
    method: 'POST', path: '/v1/projects/{p}/virtualclusters/{id}/resume', permission: 'project.editor', resourceType: 'virtualcluster',
    reads: readsResource(keys.virtualCluster), summary: 'Resume a paused virtual cluster', params, responses: accepted(virtualCluster),
  },
  'virtualcluster.delete': {
    method: 'DELETE', path: '/v1/projects/{p}/virtualclusters/{id}', permission: 'project.editor', resourceType: 'virtualcluster',
    reads: readsResource(keys.virtualCluster), summary: 'Delete a virtual cluster and its apps; its quota is released when the deletion completes', params,
    responses: accepted(virtualCluster),
  },
  'virtualcluster.kubeconfig': {
    method: 'GET', path: '/v1/projects/{p}/virtualclusters/{id}/kubeconfig', permission: 'project.editor', resourceType: 'virtualcluster',
    reads: readsResource(keys.virtualCluster), summary: 'Download the virtual cluster\'s kubeconfig (YAML), with a credential for that virtual cluster only', params,
    responses: { 200: { description: 'kubeconfig', schema: z.string(), contentType: 'application/yaml' } },
  },
});

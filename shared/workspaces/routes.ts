import { listOf, listQuery } from '../api/schema-kit.ts';
import { keys } from '../store/keys.ts';
import { accepted, featureRoutes, ok, projectParams, projectResourceParams, readsResource } from '../api/route-kit.ts';
import * as z from 'zod';
import { createWorkspaceBody, kubeconfigQuery, patchWorkspaceBody, workspace } from './schemas.ts';

const params = projectResourceParams('workspace');

export const workspaceRoutes = featureRoutes('workspaces', {
  'workspace.create': {
    method: 'POST', path: '/v1/projects/{p}/workspaces', permission: 'project.admin', resourceType: 'workspace',
    summary: 'Create a workspace: on every member cluster, each namespace with its ResourceQuota and RoleBindings',
    params: projectParams, body: createWorkspaceBody, idempotent: true, responses: accepted(workspace),
  },
  'workspace.list': {
    method: 'GET', path: '/v1/projects/{p}/workspaces', permission: 'project.viewer', resourceType: 'workspace',
    summary: 'List workspaces', params: projectParams, query: listQuery, responses: ok(listOf(workspace, 'WorkspaceList')),
  },
  'workspace.get': {
    method: 'GET', path: '/v1/projects/{p}/workspaces/{id}', permission: 'project.viewer', resourceType: 'workspace',
    reads: readsResource(keys.workspace), summary: 'Get a workspace with its status on each cluster', params, responses: ok(workspace),
  },
  'workspace.update': {
    method: 'PATCH', path: '/v1/projects/{p}/workspaces/{id}', permission: 'project.admin', resourceType: 'workspace',
    reads: readsResource(keys.workspace), summary: 'Change a workspace: what a removed namespace or cluster held is cleaned up, nothing else',
    params, body: patchWorkspaceBody, responses: accepted(workspace),
  },
  'workspace.delete': {
    method: 'DELETE', path: '/v1/projects/{p}/workspaces/{id}', permission: 'project.admin', resourceType: 'workspace',
    reads: readsResource(keys.workspace), summary: 'Delete a workspace: removes what it created on its clusters, nothing else', params, responses: accepted(workspace),
  },
  'workspace.kubeconfig': {
    method: 'GET', path: '/v1/projects/{p}/workspaces/{id}/kubeconfig', permission: 'project.viewer', resourceType: 'workspace',
    reads: readsResource(keys.workspace),
    summary: 'A kubeconfig for the caller on one of the workspace\'s clusters: a one-hour token of their own ServiceAccount, holding what the role bindings give them and nothing more',
    params, query: kubeconfigQuery,
    responses: { 200: { description: 'kubeconfig', schema: z.string(), contentType: 'application/yaml' } },
  },
});

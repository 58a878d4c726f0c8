import { idOf, listOf, listQuery, z } from '../schema-kit.ts';
import { created, noContent, ok, projectParams, projectRef, route, type RouteSpec } from '../route-kit.ts';
import * as c from '../catalog-schemas.ts';

const cloudAccountParams = z.strictObject({ p: projectRef, id: idOf('cloudAccount') });
const clusterProfileParams = z.strictObject({ p: projectRef, id: idOf('clusterProfile') });

export const catalogRoutes = {
  // Cloud accounts
  'cloudaccount.create': route({
    method: 'POST', path: '/v1/projects/{p}/cloudaccounts', group: 'catalog', permission: 'project.editor',
    resourceType: 'cloudaccount', summary: 'Register a cloud account: an AWS IAM role, or the simulated cloud',
    params: projectParams, body: c.createCloudAccountBody, idempotent: true, responses: created(c.cloudAccount),
  }),
  'cloudaccount.list': route({
    method: 'GET', path: '/v1/projects/{p}/cloudaccounts', group: 'catalog', permission: 'project.viewer',
    resourceType: 'cloudaccount', summary: 'List the project\'s cloud accounts', params: projectParams, query: listQuery,
    responses: ok(listOf(c.cloudAccount, 'CloudAccountList')),
  }),
  'cloudaccount.get': route({
    method: 'GET', path: '/v1/projects/{p}/cloudaccounts/{id}', group: 'catalog', permission: 'project.viewer',
    resourceType: 'cloudaccount', summary: 'Get a cloud account', params: cloudAccountParams, responses: ok(c.cloudAccount),
  }),
  'cloudaccount.delete': route({
    method: 'DELETE', path: '/v1/projects/{p}/cloudaccounts/{id}', group: 'catalog', permission: 'project.editor',
    resourceType: 'cloudaccount', summary: 'Delete a cloud account', params: cloudAccountParams, responses: noContent,
  }),
  // Cluster profiles
  'clusterprofile.create': route({
    method: 'POST', path: '/v1/projects/{p}/clusterprofiles', group: 'catalog', permission: 'project.editor',
    resourceType: 'clusterprofile',
    summary: 'Create a cluster profile version; (name, version) is unique in the project and immutable',
    params: projectParams, body: c.createClusterProfileBody, idempotent: true, responses: created(c.clusterProfile),
  }),
  'clusterprofile.list': route({
    method: 'GET', path: '/v1/projects/{p}/clusterprofiles', group: 'catalog', permission: 'project.viewer',
    resourceType: 'clusterprofile', summary: 'List cluster profile versions (`?name=`: the versions of one profile)',
    params: projectParams, query: c.listClusterProfilesQuery, responses: ok(listOf(c.clusterProfile, 'ClusterProfileList')),
  }),
  'clusterprofile.get': route({
    method: 'GET', path: '/v1/projects/{p}/clusterprofiles/{id}', group: 'catalog', permission: 'project.viewer',
    resourceType: 'clusterprofile', summary: 'Get a cluster profile version', params: clusterProfileParams,
    responses: ok(c.clusterProfile),
  }),
  'clusterprofile.delete': route({
    method: 'DELETE', path: '/v1/projects/{p}/clusterprofiles/{id}', group: 'catalog', permission: 'project.editor',
    resourceType: 'clusterprofile', summary: 'Delete a cluster profile version (frees its name and version)',
    params: clusterProfileParams, responses: noContent,
  }),
} satisfies Record<string, RouteSpec>;

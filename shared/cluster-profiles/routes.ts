import * as z from 'zod';
import { idOf, listOf } from '../api/schema-kit.ts';
import { created, featureRoutes, noContent, ok, projectParams, projectRef } from '../api/route-kit.ts';
import { clusterProfile, createClusterProfileBody, listClusterProfilesQuery } from './schemas.ts';

const clusterProfileParams = z.strictObject({ p: projectRef, id: idOf('clusterProfile') });

export const clusterProfileRoutes = featureRoutes('cluster-profiles', {
  'clusterprofile.create': {
    method: 'POST', path: '/v1/projects/{p}/clusterprofiles', permission: 'project.editor',
    resourceType: 'clusterprofile',
    summary: 'Create a cluster profile version; (name, version) is unique in the project and immutable',
    params: projectParams, body: createClusterProfileBody, idempotent: true, responses: created(clusterProfile),
  },
  'clusterprofile.list': {
    method: 'GET', path: '/v1/projects/{p}/clusterprofiles', permission: 'project.viewer',
    resourceType: 'clusterprofile', summary: 'List cluster profile versions (`?name=`: the versions of one profile)',
    params: projectParams, query: listClusterProfilesQuery, responses: ok(listOf(clusterProfile, 'ClusterProfileList')),
  },
  'clusterprofile.get': {
    method: 'GET', path: '/v1/projects/{p}/clusterprofiles/{id}', permission: 'project.viewer',
    resourceType: 'clusterprofile', summary: 'Get a cluster profile version', params: clusterProfileParams,
    responses: ok(clusterProfile),
  },
  'clusterprofile.delete': {
    method: 'DELETE', path: '/v1/projects/{p}/clusterprofiles/{id}', permission: 'project.editor',
    resourceType: 'clusterprofile', summary: 'Delete a cluster profile version (frees its name and version; refused while a cluster uses it)',
    params: clusterProfileParams, responses: noContent,
  },
});

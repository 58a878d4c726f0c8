import * as z from 'zod';
import { keys } from '../store/keys.ts';
import { idOf, listOf } from '../api/schema-kit.ts';
import { created, featureRoutes, noContent, ok, projectParams, projectRef, readsResource } from '../api/route-kit.ts';
import { appProfile, createAppProfileBody, listAppProfilesQuery } from './schemas.ts';

const appProfileParams = z.strictObject({ p: projectRef, id: idOf('appProfile') });

export const appProfileRoutes = featureRoutes('app-profiles', {
  'appprofile.create': {
    method: 'POST', path: '/v1/projects/{p}/appprofiles', permission: 'project.editor',
    resourceType: 'appprofile',
    summary: 'Create an app profile version; (name, version) is unique in the project and immutable, and a tier keeps its type across versions',
    params: projectParams, body: createAppProfileBody, idempotent: true, responses: created(appProfile),
  },
  'appprofile.list': {
    method: 'GET', path: '/v1/projects/{p}/appprofiles', permission: 'project.viewer',
    resourceType: 'appprofile', summary: 'List app profile versions (`?name=`: the versions of one profile)',
    params: projectParams, query: listAppProfilesQuery, responses: ok(listOf(appProfile, 'AppProfileList')),
  },
  'appprofile.get': {
    method: 'GET', path: '/v1/projects/{p}/appprofiles/{id}', permission: 'project.viewer',
    resourceType: 'appprofile', reads: readsResource(keys.appProfile), summary: 'Get an app profile version', params: appProfileParams,
    responses: ok(appProfile),
  },
  'appprofile.delete': {
    method: 'DELETE', path: '/v1/projects/{p}/appprofiles/{id}', permission: 'project.editor',
    resourceType: 'appprofile', reads: readsResource(keys.appProfile), summary: 'Delete an app profile version (frees its name and version; refused while an app uses it)',
    params: appProfileParams, responses: noContent,
  },
});

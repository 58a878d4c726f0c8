import { listOf } from '../api/schema-kit.ts';
import { keys } from '../store/keys.ts';
import { accepted, featureRoutes, ok, projectParams, projectResourceParams, readsResource } from '../api/route-kit.ts';
import { app, appListQuery, createAppBody, upgradeAppBody } from './schemas.ts';

const params = projectResourceParams('app');

export const appRoutes = featureRoutes('apps', {
  'app.create': {
    method: 'POST', path: '/v1/projects/{p}/apps', permission: 'project.editor', resourceType: 'app',
    summary: 'Deploy an app profile version into a running virtual cluster', params: projectParams,
    body: createAppBody, idempotent: true, responses: accepted(app),
  },
  'app.list': {
    method: 'GET', path: '/v1/projects/{p}/apps', permission: 'project.viewer', resourceType: 'app',
    summary: 'List apps (`?virtualClusterId=` filters)', params: projectParams, query: appListQuery, responses: ok(listOf(app, 'AppList')),
  },
  'app.get': {
    method: 'GET', path: '/v1/projects/{p}/apps/{id}', permission: 'project.viewer', resourceType: 'app',
    reads: readsResource(keys.app), summary: 'Get an app: its status per tier, revision and whether a newer profile version exists', params, responses: ok(app),
  },
  'app.upgrade': {
    method: 'POST', path: '/v1/projects/{p}/apps/{id}/upgrade', permission: 'project.editor', resourceType: 'app',
    reads: readsResource(keys.app), summary: 'Upgrade (or redeploy) the app to a version of its profile: removed tiers are deleted, changed ones re-applied, unchanged ones left alone',
    params, body: upgradeAppBody, responses: accepted(app),
  },
  'app.delete': {
    method: 'DELETE', path: '/v1/projects/{p}/apps/{id}', permission: 'project.editor', resourceType: 'app',
    reads: readsResource(keys.app), summary: 'Delete an app and everything it applied', params, responses: accepted(app),
  },
});

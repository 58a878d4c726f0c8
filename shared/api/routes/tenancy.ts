import { idOf, listOf, listQuery, z } from '../schema-kit.ts';
import { created, idParams, noContent, ok, projectParams, projectRef, route, type RouteSpec } from '../route-kit.ts';
import * as t from '../tenancy-schemas.ts';

export const tenancyRoutes = {
  // Tenants (platform operator)
  'tenant.create': route({
    method: 'POST', path: '/v1/tenants', group: 'tenancy', permission: 'system.admin', resourceType: 'tenant',
    summary: 'Create a tenant with its default project and first admin', body: t.createTenantBody,
    idempotent: true, responses: created(t.createTenantResult),
  }),
  'tenant.list': route({
    method: 'GET', path: '/v1/tenants', group: 'tenancy', permission: 'system.admin', resourceType: 'tenant',
    summary: 'List tenants', query: listQuery, responses: ok(listOf(t.tenant, 'TenantList')),
  }),
  'me.get': route({
    method: 'GET', path: '/v1/me', group: 'tenancy', permission: 'tenant.member', resourceType: 'user',
    summary: 'The caller, its tenant and roles', systemAllowed: true, responses: ok(t.me),
  }),
  // Users and API keys
  'user.create': route({
    method: 'POST', path: '/v1/users', group: 'tenancy', permission: 'tenant.admin', resourceType: 'user',
    summary: 'Add a user to the tenant', body: t.createUserBody, idempotent: true, responses: created(t.user),
  }),
  'user.list': route({
    method: 'GET', path: '/v1/users', group: 'tenancy', permission: 'tenant.member', resourceType: 'user',
    summary: 'List the tenant\'s users', query: listQuery, responses: ok(listOf(t.user, 'UserList')),
  }),
  'user.get': route({
    method: 'GET', path: '/v1/users/{id}', group: 'tenancy', permission: 'tenant.member', resourceType: 'user',
    summary: 'Get a user', params: idParams('user'), responses: ok(t.user),
  }),
  'user.delete': route({
    method: 'DELETE', path: '/v1/users/{id}', group: 'tenancy', permission: 'tenant.admin', resourceType: 'user',
    summary: 'Remove a user, its API keys and project memberships', params: idParams('user'), responses: noContent,
  }),
  'apikey.create': route({
    method: 'POST', path: '/v1/users/{id}/apikeys', group: 'tenancy', permission: 'tenant.member', resourceType: 'apikey',
    summary: 'Issue an API key (for yourself, or any user as tenant.admin); the key is shown only here',
    params: idParams('user'), body: t.createApiKeyBody, idempotent: true, responses: created(t.createdApiKey),
  }),
  'apikey.list': route({
    method: 'GET', path: '/v1/apikeys', group: 'tenancy', permission: 'tenant.member', resourceType: 'apikey',
    summary: 'List API keys (your own; all of the tenant\'s for a tenant.admin)', query: listQuery,
    responses: ok(listOf(t.apiKey, 'ApiKeyList')),
  }),
  'apikey.delete': route({
    method: 'DELETE', path: '/v1/apikeys/{id}', group: 'tenancy', permission: 'tenant.member', resourceType: 'apikey',
    summary: 'Revoke an API key at once', params: idParams('apiKey'), responses: noContent,
  }),
  // Teams
  'team.create': route({
    method: 'POST', path: '/v1/teams', group: 'tenancy', permission: 'tenant.admin', resourceType: 'team',
    summary: 'Create a team', body: t.teamBody, idempotent: true, responses: created(t.team),
  }),
  'team.list': route({
    method: 'GET', path: '/v1/teams', group: 'tenancy', permission: 'tenant.member', resourceType: 'team',
    summary: 'List teams', query: listQuery, responses: ok(listOf(t.team, 'TeamList')),
  }),
  'team.get': route({
    method: 'GET', path: '/v1/teams/{id}', group: 'tenancy', permission: 'tenant.member', resourceType: 'team',
    summary: 'Get a team', params: idParams('team'), responses: ok(t.team),
  }),
  'team.replace': route({
    method: 'PUT', path: '/v1/teams/{id}', group: 'tenancy', permission: 'tenant.admin', resourceType: 'team',
    summary: 'Replace a team\'s name and members', params: idParams('team'), body: t.teamBody, responses: ok(t.team),
  }),
  'team.delete': route({
    method: 'DELETE', path: '/v1/teams/{id}', group: 'tenancy', permission: 'tenant.admin', resourceType: 'team',
    summary: 'Delete a team', params: idParams('team'), responses: noContent,
  }),
  // Projects and members
  'project.create': route({
    method: 'POST', path: '/v1/projects', group: 'projects', permission: 'tenant.admin', resourceType: 'project',
    summary: 'Create a project', body: t.createProjectBody, idempotent: true, responses: created(t.project),
  }),
  'project.list': route({
    method: 'GET', path: '/v1/projects', group: 'projects', permission: 'tenant.member', resourceType: 'project',
    summary: 'List the projects the caller can see', query: listQuery, responses: ok(listOf(t.project, 'ProjectList')),
  }),
  'project.get': route({
    method: 'GET', path: '/v1/projects/{p}', group: 'projects', permission: 'project.viewer', resourceType: 'project',
    summary: 'Get a project', params: projectParams, responses: ok(t.project),
  }),
  'project.update': route({
    method: 'PATCH', path: '/v1/projects/{p}', group: 'projects', permission: 'project.admin', resourceType: 'project',
    summary: 'Rename or describe a project', params: projectParams, body: t.updateProjectBody, responses: ok(t.project),
  }),
  'project.delete': route({
    method: 'DELETE', path: '/v1/projects/{p}', group: 'projects', permission: 'tenant.admin', resourceType: 'project',
    summary: 'Delete a project (not `default`)', params: projectParams, responses: noContent,
  }),
  'member.list': route({
    method: 'GET', path: '/v1/projects/{p}/members', group: 'projects', permission: 'project.viewer', resourceType: 'member',
    summary: 'List project members', params: projectParams, query: listQuery,
    responses: ok(listOf(t.projectMember, 'ProjectMemberList')),
  }),
  'member.put': route({
    method: 'PUT', path: '/v1/projects/{p}/members/{userId}', group: 'projects', permission: 'project.admin',
    resourceType: 'member', summary: 'Give a user a project role',
    params: z.strictObject({ p: projectRef, userId: idOf('user') }), body: t.putMemberBody, responses: ok(t.projectMember),
  }),
  'member.delete': route({
    method: 'DELETE', path: '/v1/projects/{p}/members/{userId}', group: 'projects', permission: 'project.admin',
    resourceType: 'member', summary: 'Remove a user from a project',
    params: z.strictObject({ p: projectRef, userId: idOf('user') }), responses: noContent,
  }),
} satisfies Record<string, RouteSpec>;

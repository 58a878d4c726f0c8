import * as z from 'zod';
import { preferences } from './preferences.ts';
import { idOf, listOf, listQuery } from '../api/schema-kit.ts';
import { created, featureRoutes, idParams, noContent, ok, projectParams, projectRef } from '../api/route-kit.ts';
import * as t from './schemas.ts';

/** Tenants, users, API keys, teams, projects and project members (API.md "Tenancy"). */
export const tenancyRoutes = featureRoutes('tenancy', {
  // Tenants (platform operator)
  'tenant.create': {
    method: 'POST', path: '/v1/tenants', permission: 'system.admin', resourceType: 'tenant',
    summary: 'Create a tenant with its default project and first admin', body: t.createTenantBody,
    idempotent: true, responses: created(t.createTenantResult),
  },
  'tenant.list': {
    method: 'GET', path: '/v1/tenants', permission: 'system.admin', resourceType: 'tenant',
    summary: 'List tenants', query: listQuery, responses: ok(listOf(t.tenant, 'TenantList')),
  },
  'me.get': {
    method: 'GET', path: '/v1/me', permission: 'tenant.member', resourceType: 'user',
    summary: 'The caller, its tenant and roles', systemAllowed: true, responses: ok(t.me),
  },
  'me.preferences.get': {
    method: 'GET', path: '/v1/me/preferences', permission: 'tenant.member', resourceType: 'user',
    summary: 'The caller\'s console preferences (default: Cluster Mode for tenant admins, App Mode for everyone else)', systemAllowed: true, responses: ok(preferences),
  },
  'me.preferences.put': {
    method: 'PUT', path: '/v1/me/preferences', permission: 'tenant.member', resourceType: 'user',
    summary: 'Set the caller\'s console preferences (the console\'s App/Cluster Mode switch)', systemAllowed: true, body: preferences, responses: ok(preferences),
  },
  // Users and API keys
  'user.create': {
    method: 'POST', path: '/v1/users', permission: 'tenant.admin', resourceType: 'user',
    summary: 'Add a user to the tenant', body: t.createUserBody, idempotent: true, responses: created(t.user),
  },
  'user.list': {
    method: 'GET', path: '/v1/users', permission: 'tenant.member', resourceType: 'user',
    summary: 'List the tenant\'s users', query: listQuery, responses: ok(listOf(t.user, 'UserList')),
  },
  'user.get': {
    method: 'GET', path: '/v1/users/{id}', permission: 'tenant.member', resourceType: 'user',
    summary: 'Get a user', params: idParams('user'), responses: ok(t.user),
  },
  'user.delete': {
    method: 'DELETE', path: '/v1/users/{id}', permission: 'tenant.admin', resourceType: 'user',
    summary: 'Remove a user, its API keys and project memberships', params: idParams('user'), responses: noContent,
  },
  'apikey.create': {
    method: 'POST', path: '/v1/users/{id}/apikeys', permission: 'tenant.member', resourceType: 'apikey',
    summary: 'Issue an API key (for yourself, or any user as tenant.admin); the key is shown only here',
    params: idParams('user'), body: t.createApiKeyBody, idempotent: true, responses: created(t.createdApiKey),
  },
  'apikey.list': {
    method: 'GET', path: '/v1/apikeys', permission: 'tenant.member', resourceType: 'apikey',
    summary: 'List API keys (your own; all of the tenant\'s for a tenant.admin)', query: listQuery,
    responses: ok(listOf(t.apiKey, 'ApiKeyList')),
  },
  'apikey.delete': {
    method: 'DELETE', path: '/v1/apikeys/{id}', permission: 'tenant.member', resourceType: 'apikey',
    summary: 'Revoke an API key at once', params: idParams('apiKey'), responses: noContent,
  },
  // Teams
  'team.create': {
    method: 'POST', path: '/v1/teams', permission: 'tenant.admin', resourceType: 'team',
    summary: 'Create a team', body: t.teamBody, idempotent: true, responses: created(t.team),
  },
  'team.list': {
    method: 'GET', path: '/v1/teams', permission: 'tenant.member', resourceType: 'team',
    summary: 'List teams', query: listQuery, responses: ok(listOf(t.team, 'TeamList')),
  },
  'team.get': {
    method: 'GET', path: '/v1/teams/{id}', permission: 'tenant.member', resourceType: 'team',
    summary: 'Get a team', params: idParams('team'), responses: ok(t.team),
  },
  'team.replace': {
    method: 'PUT', path: '/v1/teams/{id}', permission: 'tenant.admin', resourceType: 'team',
    summary: 'Replace a team\'s name and members', params: idParams('team'), body: t.teamBody, responses: ok(t.team),
  },
  'team.delete': {
    method: 'DELETE', path: '/v1/teams/{id}', permission: 'tenant.admin', resourceType: 'team',
    summary: 'Delete a team', params: idParams('team'), responses: noContent,
  },
  // Projects and members
  'project.create': {
    method: 'POST', path: '/v1/projects', permission: 'tenant.admin', resourceType: 'project',
    summary: 'Create a project', body: t.createProjectBody, idempotent: true, responses: created(t.project),
    // One TransactWriteItems (project, name, the caller's guards, the audit entry): nothing to read first.
    guardsOnly: true,
  },
  'project.list': {
    method: 'GET', path: '/v1/projects', permission: 'tenant.member', resourceType: 'project',
    summary: 'List the projects the caller can see', query: listQuery, responses: ok(listOf(t.project, 'ProjectList')),
  },
  'project.get': {
    method: 'GET', path: '/v1/projects/{p}', permission: 'project.viewer', resourceType: 'project',
    summary: 'Get a project', params: projectParams, responses: ok(t.project),
  },
  'project.update': {
    method: 'PATCH', path: '/v1/projects/{p}', permission: 'project.admin', resourceType: 'project',
    summary: 'Rename or describe a project', params: projectParams, body: t.updateProjectBody, responses: ok(t.project),
  },
  'project.delete': {
    method: 'DELETE', path: '/v1/projects/{p}', permission: 'tenant.admin', resourceType: 'project',
    summary: 'Delete a project (not `default`)', params: projectParams, responses: noContent,
  },
  'member.list': {
    method: 'GET', path: '/v1/projects/{p}/members', permission: 'project.viewer', resourceType: 'member',
    summary: 'List project members', params: projectParams, query: listQuery,
    responses: ok(listOf(t.projectMember, 'ProjectMemberList')),
  },
  'member.put': {
    method: 'PUT', path: '/v1/projects/{p}/members/{userId}', permission: 'project.admin',
    resourceType: 'member', summary: 'Give a user a project role',
    params: z.strictObject({ p: projectRef, userId: idOf('user') }), body: t.putMemberBody, responses: ok(t.projectMember),
  },
  'member.delete': {
    method: 'DELETE', path: '/v1/projects/{p}/members/{userId}', permission: 'project.admin',
    resourceType: 'member', summary: 'Remove a user from a project',
    params: z.strictObject({ p: projectRef, userId: idOf('user') }), responses: noContent,
  },
});

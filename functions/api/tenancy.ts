import { createApiHandler } from '#shared/http/api-handler.ts';
import { mapPage } from '#shared/store/pagination.ts';
import { requireTenant } from '#shared/auth/permissions.ts';
import { tenancyRoutes } from '#shared/tenancy/routes.ts';
import { createTenant, getTenant, listTenants, toTenant } from '#shared/tenancy/tenants.ts';
import { createUser, deleteUser, getUser, listUsers, toUser } from '#shared/tenancy/users.ts';
import { assertCanIssueKey, createApiKey, deleteApiKey, listApiKeys, toApiKey } from '#shared/tenancy/api-keys.ts';
import { createTeam, deleteTeam, getTeam, listTeams, replaceTeam, toTeam } from '#shared/tenancy/teams.ts';
import { createProject, deleteProject, listVisibleProjects, toProject, updateProject } from '#shared/tenancy/projects.ts';
import { preferencesOf, putPreferences } from '#shared/tenancy/preferences.ts';
import { deleteMember, listMembers, listUserMemberships, putMember, toMember } from '#shared/tenancy/members.ts';

export const handler = createApiHandler(tenancyRoutes, {
  'tenant.create': async ({ tx, body }) => {
    const created = await createTenant(tx, body);
    return { status: 201, body: { tenant: toTenant(created.tenant), admin: created.admin }, etag: created.tenant.version, resourceId: created.tenant.id };
  },
  'tenant.list': async ({ store, query }) => ({ status: 200, body: mapPage(await listTenants(store, query), toTenant) }),

  'me.get': async ({ store, principal }) => {
    // The caller's user item was read (consistently) when the request was authenticated.
    const [tenant, memberships] = principal.tenantId
      ? await Promise.all([getTenant(store, principal.tenantId), listUserMemberships(store, principal.tenantId, principal.userId)])
      : [undefined, []];
    return {
      status: 200,
      body: {
        user: toUser(principal.user!),
        tenant: tenant ? toTenant(tenant) : null,
        roles: [principal.role],
        projectRoles: memberships.map((m) => ({ projectId: m.projectId, role: m.role })),
      },
    };
  },

  'me.preferences.get': async ({ principal }) => ({ status: 200, body: preferencesOf(principal) }),
  'me.preferences.put': async ({ tx, principal, body }) => ({ status: 200, body: await putPreferences(tx, principal, body), resourceId: principal.userId }),

  'user.create': async ({ tx, principal, body }) => {
    const user = await createUser(tx, requireTenant(principal), body);
    return { status: 201, body: toUser(user), etag: user.version, resourceId: user.id };
  },
  'user.list': async ({ store, principal, query }) => ({ status: 200, body: mapPage(await listUsers(store, requireTenant(principal), query), toUser) }),
  'user.get': async ({ store, principal, params }) => {
    const user = await getUser(store, requireTenant(principal), params.id);
    return { status: 200, body: toUser(user), etag: user.version };
  },
  'user.delete': async ({ tx, principal, params, ifMatch }) => {
    await deleteUser(tx, requireTenant(principal), params.id, principal.userId, ifMatch);
    return { status: 204, resourceId: params.id };
  },

  'apikey.create': async ({ tx, principal, params, body }) => {
    const tenantId = requireTenant(principal);
    assertCanIssueKey({ userId: principal.userId, isAdmin: principal.role === 'tenant.admin' }, params.id);
    const key = await createApiKey(tx, { tenantId, userId: params.id }, body);
    return { status: 201, body: key, etag: key.version, resourceId: key.id };
  },
  'apikey.list': async ({ store, principal, query }) => {
    const tenantId = requireTenant(principal);
    const scope = principal.role === 'tenant.admin' ? { tenantId } : { tenantId, userId: principal.userId };
    return { status: 200, body: mapPage(await listApiKeys(store, scope, query), toApiKey) };
  },
  'apikey.delete': async ({ tx, principal, params, ifMatch }) => {
    const tenantId = requireTenant(principal);
    await deleteApiKey(tx, { tenantId, userId: principal.userId, isAdmin: principal.role === 'tenant.admin' }, params.id, ifMatch);
    return { status: 204, resourceId: params.id };
  },

  'team.create': async ({ tx, principal, body }) => {
    const team = await createTeam(tx, requireTenant(principal), body);
    return { status: 201, body: toTeam(team), etag: team.version, resourceId: team.id };
  },
  'team.list': async ({ store, principal, query }) => ({ status: 200, body: mapPage(await listTeams(store, requireTenant(principal), query), toTeam) }),
  'team.get': async ({ store, principal, params }) => {
    const team = await getTeam(store, requireTenant(principal), params.id);
    return { status: 200, body: toTeam(team), etag: team.version };
  },
  'team.replace': async ({ tx, principal, params, body, ifMatch }) => {
    const team = await replaceTeam(tx, requireTenant(principal), params.id, body, ifMatch);
    return { status: 200, body: toTeam(team), etag: team.version, resourceId: team.id };
  },
  'team.delete': async ({ tx, principal, params, ifMatch }) => {
    await deleteTeam(tx, requireTenant(principal), params.id, ifMatch);
    return { status: 204, resourceId: params.id };
  },

  'project.create': async ({ tx, principal, body }) => {
    const project = await createProject(tx, requireTenant(principal), body);
    return { status: 201, body: toProject(project), etag: project.version, resourceId: project.id };
  },
  'project.list': async ({ store, principal, query }) => {
    const tenantId = requireTenant(principal);
    return { status: 200, body: mapPage(await listVisibleProjects(store, { ...principal, tenantId }, query), toProject) };
  },
  'project.get': async ({ project }) => ({ status: 200, body: toProject(project.project), etag: project.project.version }),
  'project.update': async ({ tx, principal, project, body, ifMatch }) => {
    const updated = await updateProject(tx, requireTenant(principal), project.project, body, ifMatch);
    return { status: 200, body: toProject(updated), etag: updated.version, resourceId: updated.id };
  },
  'project.delete': async ({ tx, principal, project, ifMatch }) => {
    await deleteProject(tx, requireTenant(principal), project.project, ifMatch);
    return { status: 204, resourceId: project.project.id };
  },
  'member.list': async ({ store, principal, project, query }) => ({
    status: 200,
    body: mapPage(await listMembers(store, requireTenant(principal), project.project.id, query), toMember),
  }),
  'member.put': async ({ tx, principal, project, params, body, ifMatch }) => {
    const member = await putMember(tx, requireTenant(principal), project.project, params.userId, body.role, ifMatch);
    return { status: 200, body: toMember(member), etag: member.version, resourceId: params.userId };
  },
  'member.delete': async ({ tx, principal, project, params, ifMatch }) => {
    await deleteMember(tx, requireTenant(principal), project.project, params.userId, ifMatch);
    return { status: 204, resourceId: params.userId };
  },
});

import { createApiHandler } from '../../shared/http/api-handler.ts';
import { mapPage } from '../../shared/store/pagination.ts';
import { requireTenant } from '../../shared/auth/permissions.ts';
import { createTenant, getTenant, listTenants, toTenant } from '../../shared/tenancy/tenants.ts';
import { createUser, deleteUser, getUser, listUsers, toUser } from '../../shared/tenancy/users.ts';
import { assertCanIssueKey, createApiKey, deleteApiKey, listApiKeys, toApiKey } from '../../shared/tenancy/api-keys.ts';
import { createTeam, deleteTeam, getTeam, listTeams, replaceTeam, toTeam } from '../../shared/tenancy/teams.ts';
import { listUserMemberships } from '../../shared/tenancy/members.ts';

export const handler = createApiHandler('tenancy', {
  'tenant.create': async ({ store, body }) => {
    const created = await createTenant(store, body);
    return {
      status: 201,
      body: { tenant: toTenant(created.tenant), admin: created.admin },
      etag: created.tenant.version,
      resourceId: created.tenant.id,
    };
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
        user: toUser(principal.user),
        tenant: tenant ? toTenant(tenant) : null,
        roles: [principal.role],
        projectRoles: memberships.map((m) => ({ projectId: m.projectId, role: m.role })),
      },
    };
  },

  'user.create': async ({ store, principal, body }) => {
    const user = await createUser(store, requireTenant(principal), body);
    return { status: 201, body: toUser(user), etag: user.version, resourceId: user.id };
  },
  'user.list': async ({ store, principal, query }) => ({
    status: 200,
    body: mapPage(await listUsers(store, requireTenant(principal), query), toUser),
  }),
  'user.get': async ({ store, principal, params }) => {
    const user = await getUser(store, requireTenant(principal), params.id);
    return { status: 200, body: toUser(user), etag: user.version };
  },
  'user.delete': async ({ store, principal, params }) => {
    await deleteUser(store, requireTenant(principal), params.id, principal.userId);
    return { status: 204 };
  },

  'apikey.create': async ({ store, principal, params, body }) => {
    const tenantId = requireTenant(principal);
    assertCanIssueKey({ userId: principal.userId, isAdmin: principal.role === 'tenant.admin' }, params.id);
    const key = await createApiKey(store, { tenantId, userId: params.id }, body);
    return { status: 201, body: key, etag: key.version, resourceId: key.id };
  },
  'apikey.list': async ({ store, principal, query }) => {
    const tenantId = requireTenant(principal);
    const scope = principal.role === 'tenant.admin' ? { tenantId } : { tenantId, userId: principal.userId };
    return { status: 200, body: mapPage(await listApiKeys(store, scope, query), toApiKey) };
  },
  'apikey.delete': async ({ store, principal, params }) => {
    const tenantId = requireTenant(principal);
    await deleteApiKey(store, { tenantId, userId: principal.userId, isAdmin: principal.role === 'tenant.admin' }, params.id);
    return { status: 204 };
  },

  'team.create': async ({ store, principal, body }) => {
    const team = await createTeam(store, requireTenant(principal), body);
    return { status: 201, body: toTeam(team), etag: team.version, resourceId: team.id };
  },
  'team.list': async ({ store, principal, query }) => ({
    status: 200,
    body: mapPage(await listTeams(store, requireTenant(principal), query), toTeam),
  }),
  'team.get': async ({ store, principal, params }) => {
    const team = await getTeam(store, requireTenant(principal), params.id);
    return { status: 200, body: toTeam(team), etag: team.version };
  },
  'team.replace': async ({ store, principal, params, body, ifMatch }) => {
    const team = await replaceTeam(store, requireTenant(principal), params.id, body, ifMatch);
    return { status: 200, body: toTeam(team), etag: team.version };
  },
  'team.delete': async ({ store, principal, params, ifMatch }) => {
    await deleteTeam(store, requireTenant(principal), params.id, ifMatch);
    return { status: 204 };
  },
});


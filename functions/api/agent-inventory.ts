import { createApiHandler } from '#shared/http/api-handler.ts';
import { mapPage } from '#shared/store/pagination.ts';
import { requireTenant } from '#shared/auth/permissions.ts';
import { agentInventoryRoutes } from '#shared/agents/routes.ts';
import {
  createRegistrationToken,
  deleteAgent,
  getAgent,
  getRegistrationToken,
  listAgents,
  listRegistrationTokens,
  revokeRegistrationToken,
  toAgent,
  toRegistrationToken,
} from '#shared/agents/agents.ts';

export const handler = createApiHandler(agentInventoryRoutes, {
  'registrationtoken.create': async ({ tx, principal, project, body }) => {
    const { item, token } = await createRegistrationToken(tx, requireTenant(principal), project.project.id, body);
    return { status: 201, body: { ...toRegistrationToken(item), token }, resourceId: item.id };
  },
  'registrationtoken.list': async ({ store, principal, project, query }) => ({
    status: 200,
    body: mapPage(await listRegistrationTokens(store, requireTenant(principal), project.project.id, query), toRegistrationToken),
  }),
  'registrationtoken.get': async ({ store, principal, project, params }) => ({
    status: 200,
    body: toRegistrationToken(await getRegistrationToken(store, requireTenant(principal), project.project.id, params.id)),
  }),
  'registrationtoken.delete': async ({ tx, principal, project, params }) => {
    await revokeRegistrationToken(tx, requireTenant(principal), project.project.id, params.id);
    return { status: 204, resourceId: params.id };
  },
  'edgehost.list': async ({ store, principal, project, query }) => ({
    status: 200,
    body: mapPage(await listAgents(store, requireTenant(principal), project.project.id, 'edge', query), (a) => toAgent(a)),
  }),
  'edgehost.get': async ({ store, principal, project, params }) => ({
    status: 200,
    body: toAgent(await getAgent(store, requireTenant(principal), project.project.id, params.id, 'edge')),
  }),
  'edgehost.delete': async ({ tx, principal, project, params }) => {
    await deleteAgent(tx, requireTenant(principal), project.project.id, params.id, 'edge');
    return { status: 204, resourceId: params.id };
  },
  'gateway.list': async ({ store, principal, project, query }) => ({
    status: 200,
    body: mapPage(await listAgents(store, requireTenant(principal), project.project.id, 'gateway', query), (a) => toAgent(a)),
  }),
  'gateway.get': async ({ store, principal, project, params }) => ({
    status: 200,
    body: toAgent(await getAgent(store, requireTenant(principal), project.project.id, params.id, 'gateway')),
  }),
  'gateway.delete': async ({ tx, principal, project, params }) => {
    await deleteAgent(tx, requireTenant(principal), project.project.id, params.id, 'gateway');
    return { status: 204, resourceId: params.id };
  },
});

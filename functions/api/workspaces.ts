import { createApiHandler } from '#shared/http/api-handler.ts';
import { mapPage } from '#shared/store/pagination.ts';
import { requireTenant } from '#shared/auth/permissions.ts';
import { workspaceRoutes } from '#shared/workspaces/routes.ts';
import { createWorkspace, deleteWorkspace, getWorkspace, listWorkspaces, patchWorkspace, toWorkspace, workspaceKubeconfig } from '#shared/workspaces/workspaces.ts';

const accepted = (ws: Parameters<typeof toWorkspace>[0]) => ({ status: 202, body: toWorkspace(ws), etag: ws.version, resourceId: ws.id });

export const handler = createApiHandler(workspaceRoutes, {
  'workspace.create': async ({ tx, principal, project, body, requestId }) => {
    const { workspace } = await createWorkspace(tx, { tenantId: requireTenant(principal), projectId: project.project.id }, body, { requestId });
    return accepted(workspace);
  },
  'workspace.list': async ({ store, principal, project, query }) => ({
    status: 200,
    body: mapPage(await listWorkspaces(store, { tenantId: requireTenant(principal), projectId: project.project.id }, query), toWorkspace),
  }),
  'workspace.get': async ({ store, principal, project, params }) => {
    const ws = await getWorkspace(store, { tenantId: requireTenant(principal), projectId: project.project.id }, params.id);
    return { status: 200, body: toWorkspace(ws), etag: ws.version };
  },
  'workspace.update': async ({ tx, store, principal, project, params, body, ifMatch, requestId }) => {
    const ws = await getWorkspace(store, { tenantId: requireTenant(principal), projectId: project.project.id }, params.id);
    return accepted(await patchWorkspace(tx, ws, body, { ifMatch, requestId }));
  },
  'workspace.delete': async ({ tx, store, principal, project, params, ifMatch, requestId }) => {
    const ws = await getWorkspace(store, { tenantId: requireTenant(principal), projectId: project.project.id }, params.id);
    return accepted(await deleteWorkspace(tx, ws, { ifMatch, requestId }));
  },
  'workspace.kubeconfig': async ({ store, principal, project, params, query }) => {
    const ws = await getWorkspace(store, { tenantId: requireTenant(principal), projectId: project.project.id }, params.id);
    return { status: 200, raw: { contentType: 'application/yaml', text: await workspaceKubeconfig(store, ws, principal.userId, query.clusterId) } };
  },
});

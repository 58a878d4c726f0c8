import { createApiHandler } from '../../shared/http/api-handler.ts';
import { mapPage } from '../../shared/store/pagination.ts';
import { requireTenant } from '../../shared/auth/permissions.ts';
import {
  createProject,
  deleteProject,
  listVisibleProjects,
  toProject,
  updateProject,
} from '../../shared/tenancy/projects.ts';
import { deleteMember, listMembers, putMember, toMember } from '../../shared/tenancy/members.ts';

export const handler = createApiHandler('projects', {
  'project.create': async ({ store, principal, body }) => {
    const project = await createProject(store, requireTenant(principal), body);
    return { status: 201, body: toProject(project), etag: project.version, resourceId: project.id };
  },
  'project.list': async ({ store, principal, query }) => {
    const tenantId = requireTenant(principal);
    const result = await listVisibleProjects(store, { ...principal, tenantId }, query);
    return { status: 200, body: mapPage(result, toProject) };
  },
  'project.get': async ({ project }) => ({
    status: 200,
    body: toProject(project.project),
    etag: project.project.version,
  }),
  'project.update': async ({ store, principal, project, body, ifMatch }) => {
    const updated = await updateProject(
      store,
      requireTenant(principal),
      project.project,
      body,
      ifMatch ?? project.project.version,
    );
    return { status: 200, body: toProject(updated), etag: updated.version, resourceId: updated.id };
  },
  'project.delete': async ({ store, principal, project, ifMatch }) => {
    await deleteProject(store, requireTenant(principal), project.project, ifMatch);
    return { status: 204, resourceId: project.project.id };
  },
  'member.list': async ({ store, principal, project, query }) => {
    const result = await listMembers(store, requireTenant(principal), project.project.id, query);
    return { status: 200, body: mapPage(result, toMember) };
  },
  'member.put': async ({ store, principal, project, params, body }) => {
    const member = await putMember(store, requireTenant(principal), project.project, params.userId, body.role);
    return { status: 200, body: toMember(member), etag: member.version, resourceId: params.userId };
  },
  'member.delete': async ({ store, principal, project, params }) => {
    await deleteMember(store, requireTenant(principal), project.project, params.userId);
    return { status: 204, resourceId: params.userId };
  },
});

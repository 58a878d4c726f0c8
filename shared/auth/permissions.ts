import { ApiError, notFound } from '../errors.ts';
import type { Permission } from '../api/route-kit.ts';
import type { Principal } from './principal.ts';
import type { ProjectItem, MemberItem } from '../tenancy/items.ts';

export type ProjectRole = MemberItem['role'];

const projectRank: Record<ProjectRole, number> = { 'project.viewer': 1, 'project.editor': 2, 'project.admin': 3 };

export interface ProjectAccess {
  project: ProjectItem;
  role: ProjectRole;
}

/** The tenant of a tenant-scoped call; the platform operator has none. */
export function requireTenant(principal: Principal): string {
  if (!principal.tenantId) throw new ApiError('forbidden', 'this route is for tenant users; the system admin has no tenant');
  return principal.tenantId;
}

/**
 * Checks the principal against a route's permission. Project permissions need the
 * caller's access to the project (resolved by the caller of this function): no
 * access at all reads as not_found, too little as forbidden.
 */
export function checkPermission(
  principal: Principal,
  permission: Exclude<Permission, 'public'>,
  options: { systemAllowed?: boolean; projectAccess?: ProjectAccess | null } = {},
): void {
  if (principal.role === 'system.admin') {
    if (permission === 'system.admin' || options.systemAllowed) return;
    throw new ApiError('forbidden', 'the system admin acts outside tenants; use a tenant user\'s API key');
  }
  switch (permission) {
    case 'system.admin':
      throw new ApiError('forbidden', 'requires system.admin');
    case 'tenant.admin':
      if (principal.role !== 'tenant.admin') throw new ApiError('forbidden', 'requires tenant.admin');
      return;
    case 'tenant.member':
      return;
    default: {
      const access = options.projectAccess;
      if (!access) throw notFound('project');
      if (projectRank[access.role] < projectRank[permission]) {
        throw new ApiError('forbidden', `requires ${permission} in project ${access.project.name}; you are ${access.role}`);
      }
    }
  }
}

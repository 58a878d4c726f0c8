/**
 * What a workspace asks of one cluster, as Kubernetes objects. Pure: the same
 * workspace and members always render the same objects.
 *
 * Ownership is written on the objects themselves, so removing only what the workspace
 * created needs no record of what it applied: a workspace's namespaces, quotas, limit
 * ranges and role bindings carry `palette.dev/workspace: <id>`; a person's
 * ServiceAccount in `palette-system` is shared by every workspace that binds them on
 * that cluster, and carries one `ws.palette.dev/<id>` label per such workspace.
 */
import type { KubeObject } from '../kube/kube-client.ts';
import type { NamespaceResources, WorkspaceNamespace, WorkspaceRole } from './items.ts';

export const SYSTEM_NAMESPACE = 'palette-system';
export const OWNER_LABEL = 'palette.dev/workspace';
export const USER_LABEL = 'palette.dev/user';
export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'palette' };
export const QUOTA_NAME = 'palette-workspace';
export const LIMIT_RANGE_NAME = 'palette-workspace-defaults';

/** The label a workspace puts on each ServiceAccount it uses. */
export const sharedLabel = (workspaceId: string) => `ws.palette.dev/${workspaceId}`;
/** The field manager of a workspace: its server-side applies own its fields and no other workspace's. */
export const fieldManagerOf = (workspaceId: string) => `palette-workspace-${workspaceId.toLowerCase().replace('_', '-')}`;
/** A person's ServiceAccount on every cluster: `usr_01J…` → `usr-01j…` (a DNS label). */
export const serviceAccountOf = (userId: string) => userId.toLowerCase().replace('_', '-');
export const roleBindingName = (role: WorkspaceRole) => `palette-workspace-${role}`;

/** A role binding with its subjects resolved to users (teams by their members). */
export interface ResolvedBinding {
  namespace: string;
  role: WorkspaceRole;
  userIds: string[];
}

export interface DesiredWorkspace {
  workspaceId: string;
  namespaces: WorkspaceNamespace[];
  bindings: ResolvedBinding[];
}

export interface RenderedWorkspace {
  /** Created when missing (then owned), never changed when a namespace already existed. */
  namespaces: KubeObject[];
  serviceAccounts: KubeObject[];
  /** Quotas, limit ranges and role bindings, applied in the namespaces. */
  objects: KubeObject[];
}

const cpuQuantity = (cores: number) => (Number.isInteger(cores) ? String(cores) : `${Math.round(cores * 1000)}m`);

/** The namespace's quota, as requests (what the scheduler reserves). */
export function quotaHard(resources: NamespaceResources): Record<string, string> {
  return {
    'requests.cpu': cpuQuantity(resources.cpu),
    'requests.memory': `${resources.memoryMiB}Mi`,
    'requests.storage': `${resources.storageGiB}Gi`,
    ...(resources.gpu !== undefined ? { 'requests.nvidia.com/gpu': String(resources.gpu) } : {}),
  };
}

/**
 * Defaults for containers that ask for nothing: under a requests quota Kubernetes
 * refuses a pod that does not say what it requests, so `kubectl create deployment`
 * would fail without them. Small, and never above the quota itself.
 */
function defaultRequests(resources: NamespaceResources): Record<string, string> {
  return { cpu: `${Math.min(100, Math.round(resources.cpu * 1000))}m`, memory: `${Math.min(128, resources.memoryMiB)}Mi` };
}

export function renderWorkspace(desired: DesiredWorkspace): RenderedWorkspace {
  const owned = { ...MANAGED_BY, [OWNER_LABEL]: desired.workspaceId };
  const namespaces = desired.namespaces.map((ns) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns.name, labels: owned } }));
  const users = [...new Set(desired.bindings.flatMap((b) => b.userIds))].sort();
  const serviceAccounts = users.map((userId) => ({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: serviceAccountOf(userId), namespace: SYSTEM_NAMESPACE, labels: { ...MANAGED_BY, [USER_LABEL]: userId, [sharedLabel(desired.workspaceId)]: 'true' } },
  }));
  const objects: KubeObject[] = [];
  for (const ns of desired.namespaces) {
    if (!ns.resources) continue;
    objects.push(
      { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: QUOTA_NAME, namespace: ns.name, labels: owned }, spec: { hard: quotaHard(ns.resources) } },
      {
        apiVersion: 'v1',
        kind: 'LimitRange',
        metadata: { name: LIMIT_RANGE_NAME, namespace: ns.name, labels: owned },
        spec: { limits: [{ type: 'Container', defaultRequest: defaultRequests(ns.resources) }] },
      },
    );
  }
  // One RoleBinding per namespace and role, whatever number of entries name them.
  const byRole = new Map<string, { namespace: string; role: WorkspaceRole; users: Set<string> }>();
  for (const binding of desired.bindings) {
    const key = `${binding.namespace}/${binding.role}`;
    const entry = byRole.get(key) ?? { namespace: binding.namespace, role: binding.role, users: new Set<string>() };
    binding.userIds.forEach((u) => entry.users.add(u));
    byRole.set(key, entry);
  }
  for (const { namespace, role, users: members } of [...byRole.values()].sort((a, b) => `${a.namespace}/${a.role}`.localeCompare(`${b.namespace}/${b.role}`))) {
    if (members.size === 0) continue;
    objects.push({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: roleBindingName(role), namespace, labels: owned },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
      subjects: [...members].sort().map((userId) => ({ kind: 'ServiceAccount', name: serviceAccountOf(userId), namespace: SYSTEM_NAMESPACE })),
    });
  }
  return { namespaces, serviceAccounts, objects };
}

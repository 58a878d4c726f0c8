/** Workspaces (API.md "Workspaces"): namespaces with quotas and role bindings applied across a set of host clusters. */
import * as z from 'zod';
import { displayName, idOf, resourceFields } from '../api/schema-kit.ts';
import { workspaceClusterPhases, workspacePhases, workspaceRoles } from './items.ts';

export const MAX_WORKSPACE_CLUSTERS = 20;
export const MAX_WORKSPACE_NAMESPACES = 50;
export const MAX_WORKSPACE_BINDINGS = 100;
export const MAX_BINDING_SUBJECTS = 100;

/** Namespaces a cluster has of its own, or the platform keeps for itself: never a workspace's. */
const RESERVED_NAMESPACE = /^(default|palette-system|kube-.*)$/;

export const namespaceName = z
  .string()
  .max(63, 'must be at most 63 characters (a DNS label)')
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS label: lowercase letters, digits and hyphens, starting and ending with a letter or digit')
  .refine((name) => !RESERVED_NAMESPACE.test(name), 'default, kube-* and palette-system are not a workspace\'s to take');

const namespaceResources = z
  .strictObject({
    cpu: z.number().positive().max(100_000).multipleOf(0.001, 'at most three decimals (millicores)').meta({ description: 'CPU cores (requests.cpu)' }),
    memoryMiB: z.number().int().min(1).max(100_000_000).meta({ description: 'requests.memory' }),
    storageGiB: z.number().int().min(0).max(1_000_000).meta({ description: 'requests.storage of all claims' }),
    gpu: z.number().int().min(0).max(10_000).optional().meta({ description: 'requests.nvidia.com/gpu' }),
  })
  .meta({ id: 'WorkspaceNamespaceResources', description: 'the namespace\'s ResourceQuota on every member cluster' });

const workspaceNamespace = z.strictObject({ name: namespaceName, resources: namespaceResources.optional() }).meta({ id: 'WorkspaceNamespace' });

const subject = z
  .strictObject({ kind: z.enum(['user', 'team']), id: z.string().min(1).max(64) })
  .superRefine((s, ctx) => {
    const pattern = s.kind === 'user' ? /^usr_[0-9A-HJKMNP-TV-Z]{26}$/ : /^team_[0-9A-HJKMNP-TV-Z]{26}$/;
    if (!pattern.test(s.id)) ctx.addIssue({ code: 'custom', path: ['id'], message: `must be a ${s.kind} id` });
  })
  .meta({ id: 'WorkspaceSubject' });

const roleBinding = z
  .strictObject({
    namespace: namespaceName,
    role: z.enum(workspaceRoles).meta({ description: 'the Kubernetes ClusterRole bound in the namespace' }),
    subjects: z.array(subject).min(1).max(MAX_BINDING_SUBJECTS),
  })
  .meta({ id: 'WorkspaceRoleBinding' });

const uniqueBy = <T>(items: T[], key: (item: T) => string, ctx: z.RefinementCtx, field: string, what: string) => {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const k = key(item);
    if (seen.has(k)) ctx.addIssue({ code: 'custom', path: [field, i], message: `${what} ${k} is listed twice` });
    seen.add(k);
  });
};

const specFields = {
  clusterIds: z.array(idOf('cluster')).min(1).max(MAX_WORKSPACE_CLUSTERS).meta({ description: 'the host clusters of the project the workspace spans' }),
  namespaces: z.array(workspaceNamespace).min(1).max(MAX_WORKSPACE_NAMESPACES),
  roleBindings: z.array(roleBinding).max(MAX_WORKSPACE_BINDINGS),
};

type SpecInput = { clusterIds?: string[]; namespaces?: Array<{ name: string }>; roleBindings?: Array<{ namespace: string; role: string; subjects: Array<{ kind: string; id: string }> }> };

/** Rules across fields; a binding's namespace is checked against the namespaces the workspace will have (`namespaces` of the body, or `known`). */
export function checkWorkspaceSpec(body: SpecInput, ctx: z.RefinementCtx, known?: string[]) {
  if (body.clusterIds) uniqueBy(body.clusterIds, (id) => id, ctx, 'clusterIds', 'cluster');
  if (body.namespaces) uniqueBy(body.namespaces, (n) => n.name, ctx, 'namespaces', 'namespace');
  const namespaces = body.namespaces?.map((n) => n.name) ?? known;
  body.roleBindings?.forEach((binding, i) => {
    if (namespaces && !namespaces.includes(binding.namespace)) {
      ctx.addIssue({ code: 'custom', path: ['roleBindings', i, 'namespace'], message: `${binding.namespace} is not one of the workspace's namespaces` });
    }
    uniqueBy(binding.subjects, (s) => `${s.kind} ${s.id}`, ctx, `roleBindings.${i}.subjects`, 'subject');
  });
}

export const createWorkspaceBody = z
  .strictObject({ name: displayName, ...specFields, roleBindings: specFields.roleBindings.default([]) })
  .superRefine((body, ctx) => checkWorkspaceSpec(body, ctx))
  .meta({ id: 'CreateWorkspace' });
export type CreateWorkspaceInput = z.infer<typeof createWorkspaceBody>;

export const patchWorkspaceBody = z
  .strictObject({ name: displayName.optional(), clusterIds: specFields.clusterIds.optional(), namespaces: specFields.namespaces.optional(), roleBindings: specFields.roleBindings.optional() })
  .refine((body) => Object.keys(body).length > 0, 'name at least one field to change')
  .meta({ id: 'PatchWorkspace', description: 'any of the create fields; a removed namespace or cluster is cleaned up' });
export type PatchWorkspaceInput = z.infer<typeof patchWorkspaceBody>;

export const workspace = z
  .object({
    id: idOf('workspace'),
    name: z.string(),
    projectId: idOf('project'),
    clusterIds: z.array(idOf('cluster')),
    namespaces: z.array(z.object({ name: z.string(), resources: z.object({ cpu: z.number(), memoryMiB: z.number(), storageGiB: z.number(), gpu: z.number().optional() }).optional() })),
    roleBindings: z.array(z.object({ namespace: z.string(), role: z.enum(workspaceRoles), subjects: z.array(z.object({ kind: z.enum(['user', 'team']), id: z.string() })) })),
    status: z.object({
      phase: z.enum(workspacePhases),
      message: z.string().optional(),
      clusters: z.array(z.object({ clusterId: idOf('cluster'), phase: z.enum(workspaceClusterPhases), message: z.string().optional() })),
    }),
    operationId: idOf('operation').optional(),
    ...resourceFields,
  })
  .meta({ id: 'Workspace' });

export const kubeconfigQuery = z.strictObject({ clusterId: idOf('cluster').meta({ description: 'one of the workspace\'s clusters' }) });

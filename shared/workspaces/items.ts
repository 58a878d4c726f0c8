import * as z from 'zod';
import { resourceBase } from '../store/items.ts';

export const workspacePhases = ['Applying', 'Ready', 'Degraded', 'Deleting', 'Error'] as const;
export type WorkspacePhase = (typeof workspacePhases)[number];
export const workspaceClusterPhases = ['Pending', 'Applying', 'Ready', 'Error', 'Removing'] as const;
export const workspaceRoles = ['admin', 'edit', 'view'] as const;
export type WorkspaceRole = (typeof workspaceRoles)[number];

export const namespaceResourcesItem = z.object({ cpu: z.number(), memoryMiB: z.number(), storageGiB: z.number(), gpu: z.number().optional() });
export type NamespaceResources = z.infer<typeof namespaceResourcesItem>;

export const workspaceNamespaceItem = z.object({ name: z.string(), resources: namespaceResourcesItem.optional() });
export type WorkspaceNamespace = z.infer<typeof workspaceNamespaceItem>;

export const subjectItem = z.object({ kind: z.enum(['user', 'team']), id: z.string() });
export type WorkspaceSubject = z.infer<typeof subjectItem>;

export const roleBindingItem = z.object({ namespace: z.string(), role: z.enum(workspaceRoles), subjects: z.array(subjectItem) });
export type WorkspaceRoleBinding = z.infer<typeof roleBindingItem>;

export const clusterStatusItem = z.object({ clusterId: z.string(), phase: z.enum(workspaceClusterPhases), message: z.string().optional() });
export type WorkspaceClusterStatus = z.infer<typeof clusterStatusItem>;

/** What a workspace asks of each member cluster (the create fields a PATCH may change). */
export const workspaceSpecItem = z.object({
  clusterIds: z.array(z.string()),
  namespaces: z.array(workspaceNamespaceItem),
  roleBindings: z.array(roleBindingItem),
});
export type WorkspaceSpec = z.infer<typeof workspaceSpecItem>;

export const workspaceItem = z.object({
  type: z.literal('workspace'),
  ...resourceBase,
  tenantId: z.string(),
  projectId: z.string(),
  ...workspaceSpecItem.shape,
  status: z.object({ phase: z.enum(workspacePhases), message: z.string().optional(), clusters: z.array(clusterStatusItem) }),
  /** Clusters a PATCH took out whose objects are still to be removed (kept until a run removes them). */
  leaving: z.array(z.string()).default([]),
  /** Set while a delete runs (and after one failed, so a retried delete takes over). */
  deleting: z.boolean().optional(),
  operationId: z.string().optional(),
});
export type WorkspaceItem = z.infer<typeof workspaceItem>;

export const workspaceNameItem = z.object({ id: z.string() });

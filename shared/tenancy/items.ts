import * as z from 'zod';
import { resourceBase } from '../store/items.ts';

/** The tenancy items as stored; every field any writer sets is declared here. */
export const tenantItem = z.object({ type: z.literal('tenant'), ...resourceBase });
export type TenantItem = z.infer<typeof tenantItem>;

export const userRoles = ['system.admin', 'tenant.admin', 'tenant.member'] as const;

export const userItem = z.object({
  type: z.literal('user'),
  ...resourceBase,
  tenantId: z.string().nullable(),
  email: z.string(),
  role: z.enum(userRoles),
  /** What the console shows the user first (absent: the default for their role). */
  preferences: z.object({ mode: z.enum(['app', 'cluster']) }).optional(),
});
export type UserItem = z.infer<typeof userItem>;

/** Stored twice: by secret hash (authorizer lookup) and by id (lists, revoke). */
export const apiKeyItem = z.object({
  type: z.literal('apikey'),
  ...resourceBase,
  tenantId: z.string().nullable(),
  userId: z.string(),
  hash: z.string(),
  expiresAt: z.string().nullable(),
});
export type ApiKeyItem = z.infer<typeof apiKeyItem>;

export const teamItem = z.object({ type: z.literal('team'), ...resourceBase, memberIds: z.array(z.string()) });
export type TeamItem = z.infer<typeof teamItem>;

export const projectItem = z.object({
  type: z.literal('project'),
  ...resourceBase,
  description: z.string(),
  /** Host clusters in the project (kept by their create and delete); a project with any cannot go. */
  hostClusters: z.number().int().default(0),
  /** Virtual clusters in the project (kept by their create and delete); a project with any cannot go either. */
  virtualClusters: z.number().int().default(0),
  /** Set once a delete has begun: new resources are refused and a repeated delete finishes the job. */
  deleting: z.boolean().optional(),
});
export type ProjectItem = z.infer<typeof projectItem>;

export const projectRoles = ['project.admin', 'project.editor', 'project.viewer'] as const;

export const memberItem = z.object({
  type: z.literal('member'),
  ...resourceBase,
  projectId: z.string(),
  userId: z.string(),
  role: z.enum(projectRoles),
});
export type MemberItem = z.infer<typeof memberItem>;

/** Name and email reservations: point from a unique name to the id that holds it. */
export const projectNameItem = z.object({ projectId: z.string() });
export const tenantNameItem = z.object({ tenantId: z.string() });
export const emailItem = z.object({ userId: z.string() });

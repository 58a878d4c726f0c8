import { z } from 'zod';

/**
 * What the table holds, validated on every read so a malformed item fails loudly at
 * the boundary instead of leaking into a response. Key attributes live in keys.ts.
 */
const base = {
  id: z.string(),
  name: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  version: z.number().int().min(1),
};

export const tenantItem = z.object({ type: z.literal('tenant'), ...base });
export type TenantItem = z.infer<typeof tenantItem>;

export const userItem = z.object({
  type: z.literal('user'),
  ...base,
  tenantId: z.string().nullable(),
  email: z.string(),
  role: z.enum(['system.admin', 'tenant.admin', 'tenant.member']),
});
export type UserItem = z.infer<typeof userItem>;

/** Stored twice: by secret hash (authorizer lookup) and by id (lists, revoke). */
export const apiKeyItem = z.object({
  type: z.literal('apikey'),
  ...base,
  tenantId: z.string().nullable(),
  userId: z.string(),
  hash: z.string(),
  expiresAt: z.string().nullable(),
});
export type ApiKeyItem = z.infer<typeof apiKeyItem>;

export const teamItem = z.object({ type: z.literal('team'), ...base, memberIds: z.array(z.string()) });
export type TeamItem = z.infer<typeof teamItem>;

export const projectItem = z.object({ type: z.literal('project'), ...base, description: z.string() });
export type ProjectItem = z.infer<typeof projectItem>;

export const memberItem = z.object({
  type: z.literal('member'),
  ...base,
  projectId: z.string(),
  userId: z.string(),
  role: z.enum(['project.admin', 'project.editor', 'project.viewer']),
});
export type MemberItem = z.infer<typeof memberItem>;

export const operationItem = z.object({
  type: z.literal('operation'),
  id: z.string(),
  kind: z.string(),
  resourceId: z.string(),
  resourceType: z.string(),
  tenantId: z.string(),
  projectId: z.string().nullable(),
  status: z.enum(['Running', 'Succeeded', 'Failed']),
  startedAt: z.string(),
  endedAt: z.string().optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  executionArn: z.string().optional(),
  version: z.number().int().min(1),
});
export type OperationItem = z.infer<typeof operationItem>;

export const cloudAccountItem = z.object({
  type: z.literal('cloudaccount'),
  ...base,
  projectId: z.string(),
  provider: z.enum(['aws', 'sim']),
  aws: z.object({ roleArn: z.string(), externalId: z.string() }).optional(),
  sim: z.object({ provisionSeconds: z.number().int(), failProvisioning: z.boolean() }).optional(),
});
export type CloudAccountItem = z.infer<typeof cloudAccountItem>;

/** Reserves a cloud account name in a project. */
export const cloudAccountNameItem = z.object({ type: z.literal('cloudaccountname'), cloudAccountId: z.string() });

const profileLayerItem = z.object({
  type: z.enum(['os', 'k8s', 'cni', 'csi', 'addon']),
  name: z.string(),
  version: z.string(),
  values: z.string().optional(),
  manifests: z.array(z.object({ name: z.string(), content: z.string() })).optional(),
});

const profileVariableItem = z.object({
  name: z.string(),
  format: z.enum(['string', 'number', 'boolean']),
  default: z.union([z.string(), z.number(), z.boolean()]).optional(),
  required: z.boolean(),
  regex: z.string().optional(),
});

/**
 * One version of a cluster profile, immutable. `type` and `version` are taken by the
 * item type and the resource version, so the profile's own are `profileType` and
 * `profileVersion`.
 */
export const clusterProfileItem = z.object({
  type: z.literal('clusterprofile'),
  ...base,
  projectId: z.string(),
  profileVersion: z.string(),
  profileType: z.enum(['infra', 'add-on', 'full']),
  cloud: z.enum(['eks', 'sim', 'all']),
  /** The k8s layer's version; null for add-on profiles. */
  kubernetesVersion: z.string().nullable(),
  layers: z.array(profileLayerItem),
  variables: z.array(profileVariableItem),
});
export type ClusterProfileItem = z.infer<typeof clusterProfileItem>;

/** Reserves a (name, version) of a cluster profile in a project. */
export const clusterProfileNameItem = z.object({
  type: z.literal('clusterprofilename'),
  clusterProfileId: z.string(),
  name: z.string(),
  profileVersion: z.string(),
});

export const auditItem = z.object({
  type: z.literal('audit'),
  id: z.string(),
  at: z.string(),
  tenantId: z.string(),
  actor: z.string(),
  action: z.string(),
  resourceType: z.string(),
  resourceId: z.string().nullable(),
  projectId: z.string().nullable(),
  result: z.enum(['success', 'denied', 'failed']),
  statusCode: z.number().int(),
  requestId: z.string(),
});
export type AuditItem = z.infer<typeof auditItem>;

/** Drops the table's key attributes and the item type so only the resource is left. */
export function withoutKeys<T extends Record<string, unknown>>(item: T) {
  const { pk, sk, gsi1pk, gsi1sk, gsi2pk, gsi2sk, ttl, type, hash, ...rest } = item as Record<string, unknown>;
  void pk; void sk; void gsi1pk; void gsi1sk; void gsi2pk; void gsi2sk; void ttl; void type; void hash;
  return rest as Omit<T, 'pk' | 'sk' | 'gsi1pk' | 'gsi1sk' | 'gsi2pk' | 'gsi2sk' | 'ttl' | 'type' | 'hash'>;
}

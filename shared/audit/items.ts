import * as z from 'zod';

export const auditResults = ['success', 'denied', 'failed'] as const;

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
  result: z.enum(auditResults),
  statusCode: z.number().int(),
  requestId: z.string(),
  /** What a person reading the log must know beyond the action (a forced delete: what may be left in the cloud). */
  detail: z.string().optional(),
});
export type AuditItem = z.infer<typeof auditItem>;

import { idOf, timestamp, z } from '../api/schema-kit.ts';
import { auditResults } from './items.ts';

export const auditEntry = z
  .object({
    id: idOf('audit'),
    at: timestamp,
    actor: z.string().meta({ description: 'user id, `anonymous` for unauthenticated calls, `platform` for scheduled jobs, `webhook:<id>` for deliveries' }),
    action: z.string(),
    resourceType: z.string(),
    resourceId: z.string().nullable(),
    projectId: z.string().nullable().optional(),
    result: z.enum(auditResults),
    statusCode: z.number().int(),
    requestId: z.string(),
  })
  .meta({ id: 'AuditEntry' });

export const auditQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(25).meta({ type: 'integer' }),
  cursor: z.string().min(1).max(2048).optional(),
  projectId: idOf('project').optional(),
  actor: z.string().max(64).optional(),
  action: z.string().max(64).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});

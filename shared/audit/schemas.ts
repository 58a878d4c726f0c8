import * as z from 'zod';
import { idOf, pageQuery, timestamp } from '../api/schema-kit.ts';
import { auditResults } from './items.ts';

export const auditEntry = z
  .object({
    id: idOf('audit'),
    at: timestamp,
    actor: z.string().meta({ description: 'user id, `anonymous` for unauthenticated calls, `platform:<job>` for scheduled jobs (e.g. `platform:enforce-quotas`), `webhook:<id>` for deliveries' }),
    action: z.string(),
    resourceType: z.string(),
    resourceId: z.string().nullable(),
    projectId: z.string().nullable().optional(),
    result: z.enum(auditResults),
    statusCode: z.number().int(),
    requestId: z.string(),
    detail: z.string().optional().meta({ description: 'e.g. a forced delete: what may be left in the cloud' }),
  })
  .meta({ id: 'AuditEntry' });

export const auditQuery = z.strictObject({
  ...pageQuery,
  projectId: idOf('project').optional(),
  actor: z.string().max(64).optional(),
  action: z.string().max(64).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});

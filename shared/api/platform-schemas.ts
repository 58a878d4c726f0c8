import { idOf, timestamp, z } from './schema-kit.ts';

export const operation = z
  .object({
    id: idOf('operation'),
    kind: z.string(),
    resourceId: z.string(),
    resourceType: z.string(),
    projectId: idOf('project').nullable(),
    status: z.enum(['Running', 'Succeeded', 'Failed']),
    startedAt: timestamp,
    endedAt: timestamp.optional(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
    version: z.number().int(),
  })
  .openapi('Operation');

export const auditEntry = z
  .object({
    id: idOf('audit'),
    at: timestamp,
    actor: z.string().openapi({ description: 'user id, or `anonymous` for unauthenticated calls' }),
    action: z.string(),
    resourceType: z.string(),
    resourceId: z.string().nullable(),
    projectId: z.string().nullable().optional(),
    result: z.enum(['success', 'denied', 'failed']),
    statusCode: z.number().int(),
    requestId: z.string(),
  })
  .openapi('AuditEntry');

export const auditQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(25).openapi({ type: 'integer' }),
  cursor: z.string().min(1).max(2048).optional(),
  projectId: idOf('project').optional(),
  actor: z.string().max(64).optional(),
  action: z.string().max(64).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});

export const health = z.object({ status: z.literal('ok') }).openapi('Health');

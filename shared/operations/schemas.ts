import * as z from 'zod';
import { idOf, timestamp } from '../api/schema-kit.ts';
import { operationStatuses } from './items.ts';

export const operation = z
  .object({
    id: idOf('operation'),
    kind: z.string(),
    resourceId: z.string(),
    resourceType: z.string(),
    projectId: idOf('project').nullable(),
    status: z.enum(operationStatuses),
    startedAt: timestamp,
    endedAt: timestamp.optional(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
    version: z.number().int(),
  })
  .meta({ id: 'Operation' });

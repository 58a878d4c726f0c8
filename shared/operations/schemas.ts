import * as z from 'zod';
import { idOf, pageQuery, timestamp } from '../api/schema-kit.ts';
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
    steps: z
      .array(
        z.object({
          name: z.string(),
          status: z.enum(['Pending', 'Running', 'Succeeded', 'Failed', 'Skipped']),
          startedAt: timestamp.optional(),
          endedAt: timestamp.optional(),
          message: z.string().optional(),
        }),
      )
      .meta({ description: "the workflow's steps in order, known from the start" }),
    progress: z.object({ done: z.number().int(), total: z.number().int() }),
    version: z.number().int(),
  })
  .meta({ id: 'Operation' });

export const operationListQuery = z.strictObject({
  ...pageQuery,
  resourceId: z.string().min(1).max(64).optional(),
  status: z.enum(operationStatuses).optional(),
});

import * as z from 'zod';

export const operationStatuses = ['Running', 'Succeeded', 'Failed'] as const;

export const operationItem = z.object({
  type: z.literal('operation'),
  id: z.string(),
  kind: z.string(),
  resourceId: z.string(),
  resourceType: z.string(),
  tenantId: z.string(),
  projectId: z.string().nullable(),
  status: z.enum(operationStatuses),
  startedAt: z.string(),
  endedAt: z.string().optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  /** The workflow that carries it out (registry name). */
  workflow: z.string().optional(),
  /** When each of the workflow's steps finished (progress.ts). */
  stepsDone: z.record(z.string(), z.string()).optional(),
  /** What the running step last reported. */
  stepMessage: z.string().optional(),
  /** The API request that started it, so logs and traces can be followed across. */
  requestId: z.string().optional(),
  version: z.number().int().min(1),
});
export type OperationItem = z.infer<typeof operationItem>;

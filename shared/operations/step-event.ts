/**
 * What every Task of every workflow family hands its step Lambda (workflows/kit.ts):
 * `{ step, args: <the execution state>, target? }`, where the state is the
 * WorkflowInput the API started it with plus what earlier steps put there. Each
 * family adds its own context and state fields.
 */
import * as z from 'zod';

export function stepEventSchema<
  const S extends readonly [string, ...string[]],
  const T extends readonly [string, ...string[]],
  C extends z.ZodType,
  E extends z.ZodRawShape,
>(family: { resourceType: string; steps: S; targets: T; context: C; state: E }) {
  return z.object({
    step: z.enum(family.steps),
    args: z
      .object({
        operationId: z.string().min(1),
        workflow: z.string(),
        requestId: z.string().optional(),
        resource: z.object({ type: z.literal(family.resourceType), tenantId: z.string().min(1), projectId: z.string().min(1), id: z.string().min(1) }),
        pollSeconds: z.number(),
        maxPolls: z.number(),
        context: family.context,
        /** Set by a Catch: what failed, for the failure path's markError. */
        error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).optional(),
        ...family.state,
      })
      .loose(),
    target: z.enum(family.targets).optional(),
  });
}

/**
 * The step Lambda of a workflow family, the same for every family: its input checked
 * by Powertools' parser (a malformed event fails as ParseError, which the state
 * machine catches), the invocation traced and annotated with the operation and the
 * request that started it, and errors named as the state machine's Retry and Catch
 * read them (TransientProviderError, PermanentProviderError).
 */
import { parser } from '@aws-lambda-powertools/parser/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type * as z from 'zod';
import { withInvocationLogger } from '../observability/logger.ts';
import { captureLambdaHandler, tracer } from '../observability/tracer.ts';
import { storeFromEnv, type Store } from '../store/client.ts';
import { workflowFamilies, workflowSteps, type WorkflowFamily } from '#workflows/names.ts';
import { asStepErrors } from './step-errors.ts';
import { recordStepDone } from './progress.ts';

type StepEvent = {
  step: string;
  target?: string | undefined;
  args: { operationId: string; workflow?: string | undefined; requestId?: string | undefined; resource: { tenantId: string } };
};

/**
 * The steps whose end the handler writes: not finish (it ends the operation) nor
 * markError (the failure path), nor the step just before finish, whose end the
 * finish's own write tells (the operation ends a moment later); a step that recorded
 * its end in its own transaction says so with `stepRecorded`.
 */
function needsRecord(event: StepEvent): boolean {
  if (event.step === 'finish' || event.step === 'markError') return false;
  const steps = (event.args.workflow && workflowSteps[event.args.workflow]) || [];
  return !(steps.at(-1) === 'finish' && steps.at(-2) === event.step);
}

/** A poll is done once it reports its target; any other step once it returns. */
const pollReachedTarget = (event: StepEvent, result: Record<string, unknown>) => event.target === undefined || result.phase === event.target;

/**
 * `stepDone` says when a step's call completes its step of the operation (a loop's
 * step is done on its last round); finish ends the operation itself and markError
 * is the failure path, so neither is recorded here.
 */
export function createStepHandler<S extends z.ZodType<StepEvent>>(
  family: WorkflowFamily,
  schema: S,
  run: (store: Store, event: z.infer<S>) => Promise<Record<string, unknown>>,
  stepDone: (event: z.infer<S>, result: Record<string, unknown>) => boolean = pollReachedTarget,
) {
  const steps = middy<z.infer<S>, Record<string, unknown>>()
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(parser({ schema }))
    .handler((event) => {
      tracer.putAnnotation('operationId', event.args.operationId);
      if (event.args.requestId) tracer.putAnnotation('requestId', event.args.requestId);
      return asStepErrors(async () => {
        const store = storeFromEnv();
        const result = await run(store, event);
        if (needsRecord(event) && result.stepRecorded !== true && stepDone(event, result)) {
          await recordStepDone(store, event.args.resource.tenantId, event.args.operationId, event.step);
        }
        return result;
      });
    });
  return withInvocationLogger(workflowFamilies[family].stepLambda.functionName, (event: z.infer<S>, context: Context) => steps(event, context));
}

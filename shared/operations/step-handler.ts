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
import { workflowFamilies, type WorkflowFamily } from '#workflows/names.ts';
import { asStepErrors } from './step-errors.ts';

type StepEvent = { args: { operationId: string; requestId?: string | undefined } };

export function createStepHandler<S extends z.ZodType<StepEvent>>(
  family: WorkflowFamily,
  schema: S,
  run: (store: Store, event: z.infer<S>) => Promise<Record<string, unknown>>,
) {
  const steps = middy<z.infer<S>, Record<string, unknown>>()
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(parser({ schema }))
    .handler((event) => {
      tracer.putAnnotation('operationId', event.args.operationId);
      if (event.args.requestId) tracer.putAnnotation('requestId', event.args.requestId);
      return asStepErrors(() => run(storeFromEnv(), event));
    });
  return withInvocationLogger(workflowFamilies[family].stepLambda.functionName, (event: z.infer<S>, context: Context) => steps(event, context));
}

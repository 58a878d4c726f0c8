import { parser } from '@aws-lambda-powertools/parser/middleware';
import middy from '@middy/core';
import { runHostClusterStep, stepEventSchema, type StepEvent } from '#shared/host-clusters/steps.ts';
import { asStepErrors } from '#shared/operations/step-errors.ts';
import { withInvocationLogger } from '#shared/observability/logger.ts';
import { captureLambdaHandler, tracer } from '#shared/observability/tracer.ts';
import { storeFromEnv } from '#shared/store/client.ts';
import { workflowFamilies } from '#workflows/names.ts';

/**
 * The host-cluster workflows' step Lambda. Its input is checked by Powertools' parser
 * (a malformed event fails as ParseError, which the state machine catches); errors
 * keep their names (TransientProviderError, PermanentProviderError) so the state
 * machine's Retry and Catch can tell them apart.
 */
const steps = middy<StepEvent, Record<string, unknown>>()
  .use(captureLambdaHandler(tracer, { captureResponse: false }))
  .use(parser({ schema: stepEventSchema }))
  .handler((event) => {
    tracer.putAnnotation('operationId', event.args.operationId);
    if (event.args.requestId) tracer.putAnnotation('requestId', event.args.requestId);
    return asStepErrors(() => runHostClusterStep(storeFromEnv(), event));
  });

export const handler = withInvocationLogger(workflowFamilies['host-cluster'].stepLambda.functionName, (event: StepEvent, context) => steps(event, context));

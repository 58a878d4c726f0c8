import { parser } from '@aws-lambda-powertools/parser/middleware';
import middy from '@middy/core';
import { runAppStep, appStepEvent, type AppStepEvent } from '#shared/apps/steps.ts';
import { asStepErrors } from '#shared/operations/step-errors.ts';
import { withInvocationLogger } from '#shared/observability/logger.ts';
import { captureLambdaHandler, tracer } from '#shared/observability/tracer.ts';
import { storeFromEnv } from '#shared/store/client.ts';
import { workflowFamilies } from '#workflows/names.ts';

/** The app workflows' step Lambda: parsed input, error names the state machine's Retry and Catch read. */
const steps = middy<AppStepEvent, Record<string, unknown>>()
  .use(captureLambdaHandler(tracer, { captureResponse: false }))
  .use(parser({ schema: appStepEvent }))
  .handler((event) => {
    tracer.putAnnotation('operationId', event.args.operationId);
    if (event.args.requestId) tracer.putAnnotation('requestId', event.args.requestId);
    return asStepErrors(() => runAppStep(storeFromEnv(), event));
  });

export const handler = withInvocationLogger(workflowFamilies['app'].stepLambda.functionName, (event: AppStepEvent, context) => steps(event, context));

import { parser } from '@aws-lambda-powertools/parser/middleware';
import middy from '@middy/core';
import { runVirtualClusterStep, virtualClusterStepEvent, type VirtualClusterStepEvent } from '#shared/virtual-clusters/steps.ts';
import { asStepErrors } from '#shared/operations/step-errors.ts';
import { withInvocationLogger } from '#shared/observability/logger.ts';
import { captureLambdaHandler, tracer } from '#shared/observability/tracer.ts';
import { storeFromEnv } from '#shared/store/client.ts';
import { workflowFamilies } from '#workflows/names.ts';

/** The virtual-cluster workflows' step Lambda: parsed input, error names the state machine's Retry and Catch read. */
const steps = middy<VirtualClusterStepEvent, Record<string, unknown>>()
  .use(captureLambdaHandler(tracer, { captureResponse: false }))
  .use(parser({ schema: virtualClusterStepEvent }))
  .handler((event) => {
    tracer.putAnnotation('operationId', event.args.operationId);
    if (event.args.requestId) tracer.putAnnotation('requestId', event.args.requestId);
    return asStepErrors(() => runVirtualClusterStep(storeFromEnv(), event));
  });

export const handler = withInvocationLogger(workflowFamilies['virtual-cluster'].stepLambda.functionName, (event: VirtualClusterStepEvent, context) => steps(event, context));

import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import middy from '@middy/core';
import { runHostClusterStep, stepEventSchema, type StepEvent } from '../../shared/clusters/host-cluster-steps.ts';
import { logger } from '../../shared/http/logger.ts';
import { storeFromEnv } from '../../shared/store/client.ts';

/**
 * The host-cluster workflows' step Lambda. Its input is checked by Powertools' parser
 * (a malformed event fails as ParseError, which the state machine catches); errors
 * keep their names (TransientProviderError, PermanentProviderError) so the state
 * machine's Retry and Catch can tell them apart.
 */
export const handler = middy<StepEvent, Record<string, unknown>>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(parser({ schema: stepEventSchema }))
  .handler((event) => runHostClusterStep(storeFromEnv(), event));

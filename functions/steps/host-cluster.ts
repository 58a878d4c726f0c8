import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { runHostClusterStep, type StepEvent } from '../../shared/clusters/host-cluster-steps.ts';
import { logger } from '../../shared/http/logger.ts';
import { storeFromEnv } from '../../shared/store/client.ts';

/**
 * The host-cluster workflows' step Lambda. Errors keep their names
 * (TransientProviderError, PermanentProviderError) so the state machine's Retry and
 * Catch can tell them apart.
 */
export const handler = middy<StepEvent, Record<string, unknown>>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler((event) => runHostClusterStep(storeFromEnv(), event));

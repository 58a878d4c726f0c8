import middy from '@middy/core';
import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerWithContextResult, Context } from 'aws-lambda';
import { bearerToken, hashApiKey } from '#shared/auth/api-keys.ts';
import { principalFromKeyHash } from '#shared/auth/principal.ts';
import type { AuthorizerContext } from '#shared/http/authorizer-context.ts';
import { logger, withInvocationLogger } from '#shared/observability/logger.ts';
import { captureLambdaHandler, tracer } from '#shared/observability/tracer.ts';
import { storeFromEnv } from '#shared/store/client.ts';

type Result = APIGatewaySimpleAuthorizerWithContextResult<AuthorizerContext>;

/**
 * API Gateway REQUEST authorizer: API key → principal. It always lets the request
 * through, with an empty context for a missing or bad key, because API Gateway's own
 * deny is a bare 403; the API function answers the contract's 401 problem+json.
 */
const authorize = middy<APIGatewayRequestAuthorizerEventV2, Result, Error, Context>()
  .use(captureLambdaHandler(tracer, { captureResponse: false }))
  .handler(async (event): Promise<Result> => {
    const key = bearerToken(event.headers?.authorization ?? event.headers?.Authorization);
    if (!key) return { isAuthorized: true, context: { reason: 'missing or malformed Authorization header' } };
    const keyHash = hashApiKey(key);
    const principal = await principalFromKeyHash(storeFromEnv(), keyHash);
    if (!principal) {
      logger.info('API key refused', { keyHashPrefix: keyHash.slice(0, 8) });
      return { isAuthorized: true, context: { reason: 'unknown, revoked or expired API key' } };
    }
    return { isAuthorized: true, context: { keyHash, userId: principal.userId, tenantId: principal.tenantId ?? '', role: principal.role } };
  });

export const handler = withInvocationLogger('palette-authorizer', (event: APIGatewayRequestAuthorizerEventV2, context: Context) => authorize(event, context));

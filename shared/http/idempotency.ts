import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context } from 'aws-lambda';
import type { Store } from '../store/client.ts';
import { keys, tableDefinitionKeys } from '../store/keys.ts';

/** What identifies a create for Idempotency-Key purposes; `body` must match on replay. */
export interface IdempotentCall {
  scope: string;
  key: string;
  body: unknown;
}

export interface StoredResult {
  statusCode: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const DAY_SECONDS = 86_400;

/**
 * Powertools idempotency persisted in our one table: records live under the
 * caller's tenant's IDEMPOTENCY#<t> partition (so no one partition takes every
 * tenant's creates) with the `ttl` attribute, keyed by (caller, route, key);
 * a different body under the same key raises IdempotencyValidationError.
 */
export function createIdempotentRunner(store: Store, tenantId: string) {
  const config = new IdempotencyConfig({
    eventKeyJmesPath: '[scope, key]',
    payloadValidationJmesPath: 'body',
    expiresAfterSeconds: DAY_SECONDS,
  });
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName: store.tableName,
    keyAttr: tableDefinitionKeys.partition,
    sortKeyAttr: tableDefinitionKeys.sort,
    staticPkValue: keys.idempotencyPartition(tenantId),
    expiryAttr: tableDefinitionKeys.ttl,
    awsSdkV3Client: store.client,
  });
  // The second argument is not hashed: it is the work to do the first time.
  const run = makeIdempotent(
    async (_call: IdempotentCall, work: () => Promise<StoredResult>): Promise<StoredResult> => work(),
    { persistenceStore, config, keyPrefix: 'api', dataIndexArgument: 0 },
  );
  return (call: IdempotentCall, context: Context, work: () => Promise<StoredResult>) => {
    config.registerLambdaContext(context);
    return run(call, work);
  };
}

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { traced } from '../observability/tracer.ts';

/**
 * Where the table lives. On AWS only TABLE_NAME is set; locally DYNAMODB_ENDPOINT
 * points the same code at DynamoDB Local.
 */
export interface StoreConfig {
  tableName: string;
  endpoint?: string;
  region?: string;
}

export function storeConfigFromEnv(env: NodeJS.ProcessEnv = process.env): StoreConfig {
  const tableName = env.TABLE_NAME;
  if (!tableName) throw new Error('TABLE_NAME is not set');
  return { tableName, endpoint: env.DYNAMODB_ENDPOINT || undefined, region: env.AWS_REGION || undefined };
}

export function createDynamoClient(config: Pick<StoreConfig, 'endpoint' | 'region'>): DynamoDBClient {
  return traced(new DynamoDBClient({
    region: config.region ?? 'us-east-1',
    ...(config.endpoint
      ? { endpoint: config.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
  }));
}

export function createDocumentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

export interface Store {
  tableName: string;
  client: DynamoDBClient;
  doc: DynamoDBDocumentClient;
}

export function createStore(config: StoreConfig): Store {
  const client = createDynamoClient(config);
  return { tableName: config.tableName, client, doc: createDocumentClient(client) };
}

let fromEnv: { key: string; store: Store } | undefined;

/**
 * The process-wide store of a Lambda (or of the local runtime, which sets the same
 * env). Rebuilt if the env changes, as when a test restarts the local runtime.
 */
export function storeFromEnv(): Store {
  const config = storeConfigFromEnv();
  const key = `${config.tableName}|${config.endpoint ?? ''}|${config.region ?? ''}`;
  if (fromEnv?.key !== key) fromEnv = { key, store: createStore(config) };
  return fromEnv.store;
}

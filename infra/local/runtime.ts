import { CreateTableCommand, DescribeTableCommand, ResourceNotFoundException, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { createTableInput, tableDefinition } from '../../shared/store/table-definition.ts';
import { createStore, type Store } from '../../shared/store/client.ts';
import { startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local.ts';
import { startApiServer } from './api-server.ts';
import { seed, type SeedResult } from './seed.ts';

export interface LocalRuntimeOptions {
  port?: number;
  /** DynamoDB Local's files; ignored when `dynamoEndpoint` is given or `inMemory`. */
  dataDir?: string;
  inMemory?: boolean;
  /** Use an already running DynamoDB Local (tests share one per run). */
  dynamoEndpoint?: string;
  tableName?: string;
  adminKey?: string;
  systemKey?: string;
  log?: (line: string) => void;
}

export interface LocalRuntime {
  url: string;
  port: number;
  store: Store;
  seeded: SeedResult;
  dynamoEndpoint: string;
  stop(): Promise<void>;
}

/** Creates the table from the shared definition unless it exists (data survives restarts). */
export async function ensureTable(store: Store): Promise<void> {
  try {
    await store.client.send(new DescribeTableCommand({ TableName: store.tableName }));
    return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  try {
    await store.client.send(new CreateTableCommand(createTableInput(store.tableName)));
  } catch (error) {
    if ((error as { name?: string }).name !== 'ResourceInUseException') throw error;
  }
  await store.client.send(
    new UpdateTimeToLiveCommand({
      TableName: store.tableName,
      TimeToLiveSpecification: { AttributeName: tableDefinition.timeToLiveAttribute, Enabled: true },
    }),
  );
}

/**
 * The whole platform in one process: DynamoDB Local, the table, the seed, and the API
 * served through the same authorizer and handlers that run on Lambda. Handlers find
 * the table through the same environment variables as on AWS.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  let dynamo: DynamoDbLocal | undefined;
  const dynamoEndpoint =
    options.dynamoEndpoint ??
    (dynamo = await startDynamoDbLocal({ dataDir: options.dataDir, inMemory: options.inMemory, log: options.log })).endpoint;
  const tableName = options.tableName ?? 'palette';
  process.env.TABLE_NAME = tableName;
  process.env.DYNAMODB_ENDPOINT = dynamoEndpoint;
  process.env.AWS_REGION ??= 'us-east-1';
  const store = createStore({ tableName, endpoint: dynamoEndpoint });
  try {
    await ensureTable(store);
    const seeded = await seed(store, { adminKey: options.adminKey, systemKey: options.systemKey });
    const api = await startApiServer({ port: options.port, log: options.log });
    return {
      url: api.url,
      port: api.port,
      store,
      seeded,
      dynamoEndpoint,
      stop: async () => {
        await api.close();
        await dynamo?.stop();
      },
    };
  } catch (error) {
    await dynamo?.stop();
    throw error;
  }
}

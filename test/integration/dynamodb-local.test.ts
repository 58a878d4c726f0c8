import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  QueryCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, inject, test } from 'vitest';
import { JAVA_MISSING_MESSAGE, startDynamoDbLocal } from '#infra/local/dynamodb-local.ts';

function clientFor(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

async function createTable(client: DynamoDBClient, withGsi = false): Promise<string> {
  const name = `t-${randomUUID()}`;
  await client.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        ...(withGsi ? [{ AttributeName: 'gsi1pk', AttributeType: 'S' as const }] : []),
      ],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      ...(withGsi
        ? {
            GlobalSecondaryIndexes: [
              {
                IndexName: 'gsi1',
                KeySchema: [{ AttributeName: 'gsi1pk', KeyType: 'HASH' as const }],
                Projection: { ProjectionType: 'ALL' as const },
              },
            ],
          }
        : {}),
    }),
  );
  return name;
}

describe('the DynamoDB Local provided by global setup', () => {
  const client = clientFor(inject('dynamoEndpoint'));
  afterAll(() => client.destroy());

  test('answers ListTables', async () => {
    const out = await client.send(new ListTablesCommand({}));
    expect(Array.isArray(out.TableNames)).toBe(true);
  });

  test('creates a table with a GSI that can be queried', async () => {
    const table = await createTable(client, true);
    const described = await client.send(new DescribeTableCommand({ TableName: table }));
    expect(described.Table?.GlobalSecondaryIndexes?.map((i) => i.IndexName)).toEqual(['gsi1']);

    await client.send(
      new PutItemCommand({ TableName: table, Item: { pk: { S: 'a' }, gsi1pk: { S: 'tenant#1' } } }),
    );
    const queried = await client.send(
      new QueryCommand({
        TableName: table,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :v',
        ExpressionAttributeValues: { ':v': { S: 'tenant#1' } },
      }),
    );
    expect(queried.Items?.map((i) => i.pk?.S)).toEqual(['a']);
  });

  test('rejects a conditional PutItem the second time with ConditionalCheckFailedException', async () => {
    const table = await createTable(client);
    const put = new PutItemCommand({
      TableName: table,
      Item: { pk: { S: 'once' } },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    await client.send(put);
    await expect(client.send(put)).rejects.toBeInstanceOf(ConditionalCheckFailedException);
  });

  test('writes nothing from a TransactWriteItems when one of its conditions fails', async () => {
    const table = await createTable(client);
    await client.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'existing' } } }));

    const err = await client
      .send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName: table, Item: { pk: { S: 'new-1' } } } },
            { Put: { TableName: table, Item: { pk: { S: 'new-2' } }, ConditionExpression: 'attribute_not_exists(pk)' } },
            {
              Put: {
                TableName: table,
                Item: { pk: { S: 'existing' }, touched: { BOOL: true } },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransactionCanceledException);
    expect((err as TransactionCanceledException).CancellationReasons?.map((r) => r.Code)).toEqual([
      'None',
      'None',
      'ConditionalCheckFailed',
    ]);

    for (const pk of ['new-1', 'new-2']) {
      const got = await client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: pk } }, ConsistentRead: true }));
      expect(got.Item).toBeUndefined();
    }
    const existing = await client.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: 'existing' } }, ConsistentRead: true }),
    );
    expect(existing.Item).toEqual({ pk: { S: 'existing' } });
  });
});

describe('startDynamoDbLocal', () => {
  test('keeps a table and its items across stop and restart on the same dataDir', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'palette-ddb-'));
    try {
      const first = await startDynamoDbLocal({ dataDir });
      let table: string;
      const c1 = clientFor(first.endpoint);
      try {
        table = await createTable(c1);
        await c1.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'kept' }, n: { N: '42' } } }));
      } finally {
        c1.destroy();
        await first.stop();
      }

      const second = await startDynamoDbLocal({ dataDir });
      const c2 = clientFor(second.endpoint);
      try {
        const got = await c2.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'kept' } }, ConsistentRead: true }));
        expect(got.Item).toEqual({ pk: { S: 'kept' }, n: { N: '42' } });
      } finally {
        c2.destroy();
        await second.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 90_000);

  test('fails with a one-line Java install hint when java is not on PATH', async () => {
    const savedPath = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await expect(startDynamoDbLocal({ inMemory: true })).rejects.toThrow(JAVA_MISSING_MESSAGE);
    } finally {
      process.env.PATH = savedPath;
    }
    expect(JAVA_MISSING_MESSAGE).not.toContain('\n');
  });
});

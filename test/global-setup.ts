import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '#infra/local/dynamodb-local.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Endpoint of the in-memory DynamoDB Local shared by the whole test run. */
    dynamoEndpoint: string;
  }
}

/** Starts one in-memory DynamoDB Local for the whole run; tests read it with `inject('dynamoEndpoint')`. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const ddb = await startDynamoDbLocal({
    inMemory: true,
    log: process.env.PALETTE_DDB_LOG ? (line) => console.log(`[dynamodb-local] ${line}`) : undefined,
  });
  if (process.env.PALETTE_DDB_LOG) {
    console.log(`[dynamodb-local] started in ${Date.now() - started}ms at ${ddb.endpoint}`);
  }
  project.provide('dynamoEndpoint', ddb.endpoint);
  return async () => {
    await ddb.stop();
  };
}

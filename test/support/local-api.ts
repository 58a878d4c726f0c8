import { randomBytes } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { startLocalRuntime, type LocalRuntime, type LocalRuntimeOptions } from '#infra/local/runtime.ts';
import { keys, SYSTEM_TENANT } from '#shared/store/keys.ts';
import { getItem } from '#shared/store/table.ts';
import { clusterGroupItem } from '#shared/cluster-groups/items.ts';
import { hostClusterItem } from '#shared/host-clusters/items.ts';
import { createResponseValidator, type ResponseValidator } from './openapi-validator.ts';

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface ApiClient {
  request<T = any>(method: string, path: string, options?: { body?: unknown; rawBody?: string; headers?: Record<string, string> }): Promise<ApiResponse<T>>;
  get<T = any>(path: string, headers?: Record<string, string>): Promise<ApiResponse<T>>;
  post<T = any>(path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse<T>>;
  put<T = any>(path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse<T>>;
  patch<T = any>(path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse<T>>;
  delete<T = any>(path: string, headers?: Record<string, string>): Promise<ApiResponse<T>>;
}

/**
 * A client for the local runtime's HTTP API, as any outside caller would use it. With
 * a validator, every response it receives is held to the served OpenAPI document.
 */
export function apiClient(baseUrl: string, key?: string, validator?: ResponseValidator): ApiClient {
  const request = async (method: string, path: string, options: { body?: unknown; rawBody?: string; headers?: Record<string, string> } = {}) => {
    const headers: Record<string, string> = { ...(key ? { authorization: `Bearer ${key}` } : {}), ...options.headers };
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    if (/json/.test(response.headers.get('content-type') ?? '')) parsed = JSON.parse(text);
    validator?.check(method, `${baseUrl}${path}`, response.status, response.headers.get('content-type'), parsed);
    return { status: response.status, headers: response.headers, body: parsed as any, text };
  };
  return {
    request,
    get: (path, headers) => request('GET', path, { headers }),
    post: (path, body, headers) => request('POST', path, { body, headers }),
    put: (path, body, headers) => request('PUT', path, { body, headers }),
    patch: (path, body, headers) => request('PATCH', path, { body, headers }),
    delete: (path, headers) => request('DELETE', path, { headers }),
  };
}

export interface TestRuntime extends LocalRuntime {
  admin: ApiClient;
  system: ApiClient;
  anonymous: ApiClient;
  as(key: string): ApiClient;
  /** Every item of the table but the audit log, for "nothing was written" checks. */
  snapshot(): Promise<string[]>;
}

/**
 * The local runtime on the run's shared DynamoDB Local, with a table of its own so
 * test files run in parallel without seeing each other.
 */
export async function startTestRuntime(
  options: { simSpeed?: number; simEdgeHosts?: number; simGateway?: boolean; chartRegistry?: LocalRuntimeOptions['chartRegistry'] } = {},
): Promise<TestRuntime> {
  const runtime = await startLocalRuntime({
    simSpeed: options.simSpeed,
    // The local Helm repository (seeded as local-charts), as `npm start` serves it.
    chartRegistry: options.chartRegistry ?? true,
    simEdgeHosts: options.simEdgeHosts,
    simGateway: options.simGateway,
    dynamoEndpoint: inject('dynamoEndpoint'),
    tableName: `test-${randomBytes(6).toString('hex')}`,
  });
  // beehive's hosts are provisioned by workflows after start: tests begin once they have settled.
  await beehiveSettled(runtime);
  const document = await (await fetch(`${runtime.url}/v1/openapi.json`)).json();
  const validator = createResponseValidator(document);
  const client = (key?: string) => apiClient(runtime.url, key, validator);
  return {
    ...runtime,
    admin: client(runtime.seeded.adminKey),
    system: client(runtime.seeded.systemKey),
    anonymous: client(),
    as: client,
    snapshot: async () => {
      const items: string[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await runtime.store.doc.send(
          new ScanCommand({ TableName: runtime.store.tableName, ExclusiveStartKey: start, ConsistentRead: true }),
        );
        for (const item of page.Items ?? []) {
          if (!String(item.pk).startsWith('AUDIT#')) items.push(JSON.stringify(item, Object.keys(item).sort()));
        }
        start = page.LastEvaluatedKey;
      } while (start);
      return items.sort();
    },
  };
}

/** Waits until every seeded beehive host is Running (their create workflows have finished writing). */
async function beehiveSettled(runtime: LocalRuntime) {
  const group = await until('beehive seeded', () => getItem(runtime.store, keys.clusterGroup(SYSTEM_TENANT, 'beehive'), clusterGroupItem), (g) => !!g, 60_000);
  await until(
    'beehive hosts Running',
    () => Promise.all(group!.hostClusters.map((m) => getItem(runtime.store, keys.cluster(m.tenantId, m.projectId, m.clusterId), hostClusterItem))),
    (hosts) => hosts.every((h) => h?.status.phase === 'Running'),
    60_000,
  );
}

/** Polls `read` until `done` holds; fails with the last value after `timeoutMs`. */
export async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

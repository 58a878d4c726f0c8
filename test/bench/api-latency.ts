/**
 * API latency through the local runtime (in-memory DynamoDB Local + the local API gateway
 * running the real authorizer and Lambda handlers in process), next to the raw DynamoDB
 * call that the handler's core makes, against the same DynamoDB Local.
 *
 * Import this module only after the log level is set in the environment (run.ts does):
 * the Powertools logger reads it when the handler modules load.
 */
import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { auditPut } from '#shared/audit/audit-log.ts';
import { hashApiKey } from '#shared/auth/api-keys.ts';
import { principalFromKeyHash, principalGuards } from '#shared/auth/principal.ts';
import { startLocalRuntime } from '#infra/local/runtime.ts';
import { storeFromEnv, type Store } from '#shared/store/client.ts';
import { keys } from '#shared/store/keys.ts';
import { transact } from '#shared/store/table.ts';
import { newProjectItems } from '#shared/tenancy/projects.ts';
import { runInterleaved, runLoad, summarize, type LatencySummary } from './stats.ts';

export interface ApiBenchOptions {
  concurrencies: number[];
  /** Measured requests per scenario, by concurrency. */
  requests: Record<number, number>;
  warmup: number;
}

export interface ScenarioResult {
  endpoint: 'GET /v1/projects/{id}' | 'POST /v1/projects';
  concurrency: number;
  api: LatencySummary;
  raw: LatencySummary;
  rawCall: string;
  /**
   * POST only: the very transaction the handler commits (the project and its name, the
   * caller's key and role guards, the audit entry: 5 items) sent raw, so the ratio to it is
   * the API's own overhead, apart from what the contract makes the write carry.
   */
  rawSameWrite?: LatencySummary;
  /** DynamoDB calls the authorizer + handler made per API request, by command. */
  ddbCallsPerRequest: Record<string, number>;
  ddbCallsPerRequestTotal: number;
}

export interface ApiBenchResult {
  runtimeStartMs: number;
  scenarios: ScenarioResult[];
}

/** Counts every DynamoDB command a store's client sends (the document client shares its stack). */
function countCalls(store: Store) {
  const counts = new Map<string, number>();
  store.client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = (context.commandName ?? 'unknown').replace(/Command$/, '');
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'paletteBenchCallCounter', override: true },
  );
  return {
    reset: () => counts.clear(),
    perRequest: (requests: number) =>
      Object.fromEntries([...counts].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, v / requests])),
  };
}

async function expectStatus(res: Response, expected: number, what: string): Promise<string> {
  const text = await res.text();
  if (res.status !== expected) throw new Error(`${what}: expected HTTP ${expected}, got ${res.status}: ${text.slice(0, 500)}`);
  return text;
}

export async function benchApi(options: ApiBenchOptions, progress: (line: string) => void): Promise<ApiBenchResult> {
  const started = performance.now();
  // DynamoDB Local's output is kept (not printed) and shown if a scenario fails.
  const ddbLog: string[] = [];
  const runtime = await startLocalRuntime({
    inMemory: true,
    log: (line) => {
      ddbLog.push(line);
      if (ddbLog.length > 40) ddbLog.shift();
    },
  });
  const runtimeStartMs = performance.now() - started;
  progress(`local runtime up in ${(runtimeStartMs / 1000).toFixed(1)} s at ${runtime.url} (DynamoDB Local ${runtime.dynamoEndpoint})`);
  try {
    const adminKey = runtime.seeded.adminKey;
    if (!adminKey) throw new Error('the seed did not return the tenant admin key');
    const tenantId = runtime.seeded.tenantId;
    const auth = { authorization: `Bearer ${adminKey}` };
    const runId = Date.now().toString(36);
    let nameSeq = 0;
    const uniqueName = () => `bench-${runId}-${nameSeq++}`;

    // The handlers (and the authorizer) use the process-wide store from storeFromEnv(); the
    // runtime set its environment, and this is the same module instance the handlers import.
    const counter = countCalls(storeFromEnv());
    // The raw baseline uses the runtime's own store: another client, so it is not counted.
    const raw = runtime.store;

    const created = await fetch(`${runtime.url}/v1/projects`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: uniqueName(), description: 'read by the GET benchmark' }),
    });
    const projectId = (JSON.parse(await expectStatus(created, 201, 'POST /v1/projects (setup)')) as { id: string }).id;

    const apiGet = async () => {
      const res = await fetch(`${runtime.url}/v1/projects/${projectId}`, { headers: auth });
      await expectStatus(res, 200, 'GET /v1/projects/{id}');
    };
    const rawGet = async () => {
      const out = await raw.doc.send(
        new GetCommand({ TableName: raw.tableName, Key: keys.project(tenantId, projectId), ConsistentRead: true }),
      );
      if (!out.Item) throw new Error('raw GetItem found no project');
    };
    const apiPost = async () => {
      const res = await fetch(`${runtime.url}/v1/projects`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ name: uniqueName(), description: 'benchmark' }),
      });
      await expectStatus(res, 201, 'POST /v1/projects');
    };
    const rawPost = async () => {
      await transact(raw, newProjectItems(tenantId, { name: uniqueName(), description: 'benchmark' }).items);
    };
    const principal = await principalFromKeyHash(raw, hashApiKey(adminKey));
    if (!principal) throw new Error('the seeded admin key resolves to no principal');
    const rawPostSameWrite = async () => {
      const { project, items } = newProjectItems(tenantId, { name: uniqueName(), description: 'benchmark' });
      const audit = auditPut({ tenantId, actor: principal.userId, action: 'project.create', resourceType: 'project', resourceId: project.id, projectId: null, statusCode: 201, requestId: randomUUID() });
      await transact(raw, [...items, ...principalGuards(principal), audit]);
    };

    const scenarios: ScenarioResult[] = [];
    const endpoints = [
      { endpoint: 'GET /v1/projects/{id}', api: apiGet, raw: rawGet, rawCall: 'GetItem (ConsistentRead) of the project item' },
      { endpoint: 'POST /v1/projects', api: apiPost, raw: rawPost, rawSame: rawPostSameWrite, rawCall: 'TransactWriteItems (project + name reservation)' },
    ] as const;
    for (const e of endpoints) {
      for (const concurrency of options.concurrencies) {
        const total = options.requests[concurrency] ?? 300;
        const ops = { raw: e.raw, api: e.api, ...('rawSame' in e ? { rawSame: e.rawSame } : {}) };
        for (const op of Object.values(ops)) await runLoad(options.warmup, concurrency, op);
        counter.reset();
        const { raw: rawRun, api: apiRun, rawSame } = await runInterleaved(total, concurrency, ops as Record<'raw' | 'api' | 'rawSame', () => Promise<void>>);
        const calls = counter.perRequest(total);
        const result: ScenarioResult = {
          endpoint: e.endpoint,
          concurrency,
          api: summarize(apiRun.samples, apiRun.wallMs),
          raw: summarize(rawRun.samples, rawRun.wallMs),
          rawCall: e.rawCall,
          ...(rawSame ? { rawSameWrite: summarize(rawSame.samples, rawSame.wallMs) } : {}),
          ddbCallsPerRequest: calls,
          ddbCallsPerRequestTotal: Object.values(calls).reduce((a, b) => a + b, 0),
        };
        scenarios.push(result);
        progress(
          `${e.endpoint} c=${concurrency}: API p50 ${result.api.p50.toFixed(2)} ms, raw p50 ${result.raw.p50.toFixed(2)} ms (${total} requests each)`,
        );
      }
    }
    return { runtimeStartMs, scenarios };
  } catch (error) {
    progress(`failed; the last lines from DynamoDB Local / the local gateway:\n${ddbLog.join('\n') || '(none)'}`);
    throw error;
  } finally {
    await runtime.stop();
    // Close the SDK clients' keep-alive sockets so the process can exit.
    storeFromEnv().client.destroy();
    runtime.store.client.destroy();
  }
}

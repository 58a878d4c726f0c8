/**
 * Host-cluster creation at scale through the local runtime: N sim host clusters created
 * concurrently over the HTTP API (bounded in-flight POSTs), each driven to Running by the
 * real host-cluster-create state machine on the local Step Functions endpoint and the
 * real step Lambda (sim provider with provisionSeconds 0 and a high PALETTE_SIM_SPEED, so
 * the provider itself takes no time: what is measured is the orchestration).
 *
 * Reported: wall time until the API lists all N as Running, clusters/s, per-cluster
 * latency (POST sent → execution ended), state transitions per create (StateEntered
 * events of each execution's history), DynamoDB calls per cluster (counted on the
 * handlers' store client; the polling's own calls are taken out), and beside it the raw
 * cost of the create's DynamoDB writes: the same write sequence (TransactWriteItems of
 * cluster + name reservation + operation, the audit PutItem, the cluster PutItem and
 * the operation UpdateItem of the finish step) replayed N times at the same concurrency
 * against the same DynamoDB Local.
 *
 * It runs in a child process (runHostClusterBench, child-process.ts).
 */
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { childMain, runInChild } from './child-process.ts';
import { runLoad, summarize, type LatencySummary } from './stats.ts';

export interface ClusterBenchOptions {
  clusters: number;
  /** POSTs in flight at once; also the baseline's concurrency. */
  concurrency: number;
  /** Clusters created (and waited for) before measuring, not counted. */
  warmup: number;
  simSpeed: number;
  /** Pause between two passes of the poller over the Running list. */
  pollIntervalMs: number;
  /** Give up after this long (the whole part should stay well under 90 s). */
  timeoutMs: number;
}

export interface ClusterBenchResult {
  options: ClusterBenchOptions;
  runtimeStartMs: number;
  /** First POST sent → the poller saw all N clusters in `?phase=Running`. */
  wallMs: number;
  /** First POST sent → the last execution's stopDate (no polling granularity). */
  lastExecutionEndMs: number;
  clustersPerSecond: number;
  /** POST /clusters alone (202 Accepted). */
  post: LatencySummary;
  /** Per cluster: POST sent → its execution ended (SUCCEEDED). */
  cluster: LatencySummary;
  statesEnteredPerCreate: { mean: number; min: number; max: number; path: string[] };
  historyEventsPerCreate: number;
  executionsSucceeded: number;
  /** DynamoDB calls per cluster by command, the poller's own calls taken out. */
  ddbCallsPerCluster: Record<string, number>;
  ddbCallsPerClusterTotal: number;
  ddbWritesPerCluster: number;
  /** What the poller itself cost (list requests through the API). */
  poll: { requests: number; ddbCalls: number; ddbCallsPerRequest: Record<string, number> };
  /** Event-loop utilization of this process (API, runner, steps, sim cloud, load) while creating. */
  eventLoopUtilization: number;
  baseline: {
    description: string;
    writesPerSequence: Record<string, number>;
    wallMs: number;
    eventLoopUtilization: number;
    sequence: LatencySummary;
  };
}

const BASE = '/v1/projects/default';
const WRITE_COMMANDS = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems', 'BatchWriteItem']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Counts the commands a store client sends; the poller's list queries are tagged apart. */
function countCalls(client: { middlewareStack: { add: (...args: any[]) => void } }) {
  const counts = new Map<string, number>();
  client.middlewareStack.add(
    (next: (args: any) => Promise<unknown>, context: { commandName?: string }) => async (args: { input?: { FilterExpression?: string } }) => {
      let name = (context.commandName ?? 'unknown').replace(/Command$/, '');
      // The Running list's Query (the poller's) carries the phase filter; nothing in a create queries by it.
      if (name === 'Query' && args.input?.FilterExpression?.includes('#phase')) name = 'Query(poll)';
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'paletteBenchClusterCallCounter', override: true },
  );
  return {
    reset: () => counts.clear(),
    snapshot: () => Object.fromEntries([...counts].sort(([a], [b]) => a.localeCompare(b))),
  };
}

export async function benchHostClusters(options: ClusterBenchOptions, progress: (line: string) => void): Promise<ClusterBenchResult> {
  // Imported here: handler modules read the log level when they load (run.ts sets it first).
  const { startLocalRuntime } = await import('#infra/local/runtime.ts');
  const { storeFromEnv } = await import('#shared/store/client.ts');
  const { keys } = await import('#shared/store/keys.ts');
  const { transact } = await import('#shared/store/table.ts');
  const { newOperation, finishOperation } = await import('#shared/operations/operations.ts');
  const { recordAudit } = await import('#shared/audit/audit-log.ts');
  const { stateMachineArnVariable } = await import('#workflows/names.ts');
  const { SIM_HOST_LAYERS } = await import('#infra/local/seed-beehive.ts');

  const started = performance.now();
  const logTail: string[] = [];
  const runtime = await startLocalRuntime({
    inMemory: true,
    simSpeed: options.simSpeed,
    seedBeehive: false,
    log: (line) => {
      logTail.push(line);
      if (logTail.length > 40) logTail.shift();
    },
  });
  const runtimeStartMs = performance.now() - started;
  progress(`local runtime up in ${(runtimeStartMs / 1000).toFixed(1)} s (sim speed ${options.simSpeed}, Step Functions ${runtime.stepFunctionsEndpoint})`);
  const sfn = new SFNClient({
    endpoint: runtime.stepFunctionsEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const auth = { authorization: `Bearer ${runtime.seeded.adminKey}` };
    const call = async <T = any>(method: string, path: string, body?: unknown, expected?: number): Promise<T> => {
      const res = await fetch(`${runtime.url}${path}`, {
        method,
        headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (expected !== undefined && res.status !== expected) throw new Error(`${method} ${path}: expected HTTP ${expected}, got ${res.status}: ${text.slice(0, 500)}`);
      return JSON.parse(text) as T;
    };

    const account = await call<{ id: string }>('POST', `${BASE}/cloudaccounts`, { name: 'bench-sim', provider: 'sim', sim: { provisionSeconds: 0 } }, 201);
    const profile = await call<{ id: string }>(
      'POST',
      `${BASE}/clusterprofiles`,
      {
        name: 'bench-sim',
        version: '1.0.0',
        cloud: 'sim',
        type: 'full',
        layers: SIM_HOST_LAYERS,
        variables: [],
      },
      201,
    );
    const runId = Date.now().toString(36);
    const createCluster = (name: string) =>
      call<{ id: string; operationId: string; projectId: string }>(
        'POST',
        `${BASE}/clusters`,
        { name, cloudAccountId: account.id, region: 'sim-local-1', profileId: profile.id, nodePools: [{ name: 'workers', instanceType: 'sim.small', count: 1 }] },
        202,
      );

    /** One pass over `?phase=Running` (all pages): which of `ids` are listed. */
    let pollRequests = 0;
    const runningOf = async (ids: Set<string>) => {
      const seen = new Set<string>();
      let cursor: string | undefined;
      do {
        pollRequests++;
        const page = await call<{ items: Array<{ id: string }>; nextCursor?: string }>(
          'GET',
          `${BASE}/clusters?phase=Running&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
          undefined,
          200,
        );
        for (const c of page.items) if (ids.has(c.id)) seen.add(c.id);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return seen.size;
    };
    const untilRunning = async (ids: Set<string>, deadline: number) => {
      for (;;) {
        if ((await runningOf(ids)) === ids.size) return;
        if (Date.now() > deadline) throw new Error(`not all ${ids.size} clusters reached Running in time`);
        await sleep(options.pollIntervalMs);
      }
    };

    // Warm-up: JIT, keep-alive sockets, DynamoDB Local's first writes; not counted.
    const warm = await Promise.all(Array.from({ length: options.warmup }, (_, i) => createCluster(`warm-${runId}-${i}`)));
    await untilRunning(new Set(warm.map((c) => c.id)), Date.now() + 30_000);

    // What one poll request costs besides its tagged Query: measured on the warm-up clusters.
    const counter = countCalls(storeFromEnv().client);
    const calibrationRequests = 10;
    for (let i = 0; i < calibrationRequests; i++) await call('GET', `${BASE}/clusters?phase=Running&limit=100`, undefined, 200);
    const perPollRequest: Record<string, number> = {};
    for (const [name, n] of Object.entries(counter.snapshot())) if (name !== 'Query(poll)') perPollRequest[name] = n / calibrationRequests;
    progress(`warm-up: ${options.warmup} clusters Running; a poll request costs ${JSON.stringify(perPollRequest)} + its phase-filtered Query`);

    // ---- Measured: N creates, at most `concurrency` POSTs in flight, until all are Running.
    counter.reset();
    pollRequests = 0;
    const created: Array<{ id: string; operationId: string; projectId: string; sentAt: number }> = [];
    const deadline = Date.now() + options.timeoutMs;
    const t0Epoch = Date.now();
    const t0 = performance.now();
    const elu0 = performance.eventLoopUtilization();
    let posting = true;
    let postFailed = false;
    const poster = runLoad(options.clusters, options.concurrency, async (i) => {
      const sentAt = Date.now();
      const c = await createCluster(`bench-${runId}-${i}`);
      created.push({ ...c, sentAt });
    }).then(
      (run) => {
        posting = false;
        return run;
      },
      (error: unknown) => {
        postFailed = true;
        throw error;
      },
    );
    const poller = (async () => {
      while (!postFailed) {
        const allPosted = !posting;
        const running = await runningOf(new Set(created.map((c) => c.id)));
        if (allPosted && running === options.clusters) return performance.now() - t0;
        if (Date.now() > deadline) throw new Error(`not all ${options.clusters} clusters reached Running within ${options.timeoutMs} ms`);
        await sleep(options.pollIntervalMs);
      }
      return Number.NaN;
    })();
    const [postRun, wallMs] = await Promise.all([poster, poller]);
    const eventLoopUtilization = performance.eventLoopUtilization(elu0).utilization;
    const calls = counter.snapshot();
    progress(`${options.clusters} clusters Running in ${(wallMs / 1000).toFixed(2)} s (${pollRequests} poll requests)`);

    // ---- Execution histories: the state path and transitions of every create.
    const stateMachineArn = process.env[stateMachineArnVariable('host-cluster-create')]!;
    const executionArnOf = (operationId: string) => `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${operationId}`;
    const perExecution: Array<{ entered: string[]; events: number; status?: string; stoppedAt: number; sentAt: number }> = [];
    await runLoad(created.length, 20, async (i) => {
      const c = created[i]!;
      const executionArn = executionArnOf(c.operationId);
      const [described, history] = await Promise.all([
        sfn.send(new DescribeExecutionCommand({ executionArn })),
        sfn.send(new GetExecutionHistoryCommand({ executionArn })),
      ]);
      const events = history.events ?? [];
      perExecution.push({
        entered: events.filter((e) => String(e.type).endsWith('StateEntered')).map((e) => e.stateEnteredEventDetails?.name ?? '?'),
        events: events.length,
        status: described.status,
        stoppedAt: described.stopDate?.getTime() ?? Number.NaN,
        sentAt: c.sentAt,
      });
    });
    const enteredCounts = perExecution.map((e) => e.entered.length);
    const succeeded = perExecution.filter((e) => e.status === 'SUCCEEDED').length;
    if (succeeded !== options.clusters) progress(`WARNING: only ${succeeded} of ${options.clusters} executions SUCCEEDED`);
    const lastExecutionEndMs = Math.max(...perExecution.map((e) => e.stoppedAt)) - t0Epoch;
    const clusterLatency = summarize(
      perExecution.map((e) => e.stoppedAt - e.sentAt),
      lastExecutionEndMs,
    );

    // ---- DynamoDB calls per cluster, the poller's own calls taken out.
    const pollCalls: Record<string, number> = { 'Query(poll)': calls['Query(poll)'] ?? 0 };
    for (const [name, n] of Object.entries(perPollRequest)) pollCalls[name] = n * pollRequests;
    const ddbCallsPerCluster: Record<string, number> = {};
    for (const [name, n] of Object.entries(calls)) {
      const own = (n - (pollCalls[name] ?? 0)) / options.clusters;
      if (Math.abs(own) > 1e-9) ddbCallsPerCluster[name] = own;
    }
    const ddbCallsPerClusterTotal = Object.values(ddbCallsPerCluster).reduce((a, b) => a + b, 0);
    const ddbWritesPerCluster = Object.entries(ddbCallsPerCluster)
      .filter(([name]) => WRITE_COMMANDS.has(name))
      .reduce((a, [, n]) => a + n, 0);

    // ---- Baseline: the create's writes, replayed with the real item shapes, same concurrency.
    const sample = created[0]!;
    const { Item: template } = await runtime.store.doc.send(
      new GetCommand({ TableName: runtime.store.tableName, Key: keys.cluster(runtime.seeded.tenantId!, sample.projectId, sample.id), ConsistentRead: true }),
    );
    if (!template) throw new Error('the sample cluster is not in the table');
    const tenantId = String(template.tenantId);
    const projectId = String(template.projectId);
    const body: Record<string, unknown> = { ...template };
    for (const key of Object.keys(keys.cluster(tenantId, projectId, 'x'))) delete body[key];
    const raw = runtime.store; // another client than the handlers': not counted
    const writeSequence = async (i: number) => {
      const id = `cluster_baseline${runId}${i}`;
      const name = `baseline-${runId}-${i}`;
      const { operation, put } = newOperation({ resource: { type: 'cluster', tenantId, projectId, id }, kind: 'cluster.create', workflow: 'host-cluster-create' });
      const provisioning = { ...body, id, name, providerName: `palette-${id}`, operationId: operation.id, status: { phase: 'Provisioning', message: 'provisioning the control plane' }, pending: { kind: 'create' }, version: 1 };
      // POST /clusters: cluster + name reservation + operation in one transaction, then the audit entry.
      await transact(raw, [
        { Put: { Item: { ...provisioning, ...keys.cluster(tenantId, projectId, id) }, ConditionExpression: 'attribute_not_exists(pk)' } },
        { Put: { Item: { ...keys.clusterName(tenantId, projectId, name), type: 'clustername', id }, ConditionExpression: 'attribute_not_exists(pk)' } },
        put,
      ]);
      await recordAudit(raw, { tenantId, actor: 'bench', action: 'cluster.create', resourceType: 'cluster', resourceId: id, projectId, statusCode: 202, requestId: `bench-${i}` });
      // The finish step: the cluster saved Running (guarded by its version), the operation ended.
      const { pending: _pending, ...running } = provisioning;
      void _pending;
      await raw.doc.send(
        new PutCommand({
          TableName: raw.tableName,
          Item: { ...running, status: { phase: 'Running' }, version: 2, ...keys.cluster(tenantId, projectId, id) },
          ConditionExpression: '#version = :v',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':v': 1 },
        }),
      );
      if (!(await finishOperation(raw, tenantId, operation.id, { status: 'Succeeded' }))) throw new Error('baseline: the operation was not Running');
    };
    await runLoad(Math.min(options.warmup * 4, 20), options.concurrency, (i) => writeSequence(1_000_000 + i));
    const eluBase = performance.eventLoopUtilization();
    const baseRun = await runLoad(options.clusters, options.concurrency, writeSequence);
    const baseElu = performance.eventLoopUtilization(eluBase).utilization;
    progress(`baseline: ${options.clusters} write sequences in ${(baseRun.wallMs / 1000).toFixed(2)} s`);

    return {
      options,
      runtimeStartMs,
      wallMs,
      lastExecutionEndMs,
      clustersPerSecond: (options.clusters * 1000) / wallMs,
      post: summarize(postRun.samples, postRun.wallMs),
      cluster: clusterLatency,
      statesEnteredPerCreate: {
        mean: enteredCounts.reduce((a, b) => a + b, 0) / enteredCounts.length,
        min: Math.min(...enteredCounts),
        max: Math.max(...enteredCounts),
        path: perExecution[0]?.entered ?? [],
      },
      historyEventsPerCreate: perExecution.reduce((a, e) => a + e.events, 0) / perExecution.length,
      executionsSucceeded: succeeded,
      ddbCallsPerCluster,
      ddbCallsPerClusterTotal,
      ddbWritesPerCluster,
      eventLoopUtilization,
      poll: { requests: pollRequests, ddbCalls: Object.values(pollCalls).reduce((a, b) => a + b, 0), ddbCallsPerRequest: perPollRequest },
      baseline: {
        description: 'TransactWriteItems (cluster + name + operation), PutItem (audit), PutItem (cluster Running, version-guarded), UpdateItem (operation Succeeded)',
        writesPerSequence: { TransactWriteItems: 1, PutItem: 2, UpdateItem: 1 },
        wallMs: baseRun.wallMs,
        eventLoopUtilization: baseElu,
        sequence: summarize(baseRun.samples, baseRun.wallMs),
      },
    };
  } catch (error) {
    progress(`failed; the last lines from the local runtime:\n${logTail.join('\n') || '(none)'}`);
    throw error;
  } finally {
    sfn.destroy();
    await runtime.stop();
    storeFromEnv().client.destroy();
    runtime.store.client.destroy();
  }
}

/** Runs benchHostClusters in a fresh Node process and returns its result. */
export const runHostClusterBench = (options: ClusterBenchOptions, progress: (line: string) => void) =>
  runInChild<ClusterBenchOptions, ClusterBenchResult>(import.meta.url, options, progress);

await childMain(import.meta.url, benchHostClusters);

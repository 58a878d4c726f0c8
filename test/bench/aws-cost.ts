/**
 * The AWS bill per unit of work, from what the local runtime measurably consumes:
 * DynamoDB read and write units (ReturnConsumedCapacity on every call of the
 * handlers' and steps' client), Step Functions state transitions and step Lambda
 * time (each execution's history), API Lambda time (the request's latency at one
 * client: an upper bound, it includes the local HTTP hop), API Gateway requests, KMS
 * requests and the scheduled function's runs, priced with aws-prices.ts.
 *
 * Lambda time measured here is this machine's, not Lambda's (arm64, 1024 MB); DynamoDB
 * Local's consumed capacity follows DynamoDB's rules for item sizes and transactions.
 * The authorizer's answer is cached for 300 s per key (as API Gateway does), so at the
 * rates that matter it adds no invocation to a request; its own cost is listed apart.
 */
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { AWS_PRICES, costOf, nothing, type Consumption } from './aws-prices.ts';
import { childMain, runInChild } from './child-process.ts';

export interface CostBenchOptions {
  requests: number;
  lifecycles: number;
  /** Virtual clusters alive while the scheduled jobs run (their cost is shared among them). */
  virtualClustersForJobs: number;
  simSpeed: number;
}

export interface UnitCost {
  unit: string;
  n: number;
  consumption: Consumption;
  cost: ReturnType<typeof costOf>;
}

export interface CostBenchResult {
  options: CostBenchOptions;
  prices: typeof AWS_PRICES;
  units: UnitCost[];
  virtualClusterMonth: { perJob: Array<{ job: string; runsPerMonth: number; perRun: Consumption }>; consumption: Consumption; cost: ReturnType<typeof costOf> };
}

const BASE = '/v1/projects/default';
const MEMORY_GB = 1;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan']);
const WITH_CAPACITY = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems', 'BatchWriteItem', 'TransactGetItems']);

/** Asks DynamoDB for the capacity of every call and adds it up. */
function capacityMeter(client: { middlewareStack: { add: (...args: any[]) => void } }) {
  const totals = { read: 0, write: 0 };
  client.middlewareStack.add(
    (next: (args: any) => Promise<any>, context: { commandName?: string }) => async (args: { input: Record<string, unknown> }) => {
      const name = (context.commandName ?? '').replace(/Command$/, '');
      if (WITH_CAPACITY.has(name)) args.input.ReturnConsumedCapacity = 'TOTAL';
      const result = await next(args);
      const consumed = result?.output?.ConsumedCapacity as { CapacityUnits?: number } | Array<{ CapacityUnits?: number }> | undefined;
      const units = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []).reduce((n, c) => n + (c.CapacityUnits ?? 0), 0);
      if (READS.has(name)) totals.read += units;
      else totals.write += units;
      return result;
    },
    { step: 'initialize', name: 'paletteBenchCapacityMeter', override: true },
  );
  return { snapshot: () => ({ ...totals }) };
}

export async function benchAwsCost(options: CostBenchOptions, progress: (line: string) => void): Promise<CostBenchResult> {
  const { startLocalRuntime } = await import('#infra/local/runtime.ts');
  const { storeFromEnv } = await import('#shared/store/client.ts');
  const { keys, SYSTEM_TENANT } = await import('#shared/store/keys.ts');
  const { getItem } = await import('#shared/store/table.ts');
  const { clusterGroupItem } = await import('#shared/cluster-groups/items.ts');
  const { hostClusterItem } = await import('#shared/host-clusters/items.ts');
  const { stateMachineArnVariable } = await import('#workflows/names.ts');
  const { jobSchedule, jobNames } = await import('#shared/jobs/schedule.ts');
  const { SIM_HOST_LAYERS } = await import('#infra/local/seed-beehive.ts');

  const runtime = await startLocalRuntime({ inMemory: true, simSpeed: options.simSpeed, beehiveNodesPerHost: 4 });
  const sfn = new SFNClient({ endpoint: runtime.stepFunctionsEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    const meter = capacityMeter(storeFromEnv().client);
    const call = async <T = any>(key: string, method: string, path: string, body?: unknown, expected?: number): Promise<T> => {
      const res = await fetch(`${runtime.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (expected !== undefined && res.status !== expected) throw new Error(`${method} ${path}: expected ${expected}, got ${res.status}: ${text.slice(0, 300)}`);
      return (res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T;
    };
    const admin = runtime.seeded.adminKey!;
    const system = runtime.seeded.systemKey!;
    const group = (await getItem(runtime.store, keys.clusterGroup(SYSTEM_TENANT, 'beehive'), clusterGroupItem))!;
    for (const deadline = Date.now() + 30_000; ; await sleep(50)) {
      const hosts = await Promise.all(group.hostClusters.map((m) => getItem(runtime.store, keys.cluster(m.tenantId, m.projectId, m.clusterId), hostClusterItem)));
      if (hosts.every((h) => h?.status.phase === 'Running')) break;
      if (Date.now() > deadline) throw new Error('beehive did not come up');
    }
    const runId = Date.now().toString(36);
    const execution = (workflow: string, operationId: string) => `${process.env[stateMachineArnVariable(workflow)]!.replace(':stateMachine:', ':execution:')}:${operationId}`;

    /** An execution's transitions and its Task time, once it has ended. */
    const executionCost = async (workflow: string, operationId: string) => {
      const arn = execution(workflow, operationId);
      for (;;) {
        const described = await sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
        if (described.status !== 'RUNNING') break;
        await sleep(10);
      }
      const events = (await sfn.send(new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 1000 }))).events ?? [];
      let taskMs = 0;
      let tasks = 0;
      let enteredAt: number | undefined;
      for (const event of events) {
        if (event.type === 'TaskStateEntered') enteredAt = event.timestamp!.getTime();
        if (event.type === 'TaskStateExited' && enteredAt !== undefined) {
          taskMs += event.timestamp!.getTime() - enteredAt;
          tasks += 1;
        }
      }
      return { transitions: events.filter((e) => String(e.type).endsWith('StateEntered')).length, tasks, taskMs };
    };

    /** One unit of work at a time, so every DynamoDB unit between its start and end is its own. */
    const measure = async (unit: string, n: number, run: (i: number) => Promise<Partial<Consumption> & { latencyMs: number }>): Promise<UnitCost> => {
      const total = nothing();
      for (let i = 0; i < n; i++) {
        const before = meter.snapshot();
        const { latencyMs, ...rest } = await run(i);
        const after = meter.snapshot();
        total.apiRequests += rest.apiRequests ?? 1;
        total.lambdaInvocations += (rest.lambdaInvocations ?? 0) + 1;
        total.lambdaGbSeconds += (rest.lambdaGbSeconds ?? 0) + (latencyMs / 1000) * MEMORY_GB;
        total.stateTransitions += rest.stateTransitions ?? 0;
        total.kmsRequests += rest.kmsRequests ?? 0;
        total.readUnits += after.read - before.read;
        total.writeUnits += after.write - before.write;
      }
      const consumption = Object.fromEntries(Object.entries(total).map(([k, v]) => [k, v / n])) as unknown as Consumption;
      progress(`${unit}: ${n} measured`);
      return { unit, n, consumption, cost: costOf(consumption) };
    };
    const timed = async <T>(work: () => Promise<T>) => {
      const t = performance.now();
      const value = await work();
      return { value, latencyMs: performance.now() - t };
    };
    /** A request that starts a workflow, followed to the end of its execution. */
    const lifecycle = async (workflow: string, request: () => Promise<{ operationId: string }>, kmsRequests = 0) => {
      const { value, latencyMs } = await timed(request);
      const cost = await executionCost(workflow, value.operationId);
      return { latencyMs, lambdaInvocations: cost.tasks, lambdaGbSeconds: (cost.taskMs / 1000) * MEMORY_GB, stateTransitions: cost.transitions, kmsRequests };
    };

    // Users with two virtual clusters each (the default quota).
    const users: string[] = [];
    const usersNeeded = Math.ceil((options.lifecycles + options.virtualClustersForJobs + 2) / 2);
    for (let i = 0; i < usersNeeded; i++) {
      const user = await call<{ id: string }>(admin, 'POST', '/v1/users', { email: `cost-${runId}-${i}@example.com`, name: `cost ${i}` }, 201);
      users.push((await call<{ key: string }>(admin, 'POST', `/v1/users/${user.id}/apikeys`, { name: 'cost' }, 201)).key);
      await call(admin, 'PUT', `${BASE}/members/${user.id}`, { role: 'project.editor' }, 200);
    }
    const userFor = (i: number) => users[Math.floor(i / 2)]!;
    const project = await call<{ id: string }>(admin, 'GET', BASE, undefined, 200);
    // Warm-up, not counted.
    for (let i = 0; i < 5; i++) await call(admin, 'GET', `/v1/projects/${project.id}`, undefined, 200);

    const units: UnitCost[] = [];
    units.push(await measure('GET /v1/projects/{id}', options.requests, async () => (await timed(() => call(admin, 'GET', `/v1/projects/${project.id}`, undefined, 200)))));
    units.push(await measure('POST /v1/projects', options.requests, async (i) => (await timed(() => call(admin, 'POST', '/v1/projects', { name: `cost-${runId}-${i}` }, 201)))));

    const created: Array<{ id: string; key: string }> = [];
    units.push(
      await measure('virtual cluster create', options.lifecycles, async (i) =>
        lifecycle('virtual-cluster-create', async () => {
          const vc = await call<{ id: string; operationId: string }>(userFor(i), 'POST', `${BASE}/virtualclusters`, { name: `cost-${runId}-${i}` }, 202);
          created.push({ id: vc.id, key: userFor(i) });
          return vc;
        }, 1),
      ),
    );
    units.push(await measure('GET /v1/projects/{p}/virtualclusters/{id}', options.requests, async (i) => timed(() => call(created[i % created.length]!.key, 'GET', `${BASE}/virtualclusters/${created[i % created.length]!.id}`, undefined, 200))));
    units.push(
      await measure('GET …/virtualclusters/{id}/kubeconfig', options.lifecycles, async (i) => ({
        ...(await timed(() => call(created[i]!.key, 'GET', `${BASE}/virtualclusters/${created[i]!.id}/kubeconfig`, undefined, 200))),
        kmsRequests: 1,
      })),
    );
    units.push(await measure('virtual cluster pause', options.lifecycles, (i) => lifecycle('virtual-cluster-pause', () => call(created[i]!.key, 'POST', `${BASE}/virtualclusters/${created[i]!.id}/pause`, undefined, 202))));
    units.push(await measure('virtual cluster resume', options.lifecycles, (i) => lifecycle('virtual-cluster-resume', () => call(created[i]!.key, 'POST', `${BASE}/virtualclusters/${created[i]!.id}/resume`, undefined, 202))));
    const profile = await call<{ id: string }>(admin, 'POST', `${BASE}/appprofiles`, {
      name: `cost-shop-${runId}`,
      version: '1.0.0',
      tiers: [
        { name: 'db', type: 'database', engine: 'postgres', version: '16', storageGiB: 1 },
        { name: 'web', type: 'container', image: 'nginx:1.27', env: { DB_HOST: '{{tiers.db.HOST}}', DB_PASSWORD: '{{tiers.db.PASSWORD}}' } },
      ],
    }, 201);
    units.push(
      await measure('app deploy (postgres + container)', options.lifecycles, (i) =>
        // Each step opens the virtual cluster's credential (a warm Lambda keeps KMS data keys: an upper bound).
        lifecycle('app-deploy', () => call(created[i]!.key, 'POST', `${BASE}/apps`, { name: `shop-${i}`, appProfileId: profile.id, virtualClusterId: created[i]!.id }, 202), 6),
      ),
    );
    units.push(await measure('virtual cluster delete (with its app)', options.lifecycles, (i) => lifecycle('virtual-cluster-delete', () => call(created[i]!.key, 'DELETE', `${BASE}/virtualclusters/${created[i]!.id}`, undefined, 202))));

    const account = await call<{ id: string }>(admin, 'POST', `${BASE}/cloudaccounts`, { name: `cost-${runId}`, provider: 'sim', sim: { provisionSeconds: 0 } }, 201);
    const hostProfile = await call<{ id: string }>(admin, 'POST', `${BASE}/clusterprofiles`, { name: `cost-${runId}`, version: '1.0.0', cloud: 'sim', type: 'full', layers: SIM_HOST_LAYERS }, 201);
    const hosts: string[] = [];
    units.push(
      await measure('host cluster create', options.lifecycles, (i) =>
        lifecycle('host-cluster-create', async () => {
          const cluster = await call<{ id: string; operationId: string }>(admin, 'POST', `${BASE}/clusters`, {
            name: `cost-${runId}-${i}`, cloudAccountId: account.id, region: 'sim-local-1', profileId: hostProfile.id, nodePools: [{ name: 'w', instanceType: 'sim.small', count: 1 }],
          }, 202);
          hosts.push(cluster.id);
          return cluster;
        }),
      ),
    );
    units.push(await measure('host cluster delete', options.lifecycles, (i) => lifecycle('host-cluster-delete', () => call(admin, 'DELETE', `${BASE}/clusters/${hosts[i]}`, undefined, 202))));

    // ---- The control-plane overhead of a virtual cluster month: the scheduled jobs' share.
    const alive: string[] = [];
    for (let i = 0; i < options.virtualClustersForJobs; i++) {
      const key = userFor(options.lifecycles + 2 + i);
      const vc = await call<{ id: string; operationId: string }>(key, 'POST', `${BASE}/virtualclusters`, { name: `jobs-${runId}-${i}` }, 202);
      await executionCost('virtual-cluster-create', vc.operationId);
      alive.push(vc.id);
    }
    const perJob: CostBenchResult['virtualClusterMonth']['perJob'] = [];
    const month = nothing();
    for (const job of jobNames) {
      const before = meter.snapshot();
      const { latencyMs } = await timed(() => call(system, 'POST', `/v1/system/jobs/${job}`, undefined, 200));
      const after = meter.snapshot();
      const n = alive.length;
      const runsPerMonth = (30 * 24 * 60) / jobSchedule[job].everyMinutes;
      const perRun: Consumption = {
        ...nothing(),
        lambdaInvocations: 1 / n,
        lambdaGbSeconds: (latencyMs / 1000) * MEMORY_GB / n,
        readUnits: (after.read - before.read) / n,
        writeUnits: (after.write - before.write) / n,
        scheduledInvocations: 1 / n,
      };
      perJob.push({ job, runsPerMonth, perRun });
      for (const [k, v] of Object.entries(perRun) as Array<[keyof Consumption, number]>) month[k] += v * runsPerMonth;
    }
    progress(`scheduled jobs measured over ${alive.length} virtual clusters`);
    return { options, prices: AWS_PRICES, units, virtualClusterMonth: { perJob, consumption: month, cost: costOf(month) } };
  } finally {
    sfn.destroy();
    await runtime.stop();
    storeFromEnv().client.destroy();
    runtime.store.client.destroy();
  }
}

export const runAwsCostBench = (options: CostBenchOptions, progress: (line: string) => void) =>
  runInChild<CostBenchOptions, CostBenchResult>(import.meta.url, options, progress);

await childMain(import.meta.url, benchAwsCost);

/**
 * App Mode through the local runtime, with no simulated delay (the emulator's
 * readiness and every Wait scaled away by PALETTE_SIM_SPEED), so what is measured is
 * the orchestration: N virtual clusters created in beehive by N/2 users (two each,
 * their default quota) one at a time (what a user sees), then N more by other users
 * with C POSTs in flight (beehive's few hosts as hot items), each driven to Running by
 * the real create state machine; then pauses, resumes and deploys of the two-tier app
 * (postgres + a container using it), one at a time.
 *
 * Per action: latency from the request to the end of its execution (DescribeExecution's
 * stopDate), states entered (the execution history), DynamoDB calls per action (counted
 * on the handlers' and steps' store client), and for creates the transactions DynamoDB
 * cancelled because another one held the same item at the same moment (beehive's few
 * hosts are hot items) and the creates that re-placed because of it.
 *
 * Beside it, the raw cost of a create's writes: its placement transaction (virtual
 * cluster, name, host allocation, project count, quota use and limits, operation) and
 * its finish transaction, replayed at each pass's concurrency on the same hot items.
 */
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { childMain, runInChild } from './child-process.ts';
import { countCommands, runLoad, summarize, type LatencySummary } from './stats.ts';

export interface AppModeBenchOptions {
  /** Virtual clusters per pass (two per user: the default quota). */
  virtualClusters: number;
  /** Requests in flight in the latency pass (one at a time: what a user sees). */
  latencyConcurrency: number;
  /** Creates in the contention pass, all in flight at once (beehive's hosts as hot items). */
  contended: number;
  concurrency: number;
  /** Pauses, resumes and app deploys measured (one at a time). */
  actions: number;
  simSpeed: number;
  timeoutMs: number;
}

export interface ActionResult {
  action: string;
  n: number;
  /** The request alone (202). */
  request: LatencySummary;
  /** Request sent → its execution ended. */
  done: LatencySummary;
  statesEntered: { mean: number; max: number; path: string[] };
  succeeded: number;
  ddbCallsPerAction: Record<string, number>;
  ddbCallsPerActionTotal: number;
  transactionConflictsPerAction: number;
  placementRetriesPerAction: number;
}

export interface AppModeBenchResult {
  options: AppModeBenchOptions;
  runtimeStartMs: number;
  /** The contention pass's host objects applied straight to an emulated host until vcluster's Secrets exist. */
  emulatedVclusterWallMs: number;
  actions: ActionResult[];
  baseline: { description: string; sequence: LatencySummary; contended: LatencySummary; transactionConflictsPerSequence: number };
}

const BASE = '/v1/projects/default';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function benchAppMode(options: AppModeBenchOptions, progress: (line: string) => void): Promise<AppModeBenchResult> {
  const { startLocalRuntime } = await import('#infra/local/runtime.ts');
  const { storeFromEnv } = await import('#shared/store/client.ts');
  const { keys, SYSTEM_TENANT } = await import('#shared/store/keys.ts');
  const { getItem, transact, transactionStats, updateItem } = await import('#shared/store/table.ts');
  const { newOperation, finishOperationItem } = await import('#shared/operations/operations.ts');
  const { placementStats } = await import('#shared/virtual-clusters/virtual-clusters.ts');
  const { clusterGroupItem } = await import('#shared/cluster-groups/items.ts');
  const { hostClusterItem } = await import('#shared/host-clusters/items.ts');
  const { QUOTA_GROUP } = await import('#shared/quotas/quotas.ts');
  const { stateMachineArnVariable } = await import('#workflows/names.ts');

  const started = performance.now();
  // Room for every cluster of the run: 8 sim.4xlarge nodes per host, 307 default virtual clusters.
  const runtime = await startLocalRuntime({ inMemory: true, simSpeed: options.simSpeed, beehiveNodesPerHost: 8 });
  const runtimeStartMs = performance.now() - started;
  const sfn = new SFNClient({ endpoint: runtime.stepFunctionsEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    const call = async <T = any>(key: string, method: string, path: string, body?: unknown, expected?: number): Promise<T> => {
      const res = await fetch(`${runtime.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (expected !== undefined && res.status !== expected) throw new Error(`${method} ${path}: expected ${expected}, got ${res.status}: ${text.slice(0, 400)}`);
      return JSON.parse(text) as T;
    };
    const admin = runtime.seeded.adminKey!;
    const group = (await getItem(runtime.store, keys.clusterGroup(SYSTEM_TENANT, 'beehive'), clusterGroupItem))!;
    for (const deadline = Date.now() + 30_000; ; ) {
      const hosts = await Promise.all(group.hostClusters.map((m) => getItem(runtime.store, keys.cluster(m.tenantId, m.projectId, m.clusterId), hostClusterItem)));
      if (hosts.every((h) => h?.status.phase === 'Running')) break;
      if (Date.now() > deadline) throw new Error('beehive did not come up');
      await sleep(50);
    }
    progress(`local runtime and beehive up in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    const runId = Date.now().toString(36);
    const perPass = Math.ceil(options.virtualClusters / 2);
    const contendedUsers = Math.ceil(options.contended / 2);
    const users: string[] = [];
    await runLoad(perPass + contendedUsers + 2, 8, async (i) => {
      const user = await call<{ id: string }>(admin, 'POST', '/v1/users', { email: `bench-${runId}-${i}@example.com`, name: `bench ${i}` }, 201);
      const key = await call<{ key: string }>(admin, 'POST', `/v1/users/${user.id}/apikeys`, { name: 'bench' }, 201);
      await call(admin, 'PUT', `${BASE}/members/${user.id}`, { role: 'project.editor' }, 200);
      users[i] = key.key;
    });
    const warmUsers = users.splice(perPass + contendedUsers, 2);

    const executionArn = (workflow: string, operationId: string) =>
      `${process.env[stateMachineArnVariable(workflow)]!.replace(':stateMachine:', ':execution:')}:${operationId}`;
    const untilEnded = async (arn: string, deadline: number) => {
      for (;;) {
        const described = await sfn.send(new DescribeExecutionCommand({ executionArn: arn })).catch(() => undefined);
        if (described && described.status !== 'RUNNING') return described;
        if (Date.now() > deadline) throw new Error(`${arn} did not end in time`);
        await sleep(20);
      }
    };
    const counter = countCommands(storeFromEnv().client, 'paletteBenchAppModeCounter');

    /** Runs `n` actions with `concurrency` requests in flight, each followed to the end of its execution. */
    const measure = async (action: string, workflow: string, n: number, concurrency: number, request: (i: number) => Promise<{ operationId: string }>): Promise<ActionResult> => {
      counter.reset();
      const conflicts0 = transactionStats.conflicts;
      const retries0 = placementStats.retries;
      const requestSamples: number[] = [];
      const doneSamples: number[] = [];
      const operations: string[] = [];
      const deadline = Date.now() + options.timeoutMs;
      const t0 = performance.now();
      const run = await runLoad(n, concurrency, async (i) => {
        const sentAt = Date.now();
        const t = performance.now();
        const { operationId } = await request(i);
        requestSamples.push(performance.now() - t);
        operations.push(operationId);
        const ended = await untilEnded(executionArn(workflow, operationId), deadline);
        doneSamples.push((ended.stopDate?.getTime() ?? Date.now()) - sentAt);
      });
      const wallMs = performance.now() - t0;
      // The poller's DescribeExecution calls go to Step Functions, not DynamoDB: every counted call is the action's own.
      const calls = counter.snapshot();
      const histories = await Promise.all(operations.slice(0, 30).map((op) => sfn.send(new GetExecutionHistoryCommand({ executionArn: executionArn(workflow, op), maxResults: 1000 }))));
      const entered = histories.map((h) => (h.events ?? []).filter((e) => String(e.type).endsWith('StateEntered')).map((e) => e.stateEnteredEventDetails?.name ?? '?'));
      const statuses = await Promise.all(operations.map((op) => sfn.send(new DescribeExecutionCommand({ executionArn: executionArn(workflow, op) }))));
      const perAction = Object.fromEntries(Object.entries(calls).map(([name, count]) => [name, count / n]));
      progress(`${action}: ${n} in ${(wallMs / 1000).toFixed(2)} s`);
      return {
        action,
        n,
        request: summarize(requestSamples, run.wallMs),
        done: summarize(doneSamples, wallMs),
        statesEntered: { mean: entered.reduce((a, e) => a + e.length, 0) / entered.length, max: Math.max(...entered.map((e) => e.length)), path: entered[0] ?? [] },
        succeeded: statuses.filter((s) => s.status === 'SUCCEEDED').length,
        ddbCallsPerAction: perAction,
        ddbCallsPerActionTotal: Object.values(perAction).reduce((a, b) => a + b, 0),
        transactionConflictsPerAction: (transactionStats.conflicts - conflicts0) / n,
        placementRetriesPerAction: (placementStats.retries - retries0) / n,
      };
    };

    // Warm-up (JIT, sockets, DynamoDB Local's first writes): two users' clusters, not counted.
    await Promise.all(
      warmUsers.flatMap((key, u) =>
        [0, 1].map(async (i) => {
          const vc = await call<{ operationId: string }>(key, 'POST', `${BASE}/virtualclusters`, { name: `warm-${runId}-${u}-${i}` }, 202);
          await untilEnded(executionArn('virtual-cluster-create', vc.operationId), Date.now() + 30_000);
        }),
      ),
    );

    const created: Array<{ id: string; key: string }> = [];
    const createFor = (offset: number, usersInPass: number) => async (i: number) => {
      const key = users[offset + (i % usersInPass)]!;
      const vc = await call<{ id: string; operationId: string }>(key, 'POST', `${BASE}/virtualclusters`, { name: `bench-${runId}-${offset}-${i}` }, 202);
      if (offset === 0) created[i] = { id: vc.id, key };
      return vc;
    };
    const create = await measure('virtual cluster create', 'virtual-cluster-create', options.virtualClusters, options.latencyConcurrency, createFor(0, perPass));
    const contended = await measure(
      `virtual cluster create, ${options.concurrency} at once`,
      'virtual-cluster-create',
      options.contended,
      options.concurrency,
      createFor(perPass, contendedUsers),
    );
    const pause = await measure('virtual cluster pause', 'virtual-cluster-pause', options.actions, options.latencyConcurrency, (i) =>
      call(created[i]!.key, 'POST', `${BASE}/virtualclusters/${created[i]!.id}/pause`, undefined, 202),
    );
    const resume = await measure('virtual cluster resume', 'virtual-cluster-resume', options.actions, options.latencyConcurrency, (i) =>
      call(created[i]!.key, 'POST', `${BASE}/virtualclusters/${created[i]!.id}/resume`, undefined, 202),
    );
    const profile = await call<{ id: string }>(admin, 'POST', `${BASE}/appprofiles`, {
      name: `bench-shop-${runId}`,
      version: '1.0.0',
      tiers: [
        { name: 'db', type: 'database', engine: 'postgres', version: '16', storageGiB: 1 },
        { name: 'web', type: 'container', image: 'nginx:1.27', port: 8080, env: { DB_HOST: '{{tiers.db.HOST}}', DB_PASSWORD: '{{tiers.db.PASSWORD}}' } },
      ],
    }, 201);
    const deploy = await measure('app deploy (postgres + container)', 'app-deploy', options.actions, options.latencyConcurrency, (i) =>
      call(created[i]!.key, 'POST', `${BASE}/apps`, { name: `shop-${i}`, appProfileId: profile.id, virtualClusterId: created[i]!.id }, 202),
    );

    // ---- Baseline: a create's two transactions on the same hot items, same concurrency.
    const tenantId = runtime.seeded.tenantId!;
    const project = await call<{ id: string }>(admin, 'GET', BASE, undefined, 200);
    const hostKeys = group.hostClusters.map((m) => keys.cluster(m.tenantId, m.projectId, m.clusterId));
    const raw = runtime.store;
    const conflicts0 = transactionStats.conflicts;
    const sequence = async (i: number) => {
      const id = `vc_BASELINE${runId.toUpperCase()}${i}`;
      const { operation, put } = newOperation({ resource: { type: 'virtualcluster', tenantId, projectId: project.id, id }, kind: 'virtualcluster.create', workflow: 'virtual-cluster-create' });
      const now = new Date().toISOString();
      const user = `usr_BASELINE${i % perPass}`;
      await transact(raw, [
        { Put: { Item: { ...keys.virtualCluster(tenantId, project.id, id), type: 'virtualcluster', id, name: `base-${i}`, status: { phase: 'Provisioning' }, createdAt: now, updatedAt: now, version: 1, operationId: operation.id }, ConditionExpression: 'attribute_not_exists(pk)' } },
        { Put: { Item: { ...keys.virtualClusterName(tenantId, project.id, `base-${runId}-${i}`), type: 'virtualclustername', id }, ConditionExpression: 'attribute_not_exists(pk)' } },
        updateItem(hostKeys[i % hostKeys.length]!, { add: { virtualClusters: 0, allocatedCpu: 0 }, touch: false, condition: { expression: '#s.#p = :r', names: { '#s': 'status', '#p': 'phase' }, values: { ':r': 'Running' } } }),
        updateItem(keys.project(tenantId, project.id), { add: { virtualClusters: 0 }, touch: false }),
        { Update: { Key: keys.quotaUsage(tenantId, QUOTA_GROUP, user), UpdateExpression: 'SET #t = :t ADD cpu :z', ExpressionAttributeNames: { '#t': 'type' }, ExpressionAttributeValues: { ':t': 'quotausage', ':z': 0 } } },
        { ConditionCheck: { Key: keys.quotaLimits(tenantId, QUOTA_GROUP), ConditionExpression: 'attribute_not_exists(pk)' } },
        put,
      ]);
      await transact(raw, [
        updateItem(keys.virtualCluster(tenantId, project.id, id), { set: { status: { phase: 'Running' } }, condition: { expression: 'operationId = :op', values: { ':op': operation.id } } }),
        finishOperationItem(tenantId, operation.id, { status: 'Succeeded' }),
      ]);
    };
    await runLoad(20, options.latencyConcurrency, (i) => sequence(1_000_000 + i));
    const base = await runLoad(options.virtualClusters, options.latencyConcurrency, sequence);
    const contendedBase = await runLoad(options.contended, options.concurrency, (i) => sequence(2_000_000 + i));
    // ---- The simulated vcluster's own work: the same host objects applied to a fresh
    // emulated host, N at once, until each kubeconfig Secret exists (what no orchestration can skip here).
    const { startKubeEmulator } = await import('#infra/local/kube-emulator/index.ts');
    const { hostObjects } = await import('#shared/virtual-clusters/manifests.ts');
    const { kubeClient } = await import('#shared/kube/kube-client.ts');
    const { parseKubeconfig } = await import('#shared/kube/kubeconfig.ts');
    const { applyObjects } = await import('#shared/kube/apply.ts');
    const emulator = await startKubeEmulator({ readyDelayMs: 0 });
    let emulatedWallMs: number;
    try {
      emulator.createCluster('bench-host', { kubernetesVersion: 'v1.31' });
      const host = kubeClient(parseKubeconfig(emulator.kubeconfig('bench-host')));
      const t = performance.now();
      await runLoad(options.contended, options.concurrency, async (i) => {
        const namespace = `vc-bench-${i}`;
        await applyObjects(host, hostObjects({ id: `vc_BENCH${i}`, name: `v${i}`, namespace, tenantId: tenantId.toLowerCase(), ownerId: 'bench', resources: { cpu: 4, memoryMiB: 4096, storageGiB: 2, gpu: 0 }, endpointType: 'Ingress', ingressHost: `v${i}.bench-host.vcluster.palette.internal` }));
        while (!(await host.get({ apiVersion: 'v1', kind: 'Secret', name: `vc-v${i}`, namespace }))) await sleep(10);
      });
      emulatedWallMs = performance.now() - t;
    } finally {
      await emulator.stop();
    }

    return {
      options,
      runtimeStartMs,
      emulatedVclusterWallMs: emulatedWallMs,
      actions: [create, contended, pause, resume, deploy],
      baseline: {
        description: "a create's placement transaction (7 items on the same host, project and quota items) and its finish transaction (2 items)",
        sequence: summarize(base.samples, base.wallMs),
        contended: summarize(contendedBase.samples, contendedBase.wallMs),
        transactionConflictsPerSequence: (transactionStats.conflicts - conflicts0) / (options.virtualClusters + options.contended + 20),
      },
    };
  } finally {
    sfn.destroy();
    await runtime.stop();
    storeFromEnv().client.destroy();
    runtime.store.client.destroy();
  }
}

export const runAppModeBench = (options: AppModeBenchOptions, progress: (line: string) => void) =>
  runInChild<AppModeBenchOptions, AppModeBenchResult>(import.meta.url, options, progress);

await childMain(import.meta.url, benchAppMode);

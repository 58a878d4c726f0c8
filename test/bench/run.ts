/**
 * `npm run bench`: a performance report for the API, with every number set against a
 * baseline measured in the same run (absolute numbers depend on the machine; the ratios
 * are what to compare between runs). Not part of the test suite.
 *
 * 1. API latency through the local runtime: in-memory DynamoDB Local, the local API
 *    gateway and, in process, the same authorizer and Lambda handlers that run on AWS.
 *    Scenarios: GET /v1/projects/{id} and POST /v1/projects (unique names) with the seeded
 *    tenant admin key, at 1 and 16 concurrent clients (closed loop, fetch with keep-alive).
 *    Beside each, the raw DynamoDB call the handler's core makes, against the same
 *    DynamoDB Local at the same concurrency: a consistent GetItem of the project item for
 *    GET, the TransactWriteItems of createProject (project + name reservation) for POST.
 *
 *    The API path does much more than that one call, so an overhead of several x is
 *    expected. Per request it makes (counted with a middleware on the handlers' store
 *    client, and known from the code):
 *      GET : authorizer GetItem(key by hash) + GetItem(user); handler BatchGetItem (key +
 *            user re-check); GetItem(project) for the project access check (a tenant admin
 *            needs no membership read)                                     = 4 calls
 *      POST: authorizer 2 x GetItem; handler BatchGetItem; TransactWriteItems (the
 *            project); PutItem (audit entry)                               = 5 calls
 *    plus the HTTP hop, event building, middy, zod validation and JSON on both sides. The
 *    load generator, the API and DynamoDB Local (a JVM) share the machine's cores.
 *
 * 2. Cold start: each Lambda entry (functions/api/<group>.ts for every route group, and
 *    functions/authorizer.ts) bundled with esbuild as NodejsFunction does for the CDK stack
 *    (esm, minify, node24, sourcemap, the createRequire banner, mainFields module,main and
 *    `@aws-sdk/*` external, since the Lambda runtime provides it), then the median time of
 *    `await import(bundle)` in fresh Node processes, beside a baseline bundle that only
 *    imports @aws-sdk/client-dynamodb + @aws-sdk/lib-dynamodb and creates a client. Then
 *    the goals (API functions and the authorizer within MAX_API_BUNDLE_BYTES and 1.5x the
 *    baseline's import) and what each bundle holds, from esbuild's metafile: its largest
 *    packages and folders, and the SDK packages it loads at init or only on first use. A
 *    second table bundles everything (SDK included) for comparison.
 *
 * 3. Host clusters at scale (test/bench/host-clusters.ts, in a child process): 200 sim host
 *    clusters (provisionSeconds 0, high sim speed) created over the HTTP API with 50 POSTs
 *    in flight, each run to Running by the real create state machine on the local Step
 *    Functions endpoint; wall time, clusters/s, states entered per create (execution
 *    history), DynamoDB calls per cluster, beside the same DynamoDB writes a create makes
 *    replayed at the same concurrency against the same DynamoDB Local.
 *
 * 4. App Mode (test/bench/app-mode.ts, in a child process): virtual clusters created in
 *    beehive by many users at once, then paused, resumed, and a two-tier app deployed;
 *    latency to the end of each execution, states, DynamoDB calls and transaction
 *    conflicts per action, beside a create's raw transactions on the same hot items.
 *
 * 5. Usage rollup (test/bench/rollup.ts, in a child process): rollup-usage over 2,000 and
 *    10,000 virtual clusters (and their apps and hosts) seeded straight into DynamoDB Local,
 *    in invocations bounded at 60 s as the scheduled Lambda runs it: wall time,
 *    invocations, items read and written per cluster, the 10k/2k ratio (linear: 5), beside
 *    raw BatchWriteItem of the records it writes.
 *
 * 5. The AWS bill (test/bench/aws-cost.ts, in a child process): what a request, a
 *    virtual-cluster and host-cluster lifecycle, an app deploy and a virtual-cluster
 *    month of scheduled jobs consume, in the units AWS bills, priced with aws-prices.ts.
 *
 * 6. Clouds (test/bench/cloud-creates.ts, in a child process): host clusters on EKS, AKS
 *    and GKE created over the HTTP API, one at a time, each run to Running by the real
 *    create state machine with the cloud faked where it leaves the system (EKS: the SDK
 *    mocked with aws-sdk-client-mock; AKS and GKE: their HTTP APIs played by nock, the
 *    providers in their provider functions behind the local Lambda endpoint); states
 *    entered, DynamoDB calls, provider-function invocations and cloud requests per
 *    create and the median latency, AKS and GKE set against EKS measured in the same run.
 *
 * 7. Agent heartbeats (test/bench/heartbeats.ts, in a child process): 500 edge agents
 *    registered over the HTTP API, then each heartbeating every 10 s for 40 s (jittered
 *    starts, open loop, bounded in flight); rate, latency p50/p95/p99/max, DynamoDB calls
 *    per heartbeat (designed: one UpdateItem), beside that raw UpdateItem replayed on the
 *    same schedule against the same DynamoDB Local; and the AWS cost per agent-month
 *    (API Gateway + Lambda + the write), against the goal of $0.01.
 *
 * 8. Console (test/bench/console-bundle.ts): the web console built with vite, and the
 *    JavaScript its index.html loads first (entry script + modulepreloads) gzipped and
 *    summed, against the goal of 200 KiB; its pages load later, as chunks of their own.
 *
 * Results are also written to .palette/bench/latest.json (git-ignored).
 * Environment: BENCH_QUICK=1 runs a smaller version (for checking the script);
 * BENCH_ONLY=api,coldstart,clusters,appmode,rollup,cost,clouds,heartbeats,console (any of them) runs only those parts.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, platform, release } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Before any handler module loads: the Powertools logger would print every request.
process.env.POWERTOOLS_LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'WARN';
process.env.LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'WARN';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

const { benchApi } = await import('./api-latency.ts');
const { benchColdStart, BASELINE, MAX_IMPORT_RATIO } = await import('./cold-start.ts');
const { API_BUNDLE_EXCEPTIONS, MAX_API_BUNDLE_BYTES, PACKAGES_BESIDE_BUNDLE } = await import('#infra/aws/function-defaults.ts');
const { formatTable, kib, ms, ratio } = await import('./stats.ts');
const { runHostClusterBench } = await import('./host-clusters.ts');
const { runAppModeBench } = await import('./app-mode.ts');
const { runAwsCostBench } = await import('./aws-cost.ts');
const { AWS_PRICES, costOf, nothing, usd } = await import('./aws-prices.ts');
const { runRollupBench } = await import('./rollup.ts');
const { runCloudCreateBench } = await import('./cloud-creates.ts');
const { runHeartbeatBench } = await import('./heartbeats.ts');
const { measureConsoleBundle } = await import('./console-bundle.ts');

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const outDir = join(repoRoot, '.palette', 'bench');
const quick = process.env.BENCH_QUICK === '1';
const only = new Set((process.env.BENCH_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean));
const runs = (part: 'api' | 'coldstart' | 'clusters' | 'appmode' | 'cost' | 'rollup' | 'clouds' | 'heartbeats' | 'console') => only.size === 0 || only.has(part);

const config = {
  concurrencies: [1, 16],
  requests: quick ? { 1: 60, 16: 160 } : { 1: 300, 16: 800 },
  warmup: quick ? 20 : 50,
  coldStartRuns: quick ? 2 : 5,
  hostClusters: { clusters: quick ? 50 : 200, concurrency: 50, warmup: 5, simSpeed: 1000, pollIntervalMs: 100, timeoutMs: 80_000 },
  rollup: { sizes: quick ? [500, 2500] : [2000, 10000], budgetMs: 60_000, tightBudgetMs: 2_000 },
  cost: { requests: quick ? 20 : 100, lifecycles: quick ? 5 : 20, virtualClustersForJobs: quick ? 10 : 40, simSpeed: 1000 },
  clouds: { clusters: quick ? 2 : 5, warmup: 1, simSpeed: 1000, pollIntervalMs: 10, createTimeoutMs: 20_000 },
  heartbeats: quick
    ? { agents: 50, registerConcurrency: 16, intervalSeconds: 2, durationSeconds: 10, baselineSeconds: 6, maxInFlight: 64 }
    : { agents: 500, registerConcurrency: 32, intervalSeconds: 10, durationSeconds: 40, baselineSeconds: 12, maxInFlight: 64 },
  appMode: { virtualClusters: quick ? 20 : 100, latencyConcurrency: 1, contended: quick ? 50 : 200, concurrency: quick ? 50 : 200, actions: quick ? 10 : 30, simSpeed: 1000, timeoutMs: 180_000 },
};

const benchStarted = performance.now();
const log = (line: string) => console.log(`  · ${line}`);
const heading = (title: string) => console.log(`\n=== ${title} ${'='.repeat(Math.max(0, 86 - title.length))}\n`);

console.log(
  `Palette benchmark — Node ${process.version}, ${platform()} ${release()}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}${quick ? ' (QUICK)' : ''}`,
);

// ---------------------------------------------------------------------------------------------
const api = runs('api')
  ? (heading('1. API latency (local runtime) vs raw DynamoDB call'),
    await benchApi({ concurrencies: config.concurrencies, requests: config.requests, warmup: config.warmup }, log))
  : undefined;
if (api) {
  console.log('\nAPI through the local gateway (authorizer + handler), latencies in ms:\n');
  console.log(
    formatTable(
      ['endpoint', 'clients', 'n', 'p50', 'p99', 'mean', 'req/s', 'DDB calls/req'],
      api.scenarios.map((s) => [
        s.endpoint,
        String(s.concurrency),
        String(s.api.n),
        ms(s.api.p50),
        ms(s.api.p99),
        ms(s.api.mean),
        s.api.throughput.toFixed(0),
        s.ddbCallsPerRequestTotal.toFixed(2),
      ]),
    ),
  );
  console.log('\nRaw DynamoDB call of the handler core (same DynamoDB Local, same concurrency), in ms:\n');
  console.log(
    formatTable(
      ['endpoint', 'raw call', 'clients', 'n', 'p50', 'p99', 'mean', 'ops/s'],
      api.scenarios.map((s) => [
        s.endpoint,
        s.rawCall,
        String(s.concurrency),
        String(s.raw.n),
        ms(s.raw.p50),
        ms(s.raw.p99),
        ms(s.raw.mean),
        s.raw.throughput.toFixed(0),
      ]),
      2,
    ),
  );
  console.log('\nOverhead (API / raw) and the DynamoDB calls behind each API request:\n');
  console.log(
    formatTable(
      ['endpoint', 'clients', 'p50', 'p99', 'mean', 'req/s ratio', 'DynamoDB calls per API request'],
      api.scenarios.map((s) => [
        s.endpoint,
        String(s.concurrency),
        ratio(s.api.p50 / s.raw.p50),
        ratio(s.api.p99 / s.raw.p99),
        ratio(s.api.mean / s.raw.mean),
        ratio(s.api.throughput / s.raw.throughput),
        Object.entries(s.ddbCallsPerRequest)
          .map(([name, n]) => `${name} ${Number.isInteger(n) ? n : n.toFixed(2)}`)
          .join(', '),
      ]),
      2,
    ),
  );
  const sameWrite = api.scenarios.filter((s) => s.rawSameWrite);
  if (sameWrite.length) {
    console.log('\nPOST beside the very transaction its handler commits, sent raw (5 items: project, name, key and role guards, audit):\n');
    console.log(
      formatTable(
        ['endpoint', 'clients', 'raw 5-item p50', 'API p50', 'API / raw 5-item', 'raw 5-item / raw 2-item'],
        sameWrite.map((s) => [s.endpoint, String(s.concurrency), ms(s.rawSameWrite!.p50), ms(s.api.p50), ratio(s.api.p50 / s.rawSameWrite!.p50), ratio(s.rawSameWrite!.p50 / s.raw.p50)]),
        2,
      ),
    );
  }
}

// ---------------------------------------------------------------------------------------------
const cold = runs('coldstart')
  ? (heading('2. Cold start: bundle size and import time in a fresh Node process'),
    await benchColdStart({ runs: config.coldStartRuns, workDir: join(outDir, 'bundles') }, log))
  : undefined;

const baselineOf = (variant: string) => {
  const b = cold?.bundles.find((x) => x.variant === variant && x.name === BASELINE);
  if (!b) throw new Error(`no baseline for ${variant}`);
  return b;
};
if (cold) {
  const cdkBase = baselineOf('cdk');
  const allInBase = baselineOf('all-in');

  console.log(
    `\nAs the CDK stack bundles them (@aws-sdk/* external, loaded from node_modules as from the Lambda runtime);` +
      `\nmedian of ${cold.runs} fresh processes; "+maps" = with --enable-source-maps (the stack's NODE_OPTIONS):\n`,
  );
  console.log(
    formatTable(
      ['bundle', 'size', 'map', 'import ms', 'x base', 'import+maps', 'x base', 'process ms', 'x base'],
      cold.bundles
        .filter((b) => b.variant === 'cdk')
        .map((b) => [
          b.name,
          kib(b.bytes),
          kib(b.mapBytes),
          ms(b.plain.importMs, 1),
          ratio(b.plain.importMs / cdkBase.plain.importMs),
          ms(b.sourceMaps?.importMs ?? Number.NaN, 1),
          ratio((b.sourceMaps?.importMs ?? Number.NaN) / (cdkBase.sourceMaps?.importMs ?? Number.NaN)),
          ms(b.plain.processMs, 1),
          ratio(b.plain.processMs / cdkBase.plain.processMs),
        ]),
    ),
  );
  const requestPath = cold.bundles.filter((b) => b.variant === 'cdk' && (b.name.startsWith('api/') || b.name === 'authorizer'));
  const overSize = requestPath
    .filter((b) => b.bytes > MAX_API_BUNDLE_BYTES)
    .map((b) => `${b.name} ${kib(b.bytes)}${API_BUNDLE_EXCEPTIONS[b.name] ? ` (documented: ${API_BUNDLE_EXCEPTIONS[b.name]!.why})` : ''}`);
  const overTime = requestPath
    .filter((b) => b.plain.importMs / cdkBase.plain.importMs > MAX_IMPORT_RATIO)
    .map((b) => `${b.name} ${ratio(b.plain.importMs / cdkBase.plain.importMs)}`);
  console.log(
    `\nAPI functions and the authorizer: at most ${kib(MAX_API_BUNDLE_BYTES)} (${overSize.length ? `over: ${overSize.join(', ')}` : 'all within'}),` +
      ` import at most ${MAX_IMPORT_RATIO}x the baseline (${overTime.length ? `over: ${overTime.join(', ')}` : 'all within'}).`,
  );
  console.log(`\nWhat each bundle holds (esbuild's metafile: minified KiB by package or folder of ours). Outside the bundles: the`);
  console.log(`AWS SDK (from the Lambda runtime) and, beside the bundles that import() them, ${Object.entries(PACKAGES_BESIDE_BUNDLE).map(([name, pkg]) => `${name} (${pkg.why})`).join('; ')}:\n`);
  for (const b of cold.bundles.filter((x) => x.variant === 'cdk' && x.name !== BASELINE)) {
    const top = b.modules.slice(0, 7).map((m) => `${m.module} ${(m.bytes / 1024).toFixed(1)}`);
    console.log(`  ${b.name.padEnd(22)} ${kib(b.bytes).padStart(10)}  ${top.join(' · ')}`);
    const sdk = (names: string[]) => (names.length ? names.map((n) => n.replace('@aws-sdk/', '')).join(', ') : '-');
    console.log(`  ${''.padEnd(22)} ${''.padStart(10)}  outside it, at init: ${sdk(b.externalAtInit)}; on first use: ${sdk(b.externalOnDemand)}`);
  }
  console.log(`\nEverything bundled (SDK included), for comparison; median of ${cold.runs}:\n`);
  console.log(
    formatTable(
      ['bundle', 'size', 'x base', 'import ms', 'x base', 'process ms', 'x base'],
      cold.bundles
        .filter((b) => b.variant === 'all-in')
        .map((b) => [
          b.name,
          kib(b.bytes),
          ratio(b.bytes / allInBase.bytes),
          ms(b.plain.importMs, 1),
          ratio(b.plain.importMs / allInBase.plain.importMs),
          ms(b.plain.processMs, 1),
          ratio(b.plain.processMs / allInBase.plain.processMs),
        ]),
    ),
  );

}

// ---------------------------------------------------------------------------------------------
const hc = runs('clusters')
  ? (heading(`3. Host clusters: ${config.hostClusters.clusters} sim clusters through the API and the create workflow`),
    await runHostClusterBench(config.hostClusters, log))
  : undefined;
if (hc) {
  console.log(
    `\n${hc.options.clusters} creates, ${hc.options.concurrency} POSTs in flight; sim provider instant (provisionSeconds 0, speed ${hc.options.simSpeed}),` +
      `\nso the time is the orchestration: API, state machine, step Lambda, provider calls and DynamoDB. Only the POSTs are` +
      `\nbounded: each execution runs on beside the next POSTs, so a cluster's latency includes queueing behind all of them.` +
      `\nThe raw line replays the create's DynamoDB writes, one sequence per cluster, at the same concurrency. Latencies in ms:\n`,
  );
  console.log(
    formatTable(
      ['what', 'n', 'p50', 'p99', 'mean', 'wall s', 'per s'],
      (
        [
          ['POST /clusters (202)', hc.post],
          ['cluster: POST sent -> execution ended', hc.cluster],
          ["raw: the create's writes, same concurrency", hc.baseline.sequence],
        ] as const
      ).map(([name, l]) => [name, String(l.n), ms(l.p50, 1), ms(l.p99, 1), ms(l.mean, 1), (l.wallMs / 1000).toFixed(2), l.throughput.toFixed(1)]),
    ),
  );
  console.log(
    `\nall ${hc.options.clusters} listed Running after ${(hc.wallMs / 1000).toFixed(2)} s (last execution ended at ${(hc.lastExecutionEndMs / 1000).toFixed(2)} s); ` +
      `${hc.executionsSucceeded}/${hc.options.clusters} executions SUCCEEDED` +
      `\nstates entered per create: ${hc.statesEnteredPerCreate.mean.toFixed(2)} (min ${hc.statesEnteredPerCreate.min}, max ${hc.statesEnteredPerCreate.max}): ${hc.statesEnteredPerCreate.path.join(' > ')}` +
      `\nhistory events per create: ${hc.historyEventsPerCreate.toFixed(1)}` +
      `\nDynamoDB calls per cluster (API + steps; the poller's ${hc.poll.requests} list requests = ${hc.poll.ddbCalls.toFixed(0)} calls taken out): ` +
      Object.entries(hc.ddbCallsPerCluster)
        .map(([name, n]) => `${name} ${Number.isInteger(n) ? n : n.toFixed(2)}`)
        .join(', ') +
      ` = ${hc.ddbCallsPerClusterTotal.toFixed(2)}, of which writes ${hc.ddbWritesPerCluster.toFixed(2)}` +
      `\nraw baseline per cluster: ${hc.baseline.description}` +
      `\nevent-loop utilization of the runtime process: ${(hc.eventLoopUtilization * 100).toFixed(0)}% while creating, ` +
      `${(hc.baseline.eventLoopUtilization * 100).toFixed(0)}% during the raw replay (DynamoDB Local is a separate JVM on the same ${cpus().length} cores)`,
  );
}

// ---------------------------------------------------------------------------------------------
const am = runs('appmode')
  ? (heading(`4. App Mode: ${config.appMode.virtualClusters} virtual clusters one at a time, ${config.appMode.contended} with ${config.appMode.concurrency} at once, pause, resume, app deploys`),
    await runAppModeBench(config.appMode, log))
  : undefined;
if (am) {
  console.log(
    `\nThe emulator's readiness and every Wait scaled away (speed ${am.options.simSpeed}),` +
      `\nso the time is the orchestration (vCluster itself takes seconds). Latency: request sent -> its execution ended, in ms:\n`,
  );
  console.log(
    formatTable(
      ['action', 'n', 'p50', 'p99', 'request p50', 'states', 'DDB calls', 'txn conflicts', 're-placed', 'ok'],
      am.actions.map((a) => [
        a.action,
        String(a.n),
        ms(a.done.p50, 0),
        ms(a.done.p99, 0),
        ms(a.request.p50, 0),
        `${a.statesEntered.mean.toFixed(1)} (max ${a.statesEntered.max})`,
        a.ddbCallsPerActionTotal.toFixed(1),
        a.transactionConflictsPerAction.toFixed(2),
        a.placementRetriesPerAction.toFixed(2),
        `${a.succeeded}/${a.n}`,
      ]),
    ),
  );
  for (const a of am.actions) {
    console.log(`\n${a.action}: ${a.statesEntered.path.join(' > ')}\n  DynamoDB calls: ${Object.entries(a.ddbCallsPerAction).map(([n, c]) => `${n} ${c.toFixed(2)}`).join(', ')}`);
  }
  console.log(
    `\nraw: ${am.baseline.description}: one at a time p50 ${ms(am.baseline.sequence.p50, 0)} ms, p99 ${ms(am.baseline.sequence.p99, 0)} ms; ` +
      `${am.options.concurrency} at once p50 ${ms(am.baseline.contended.p50, 0)} ms, p99 ${ms(am.baseline.contended.p99, 0)} ms; ` +
      `${am.baseline.transactionConflictsPerSequence.toFixed(2)} transaction conflicts per sequence`,
  );
}

// ---------------------------------------------------------------------------------------------
const ru = runs('rollup')
  ? (heading(`5. Usage rollup: rollup-usage over ${config.rollup.sizes.join(' and ')} virtual clusters seeded into DynamoDB Local`),
    await runRollupBench(config.rollup, log))
  : undefined;
if (ru) {
  console.log(
    `\nEach virtual cluster allocated since the start of the previous hour (a third resized, paused or deleted), an app for every fourth,` +
      `\none host per 200 and one tenant per 50; invocations bounded at ${ru.options.budgetMs / 1000} s, as the scheduled Lambda runs them:\n`,
  );
  console.log(
    formatTable(
      ['virtual clusters', 'apps', 'wall s', 'invocations', 'records', 'items read/VC', 'items written/VC', 'DDB calls/VC', 'raw writes s', 'x raw'],
      ru.sizes.map((r) => [
        String(r.virtualClusters),
        String(r.apps),
        (r.wallMs / 1000).toFixed(2),
        String(r.invocations),
        String(r.records),
        r.perCluster.itemsRead.toFixed(2),
        r.perCluster.itemsWritten.toFixed(2),
        r.perCluster.ddbCalls.toFixed(3),
        (r.rawWriteMs / 1000).toFixed(2),
        ratio(r.wallMs / r.rawWriteMs),
      ]),
    ),
  );
  console.log(
    `\nwall time ${ru.sizes.at(-1)!.virtualClusters}/${ru.sizes[0]!.virtualClusters} = ${ratio(ru.scaling.wallRatio)} for ${ratio(ru.scaling.sizeRatio)} the clusters ` +
      `(per cluster ${ratio(ru.scaling.perClusterRatio)}; goal: at most ${(ru.scaling.sizeRatio * 1.1).toFixed(1)}x)` +
      `\nDynamoDB calls at ${ru.sizes.at(-1)!.virtualClusters}: ${Object.entries(ru.sizes.at(-1)!.ddbCalls).map(([n, c]) => `${n} ${c}`).join(', ')}` +
      (ru.sizes.at(-1)!.bounded
        ? `\nagain from scratch with each invocation bounded at ${ru.sizes.at(-1)!.bounded!.budgetMs / 1000} s: ${ru.sizes.at(-1)!.bounded!.invocations} invocations, ` +
          `${(ru.sizes.at(-1)!.bounded!.wallMs / 1000).toFixed(2)} s, ${ru.sizes.at(-1)!.bounded!.records} records (${ru.sizes.at(-1)!.records} in one go)`
        : ''),
  );
}

// ---------------------------------------------------------------------------------------------
const cost = runs('cost') ? (heading('5. The AWS bill per unit of work'), await runAwsCostBench(config.cost, log)) : undefined;
if (cost) {
  console.log(
    `\nOn-demand prices, ${AWS_PRICES.region}, read ${AWS_PRICES.readOn} (test/bench/aws-prices.ts). Per unit: DynamoDB units (ReturnConsumedCapacity),` +
      `\nstate transitions and step time (execution history), API Lambda time = the request's latency at one client (an upper bound), 1 GB:\n`,
  );
  console.log(
    formatTable(
      ['unit of work', 'n', 'RRU', 'WRU', 'transitions', 'Lambda inv', 'GB-s', 'per unit', 'per 1,000', 'DynamoDB share'],
      cost.units.map((u) => [
        u.unit,
        String(u.n),
        u.consumption.readUnits.toFixed(1),
        u.consumption.writeUnits.toFixed(1),
        u.consumption.stateTransitions.toFixed(1),
        u.consumption.lambdaInvocations.toFixed(1),
        u.consumption.lambdaGbSeconds.toFixed(3),
        usd(u.cost.total),
        usd(u.cost.total * 1000),
        `${((u.cost.dynamodb / u.cost.total) * 100).toFixed(0)}%`,
      ]),
    ),
  );
  const vm = cost.virtualClusterMonth;
  console.log(
    `\nA virtual cluster month of control-plane overhead (the scheduled jobs' share, measured over ${cost.options.virtualClustersForJobs} virtual clusters):\n`,
  );
  console.log(
    formatTable(
      ['job', 'runs / month', 'RRU / run / VC', 'WRU / run / VC', 'per VC-month'],
      vm.perJob.map((j) => [j.job, j.runsPerMonth.toFixed(0), j.perRun.readUnits.toFixed(2), j.perRun.writeUnits.toFixed(2), usd(costOf(Object.fromEntries(Object.entries(j.perRun).map(([k, v]) => [k, v * j.runsPerMonth])) as never).total)]),
    ),
  );
  console.log(`\ntotal per virtual-cluster-month: ${usd(vm.cost.total)} (goal: <= $0.02)`);
}

// ---------------------------------------------------------------------------------------------
const cl = runs('clouds')
  ? (heading(`6. Clouds: ${config.clouds.clusters} host clusters each on EKS, AKS and GKE through the API and the create workflow`),
    await runCloudCreateBench(config.clouds, log))
  : undefined;
const eksBase = cl?.clouds.find((c) => c.cloud === 'eks');
if (cl && eksBase) {
  const dec = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2));
  const byName = (counts: Record<string, number>) =>
    Object.entries(counts)
      .map(([name, n]) => `${name} ${dec(n)}`)
      .join(', ') || '-';
  console.log(
    `\nOne create at a time after ${cl.options.warmup} warm-up per cloud; every poll and retry interval divided by ${cl.options.simSpeed} (a 30 s poll` +
      `\nwaits ${(30_000 / cl.options.simSpeed).toFixed(0)} ms). EKS: the AWS SDK mocked (aws-sdk-client-mock) in the step Lambda; AKS, GKE: nock plays` +
      `\nAzure and Google at HTTP for the provider functions. Latency: POST sent -> execution ended, in ms; counts per create:\n`,
  );
  console.log(
    formatTable(
      ['cloud', 'n', 'ok', 'median ms', 'min', 'max', 'POST p50', 'states', 'min', 'max', 'step inv', 'DDB calls', 'DDB writes', 'provider inv', 'cloud req'],
      cl.clouds.map((c) => [
        c.cloud,
        String(c.n),
        `${c.succeeded}/${c.n}`,
        ms(c.medianMs, 0),
        ms(c.latency.min, 0),
        ms(c.latency.max, 0),
        ms(c.post.p50, 1),
        c.statesEnteredPerCreate.mean.toFixed(1),
        String(c.statesEnteredPerCreate.min),
        String(c.statesEnteredPerCreate.max),
        c.stepInvocationsPerCreate.toFixed(1),
        c.ddbCallsPerCreateTotal.toFixed(1),
        c.ddbWritesPerCreate.toFixed(1),
        c.providerInvocationsPerCreateTotal.toFixed(1),
        c.cloudRequestsPerCreateTotal.toFixed(1),
      ]),
    ),
  );
  console.log('\nAgainst EKS, measured in the same run:\n');
  console.log(
    formatTable(
      ['cloud', 'states', 'DDB calls', 'median latency'],
      cl.clouds.map((c) => [
        `${c.cloud} / eks`,
        ratio(c.statesEnteredPerCreate.mean / eksBase.statesEnteredPerCreate.mean),
        ratio(c.ddbCallsPerCreateTotal / eksBase.ddbCallsPerCreateTotal),
        ratio(c.medianMs / eksBase.medianMs),
      ]),
    ),
  );
  for (const c of cl.clouds) {
    console.log(
      `\n${c.cloud} (${c.runsIn}): ${c.statesEnteredPerCreate.path.join(' > ')}` +
        `\n  DynamoDB calls: ${byName(c.ddbCallsPerCreate)} = ${c.ddbCallsPerCreateTotal.toFixed(2)}` +
        `\n  provider invocations: ${byName(c.providerInvocationsPerCreate)}` +
        `\n  cloud requests: ${byName(c.cloudRequestsPerCreate)}`,
    );
  }
  console.log(
    `\n(waiting read ${cl.waitCalls} DescribeExecution answers from the Step Functions endpoint, no DynamoDB; the Running check came after the counts)`,
  );
}

// ---------------------------------------------------------------------------------------------
const hbOpts = config.heartbeats;
const hbr = runs('heartbeats')
  ? (heading(`7. Agent heartbeats: ${hbOpts.agents} edge agents every ${hbOpts.intervalSeconds} s for ${hbOpts.durationSeconds} s`),
    await runHeartbeatBench(hbOpts, log))
  : undefined;
/** Heartbeats an agent sends in a 30-day month at the production interval (10 s). */
const HEARTBEATS_PER_AGENT_MONTH = (30 * 24 * 3600) / 10;
const AGENT_MONTH_GOAL = 0.01;
const hbCost = hbr
  ? (() => {
      const perHeartbeat = {
        ...nothing(),
        apiRequests: 1,
        lambdaInvocations: 1,
        // 1024 MB = 1 GB; the duration is the server-side time rounded up to the ms, per heartbeat.
        lambdaGbSeconds: hbr.heartbeat.billedMsPerHeartbeat / 1000,
        writeUnits: hbr.baseline.writeUnitsPerUpdate * hbr.heartbeat.ddbCallsPerHeartbeatTotal,
      };
      const each = costOf(perHeartbeat);
      /** The interval (s) at which a month of heartbeats costs `goal`, for a cost per heartbeat. */
      const intervalFor = (perBeat: number) => (perBeat * 30 * 24 * 3600) / AGENT_MONTH_GOAL;
      return { perHeartbeat, each, month: each.total * HEARTBEATS_PER_AGENT_MONTH, intervalFor };
    })()
  : undefined;
if (hbr && hbCost) {
  const h = hbr.heartbeat;
  const b = hbr.baseline;
  const dec = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(3));
  const byName = (counts: Record<string, number>) =>
    Object.entries(counts)
      .map(([name, n]) => `${name} ${dec(n)}`)
      .join(', ') || '-';
  const errs = (counts: Record<string, number>) => (Object.keys(counts).length ? ` (${byName(counts)})` : '');
  console.log(
    `\n${hbOpts.agents} agents registered (${hbOpts.registerConcurrency} in flight): p50 ${ms(hbr.register.latency.p50, 1)} ms, p99 ${ms(hbr.register.latency.p99, 1)} ms, ` +
      `${(hbr.register.latency.wallMs / 1000).toFixed(2)} s; DynamoDB calls per registration: ${byName(hbr.register.ddbCallsPerRegistration)}` +
      `\nthen each agent heartbeats (body {}) every ${hbOpts.intervalSeconds} s on its own schedule, starts jittered over one interval, open loop,` +
      `\n<= ${hbOpts.maxInFlight} in flight; loopback, load generator + gateway + handler in one process, DynamoDB Local (JVM) on the same ${cpus().length} cores.` +
      `\nThe raw line: ${b.description},\nsent on the same schedule (same agents, offsets, rate, cap) for ${hbOpts.baselineSeconds} s. Latencies in ms:\n`,
  );
  console.log(
    formatTable(
      ['what', 'scheduled', 'ok', 'errors', 'target/s', 'achieved/s', 'p50', 'p95', 'p99', 'max', 'lag p99', 'waited', 'max in flight', 'ELU'],
      (
        [
          ['heartbeat (client: send -> body read)', h],
          ['raw UpdateItem, same schedule', b],
        ] as const
      ).map(([name, s]) => [
        name,
        String(s.scheduled),
        String(s.ok),
        String(s.errors),
        s.targetPerSecond.toFixed(1),
        s.achievedPerSecond.toFixed(1),
        ms(s.latency.p50),
        ms(s.latency.p95),
        ms(s.latency.p99),
        ms(s.latency.max),
        ms(s.lag.p99),
        String(s.waitedForSlot),
        String(s.maxInFlightSeen),
        `${(s.eventLoopUtilization * 100).toFixed(0)}%`,
      ]),
    ),
  );
  console.log(
    `\nheartbeat server side (gateway request start -> response finished; the handler's duration is at most this): ` +
      `p50 ${ms(h.server.p50)} ms, p95 ${ms(h.server.p95)}, p99 ${ms(h.server.p99)}, max ${ms(h.server.max)} (n ${h.server.n})` +
      `\nheartbeat / raw: p50 ${ratio(h.latency.p50 / b.latency.p50)}, p95 ${ratio(h.latency.p95 / b.latency.p95)}, p99 ${ratio(h.latency.p99 / b.latency.p99)}; ` +
      `server-side p50 / raw p50 ${ratio(h.server.p50 / b.latency.p50)}` +
      `\nDynamoDB calls per heartbeat: ${byName(h.ddbCallsPerHeartbeat)} = ${h.ddbCallsPerHeartbeatTotal.toFixed(3)} (designed: UpdateItem 1); ` +
      `per raw op: ${byName(b.ddbCallsPerOp)}` +
      `\nerrors: heartbeats ${h.errors}${errs(h.errorsByKind)}, raw ${b.errors}${errs(b.errorsByKind)}; answer ${h.answerBytes} B: ${JSON.stringify(h.answerSample)}` +
      `\nthe UpdateItem consumes ${b.writeUnitsPerUpdate.toFixed(2)} WRU (ReturnConsumedCapacity INDEXES: ${byName(b.writeUnitsPerUpdateBy)}; agent item ${b.itemBytes} B as JSON, <= 1 KB)` +
      (Object.keys(b.writeUnitsPerUpdateBy).some((k) => k !== 'table')
        ? `:\nthe agent item is in gsi1 (projection ALL), so every lastSeenAt update rewrites its index entry too`
        : ''),
  );
  const c = hbCost.each;
  const perMonth = (v: number) => v * HEARTBEATS_PER_AGENT_MONTH;
  console.log(
    `\nAWS cost per agent-month: ${HEARTBEATS_PER_AGENT_MONTH} heartbeats (30 days at 10 s), on-demand ${AWS_PRICES.region} prices read ${AWS_PRICES.readOn};` +
      `\nLambda at 1024 MB billed ${hbr.heartbeat.billedMsPerHeartbeat.toFixed(2)} ms per heartbeat (the measured server-side time, rounded up to the ms each;` +
      `\nan upper bound: it includes the local gateway's event building; on AWS the UpdateItem round trip is the network's, not loopback's):\n`,
  );
  console.log(
    formatTable(
      ['service', 'billed per heartbeat', 'per heartbeat', 'per agent-month', 'share'],
      (
        [
          ['API Gateway HTTP API', `1 request`, c.apiGateway],
          ['Lambda requests', `1 invocation`, hbCost.perHeartbeat.lambdaInvocations * AWS_PRICES.lambda.perRequest],
          ['Lambda duration', `${hbCost.perHeartbeat.lambdaGbSeconds.toFixed(5)} GB-s`, hbCost.perHeartbeat.lambdaGbSeconds * AWS_PRICES.lambda.perGbSecond],
          ['DynamoDB on-demand writes', `${hbCost.perHeartbeat.writeUnits.toFixed(2)} WRU (${byName(b.writeUnitsPerUpdateBy)})`, c.dynamodb],
          ['total', '', c.total],
        ] as const
      ).map(([service, billed, v]) => [service, billed, usd(v), usd(perMonth(v)), `${((v / c.total) * 100).toFixed(0)}%`]),
      2,
    ),
  );
  const intervals = [10, 30, 60, 120, 300, 600];
  console.log(`\nGoal: <= ${usd(AGENT_MONTH_GOAL)} per agent-month. By heartbeat interval (s):\n`);
  console.log(
    formatTable(
      ['interval s', 'heartbeats/month', 'total per agent-month', 'DynamoDB write alone', 'API GW + Lambda', 'meets goal'],
      intervals.map((s) => {
        const n = (30 * 24 * 3600) / s;
        return [String(s), n.toFixed(0), usd(c.total * n), usd(c.dynamodb * n), usd((c.total - c.dynamodb) * n), c.total * n <= AGENT_MONTH_GOAL ? 'yes' : 'no'];
      }),
    ),
  );
  const oneWru = c.total - c.dynamodb + AWS_PRICES.dynamodbOnDemand.perWriteRequestUnit;
  if (hbCost.perHeartbeat.writeUnits > 1.01) {
    console.log(
      `\nwith 1 WRU per heartbeat (the table item alone, as if gsi1 did not project lastSeenAt): ${usd(oneWru)} per heartbeat, ` +
        `${usd(oneWru * HEARTBEATS_PER_AGENT_MONTH)} per agent-month at 10 s, goal met at >= ${hbCost.intervalFor(oneWru).toFixed(0)} s`,
    );
  }
  console.log(
    `\nper agent-month at 10 s: ${usd(hbCost.month)} = ${ratio(hbCost.month / AGENT_MONTH_GOAL)} the goal. The goal is met at an interval >= ${hbCost.intervalFor(c.total).toFixed(0)} s` +
      ` with API Gateway + Lambda + DynamoDB; even the DynamoDB write alone needs >= ${hbCost.intervalFor(c.dynamodb).toFixed(0)} s` +
      ` (at 10 s it costs ${usd(perMonth(c.dynamodb))} per agent-month by itself).`,
  );
}

// ---------------------------------------------------------------------------------------------
const consoleBundle = runs('console') ? (heading('8. Console: the first-load JavaScript of the web console'), await measureConsoleBundle()) : undefined;
if (consoleBundle) {
  console.log(`built with vite in ${(consoleBundle.buildMs / 1000).toFixed(1)} s; what console/dist/index.html loads first (gzip -9 of each file):\n`);
  console.log(
    formatTable(
      ['file', 'loaded as', 'size', 'gzipped'],
      [
        ...consoleBundle.firstLoad.map((f) => [f.file, f.how, kib(f.bytes), kib(f.gzipBytes)]),
        ['first load', '', kib(consoleBundle.firstLoadBytes), kib(consoleBundle.firstLoadGzipBytes)],
      ],
    ),
  );
  console.log(
    `\nevery JavaScript file of the build (pages load on demand): ${consoleBundle.allJs.files} files, ${kib(consoleBundle.allJs.bytes)}, ${kib(consoleBundle.allJs.gzipBytes)} gzipped; CSS ${kib(consoleBundle.css.gzipBytes)} gzipped` +
      `\ngoal: first load <= ${kib(consoleBundle.goalBytes)} gzipped: ${consoleBundle.met ? 'met' : 'NOT met'}`,
  );
}

// ---------------------------------------------------------------------------------------------
const durationMs = performance.now() - benchStarted;
const summaryLines: string[] = [];
for (const s of api?.scenarios ?? []) {
  summaryLines.push(
    `${s.endpoint.padEnd(22)} c=${String(s.concurrency).padEnd(3)} API p50 ${ms(s.api.p50).padStart(7)} ms / raw ${ms(s.raw.p50).padStart(6)} ms = ${ratio(s.api.p50 / s.raw.p50).padStart(6)}` +
      `   p99 ${ms(s.api.p99).padStart(7)} / ${ms(s.raw.p99).padStart(6)} = ${ratio(s.api.p99 / s.raw.p99).padStart(6)}` +
      `   ${s.api.throughput.toFixed(0).padStart(4)} req/s   ${s.ddbCallsPerRequestTotal.toFixed(2)} DDB calls/req` +
      (s.rawSameWrite ? `   (vs its own 5-item transaction raw: ${ratio(s.api.p50 / s.rawSameWrite.p50)})` : ''),
  );
}
if (api) summaryLines.push('');
for (const b of cold?.bundles.filter((x) => x.name !== BASELINE) ?? []) {
  const base = b.variant === 'cdk' ? baselineOf('cdk') : baselineOf('all-in');
  summaryLines.push(
    `cold start ${b.variant.padEnd(6)} ${b.name.padEnd(14)} ${kib(b.bytes).padStart(10)}   import ${ms(b.plain.importMs, 1).padStart(6)} ms / baseline ${ms(base.plain.importMs, 1).padStart(6)} ms = ${ratio(b.plain.importMs / base.plain.importMs).padStart(6)}` +
      (b.sourceMaps && base.sourceMaps
        ? `   (+maps ${ratio(b.sourceMaps.importMs / base.sourceMaps.importMs)})`
        : ''),
  );
}
if (cold) summaryLines.push('');
if (hc) {
  summaryLines.push(
    `host clusters n=${hc.options.clusters} c=${hc.options.concurrency}   all Running in ${(hc.wallMs / 1000).toFixed(2)} s = ${hc.clustersPerSecond.toFixed(1)} clusters/s` +
      `   / raw writes ${(hc.baseline.wallMs / 1000).toFixed(2)} s = ${ratio(hc.wallMs / hc.baseline.wallMs)}` +
      `   per cluster p50 ${ms(hc.cluster.p50, 0)} ms / raw ${ms(hc.baseline.sequence.p50, 0)} ms = ${ratio(hc.cluster.p50 / hc.baseline.sequence.p50)}`,
    `host clusters: ${hc.statesEnteredPerCreate.mean.toFixed(2)} states entered per create, ${hc.ddbCallsPerClusterTotal.toFixed(2)} DDB calls/cluster ` +
      `(${hc.ddbWritesPerCluster.toFixed(2)} writes; raw sequence ${Object.values(hc.baseline.writesPerSequence).reduce((a, b) => a + b, 0)} writes)` +
      `   ${(hc.wallMs / hc.options.clusters).toFixed(1)} ms/cluster vs raw ${(hc.baseline.wallMs / hc.options.clusters).toFixed(1)} ms/cluster (amortized)`,
    '',
  );
}
if (am) {
  const [create, contended] = am.actions;
  summaryLines.push(
    ...am.actions.map(
      (a) =>
        `${a.action.padEnd(34)} p50 ${ms(a.done.p50, 0).padStart(5)} ms  p99 ${ms(a.done.p99, 0).padStart(5)} ms  ${a.statesEntered.mean.toFixed(1)} states  ${a.ddbCallsPerActionTotal.toFixed(1)} DDB calls`,
    ),
    `virtual cluster create p50 / raw writes p50 = ${ratio(create!.done.p50 / am.baseline.sequence.p50)} one at a time; ${am.options.contended} creates ${am.options.concurrency} at once: ` +
      `wall ${(contended!.done.wallMs / 1000).toFixed(2)} s / raw writes ${(am.baseline.contended.wallMs / 1000).toFixed(2)} s = ${ratio(contended!.done.wallMs / am.baseline.contended.wallMs)} (goal <= 3x); ` +
      `/ (raw writes + the emulated vcluster's own ${(am.emulatedVclusterWallMs / 1000).toFixed(2)} s) = ${ratio(contended!.done.wallMs / (am.baseline.contended.wallMs + am.emulatedVclusterWallMs))}` +
      `; ${contended!.transactionConflictsPerAction.toFixed(2)} transaction conflicts and ${contended!.placementRetriesPerAction.toFixed(2)} re-placements per create at ${am.options.concurrency} at once (goal: p50 <= 300 ms, p99 <= 1 s, <= 12 states)`,
    '',
  );
}
if (ru) {
  for (const r of ru.sizes) {
    summaryLines.push(
      `rollup-usage ${String(r.virtualClusters).padStart(6)} VCs   ${(r.wallMs / 1000).toFixed(2).padStart(7)} s in ${r.invocations} invocation(s) of <= ${ru.options.budgetMs / 1000} s` +
        `   ${r.perCluster.itemsRead.toFixed(2)} items read / ${r.perCluster.itemsWritten.toFixed(2)} written per VC   / raw writes ${(r.rawWriteMs / 1000).toFixed(2)} s = ${ratio(r.wallMs / r.rawWriteMs)}`,
    );
  }
  summaryLines.push(`rollup-usage ${ru.sizes.at(-1)!.virtualClusters}/${ru.sizes[0]!.virtualClusters} wall time = ${ratio(ru.scaling.wallRatio)} (linear ${ratio(ru.scaling.sizeRatio)}, goal <= ${(ru.scaling.sizeRatio * 1.1).toFixed(1)}x)`, '');
}
if (cost) {
  const lifecycle = ['virtual cluster create', 'virtual cluster pause', 'virtual cluster resume', 'virtual cluster delete (with its app)'];
  const of = (unit: string) => cost.units.find((u) => u.unit === unit)!.cost.total;
  summaryLines.push(
    `AWS: per 1,000 GET /v1/projects/{id} ${usd(of('GET /v1/projects/{id}') * 1000)}, POST /v1/projects ${usd(of('POST /v1/projects') * 1000)}; ` +
      `virtual cluster lifecycle (create+pause+resume+delete) ${usd(lifecycle.reduce((a, u) => a + of(u), 0))}; app deploy ${usd(of('app deploy (postgres + container)'))}; ` +
      `host cluster create+delete ${usd(of('host cluster create') + of('host cluster delete'))}; per virtual-cluster-month ${usd(cost.virtualClusterMonth.cost.total)} (goal <= $0.02)`,
    '',
  );
}
if (cl && eksBase) {
  for (const c of cl.clouds) {
    summaryLines.push(
      `${c.cloud} host cluster create n=${c.n}   median ${ms(c.medianMs, 0).padStart(5)} ms (${ratio(c.medianMs / eksBase.medianMs)} EKS)` +
        `   ${c.statesEnteredPerCreate.mean.toFixed(1)} states (${ratio(c.statesEnteredPerCreate.mean / eksBase.statesEnteredPerCreate.mean)})` +
        `   ${c.ddbCallsPerCreateTotal.toFixed(1)} DDB calls (${ratio(c.ddbCallsPerCreateTotal / eksBase.ddbCallsPerCreateTotal)})` +
        `   ${c.providerInvocationsPerCreateTotal.toFixed(1)} provider invocations   ${c.cloudRequestsPerCreateTotal.toFixed(1)} cloud requests`,
    );
  }
  summaryLines.push('');
}
if (hbr && hbCost) {
  const h = hbr.heartbeat;
  const b = hbr.baseline;
  summaryLines.push(
    `agent heartbeats n=${hbr.options.agents} every ${hbr.options.intervalSeconds} s   ${h.ok}/${h.sent} ok at ${h.achievedPerSecond.toFixed(1)}/s` +
      `   p50 ${ms(h.latency.p50)} ms / raw ${ms(b.latency.p50)} ms = ${ratio(h.latency.p50 / b.latency.p50)}` +
      `   p99 ${ms(h.latency.p99)} / ${ms(b.latency.p99)} = ${ratio(h.latency.p99 / b.latency.p99)}` +
      `   ${h.ddbCallsPerHeartbeatTotal.toFixed(2)} DDB calls/heartbeat (${Object.keys(h.ddbCallsPerHeartbeat).join(', ')})` +
      `   AWS ${usd(hbCost.month)} per agent-month at 10 s (goal <= ${usd(AGENT_MONTH_GOAL)}: ${hbCost.month <= AGENT_MONTH_GOAL ? 'met' : `needs >= ${hbCost.intervalFor(hbCost.each.total).toFixed(0)} s`})`,
    '',
  );
}
if (consoleBundle) {
  summaryLines.push(
    `console first-load JavaScript ${kib(consoleBundle.firstLoadGzipBytes)} gzipped (${consoleBundle.firstLoad.length} file(s), ${kib(consoleBundle.firstLoadBytes)} raw) / goal ${kib(consoleBundle.goalBytes)} = ${ratio(consoleBundle.firstLoadGzipBytes / consoleBundle.goalBytes)}: ${consoleBundle.met ? 'met' : 'NOT met'}`,
    '',
  );
}
summaryLines.push(
  `total bench time ${(durationMs / 1000).toFixed(1)} s` +
    (api ? ` (runtime start ${(api.runtimeStartMs / 1000).toFixed(1)} s)` : '') +
    (hc ? ` (host clusters: runtime start ${(hc.runtimeStartMs / 1000).toFixed(1)} s)` : '') +
    (cl ? ` (clouds: runtime start ${(cl.runtimeStartMs / 1000).toFixed(1)} s, creates ${(cl.wallMs / 1000).toFixed(1)} s)` : ''),
);
heading('Summary: ratios against baselines measured in this run');
console.log(summaryLines.join('\n'));

await mkdir(outDir, { recursive: true });
const jsonPath = join(outDir, 'latest.json');
await writeFile(
  jsonPath,
  `${JSON.stringify(
    {
      finishedAt: new Date().toISOString(),
      durationMs,
      environment: { node: process.version, platform: platform(), release: release(), cpus: cpus().length, cpuModel: cpus()[0]?.model },
      config,
      api,
      coldStart: cold,
      hostClusters: hc,
      appMode: am,
      rollup: ru,
      clouds: cl,
      heartbeats: hbr && hbCost ? { ...hbr, cost: { heartbeatsPerAgentMonth: HEARTBEATS_PER_AGENT_MONTH, perHeartbeat: hbCost.perHeartbeat, each: hbCost.each, perAgentMonth: hbCost.month, goal: AGENT_MONTH_GOAL } } : undefined,
      console: consoleBundle,
      summary: summaryLines,
    },
    null,
    2,
  )}\n`,
);
console.log(`\nresults written to ${jsonPath.replace(repoRoot, '')}`);

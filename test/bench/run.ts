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
 *    imports @aws-sdk/client-dynamodb + @aws-sdk/lib-dynamodb and creates a client. A
 *    second table bundles everything (SDK included) for comparison.
 *
 * 3. Host clusters at scale (test/bench/host-clusters.ts, in a child process): 200 sim host
 *    clusters (provisionSeconds 0, high sim speed) created over the HTTP API with 50 POSTs
 *    in flight, each run to Running by the real create state machine on the local Step
 *    Functions endpoint; wall time, clusters/s, states entered per create (execution
 *    history), DynamoDB calls per cluster, beside the same DynamoDB writes a create makes
 *    replayed at the same concurrency against the same DynamoDB Local.
 *
 * Results are also written to .palette/bench/latest.json (git-ignored).
 * Environment: BENCH_QUICK=1 runs a smaller version (for checking the script);
 * BENCH_ONLY=api,coldstart,clusters (any of them) runs only those parts.
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
const { benchColdStart, BASELINE } = await import('./cold-start.ts');
const { formatTable, kib, ms, ratio } = await import('./stats.ts');
const { runHostClusterBench } = await import('./host-clusters.ts');

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const outDir = join(repoRoot, '.palette', 'bench');
const quick = process.env.BENCH_QUICK === '1';
const only = new Set((process.env.BENCH_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean));
const runs = (part: 'api' | 'coldstart' | 'clusters') => only.size === 0 || only.has(part);

const config = {
  concurrencies: [1, 16],
  requests: quick ? { 1: 60, 16: 160 } : { 1: 300, 16: 800 },
  warmup: quick ? 20 : 50,
  coldStartRuns: quick ? 2 : 5,
  hostClusters: { clusters: quick ? 50 : 200, concurrency: 50, warmup: 5, simSpeed: 1000, pollIntervalMs: 100, timeoutMs: 80_000 },
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
const durationMs = performance.now() - benchStarted;
const summaryLines: string[] = [];
for (const s of api?.scenarios ?? []) {
  summaryLines.push(
    `${s.endpoint.padEnd(22)} c=${String(s.concurrency).padEnd(3)} API p50 ${ms(s.api.p50).padStart(7)} ms / raw ${ms(s.raw.p50).padStart(6)} ms = ${ratio(s.api.p50 / s.raw.p50).padStart(6)}` +
      `   p99 ${ms(s.api.p99).padStart(7)} / ${ms(s.raw.p99).padStart(6)} = ${ratio(s.api.p99 / s.raw.p99).padStart(6)}` +
      `   ${s.api.throughput.toFixed(0).padStart(4)} req/s   ${s.ddbCallsPerRequestTotal.toFixed(2)} DDB calls/req`,
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
summaryLines.push(
  `total bench time ${(durationMs / 1000).toFixed(1)} s` +
    (api ? ` (runtime start ${(api.runtimeStartMs / 1000).toFixed(1)} s)` : '') +
    (hc ? ` (host clusters: runtime start ${(hc.runtimeStartMs / 1000).toFixed(1)} s)` : ''),
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
      summary: summaryLines,
    },
    null,
    2,
  )}\n`,
);
console.log(`\nresults written to ${jsonPath.replace(repoRoot, '')}`);

/**
 * rollup-usage at scale (in a child process, child-process.ts): N virtual clusters (and
 * an app for every fourth) seeded straight into DynamoDB Local as their meters, spread
 * over tenants (one per 50 clusters, two projects each) and host clusters (one per 200),
 * each allocated since the start of the previous hour, a third of them resized, paused
 * or deleted on the way. The job runs as the scheduled Lambda runs it: bounded
 * invocations of at most `budgetMs` each, until one reports it is complete.
 *
 * Reported per size: wall time, invocations, DynamoDB calls and items read and written
 * per virtual cluster; across sizes, the ratio of wall times (10k/2k: linear is 5);
 * beside them, the raw cost of the records the rollup writes (BatchWriteItem of the
 * same number of items of the same size, at the same concurrency).
 */
import { childMain, runInChild } from './child-process.ts';
import { countCommands } from './stats.ts';

export interface RollupBenchOptions {
  sizes: number[];
  /** The bound of one invocation (the scheduled function's JOB_BUDGET_MS). */
  budgetMs: number;
  /** A tighter bound, run again on the largest size, to show the continuation at work. */
  tightBudgetMs: number;
}

export interface RollupSizeResult {
  virtualClusters: number;
  apps: number;
  hosts: number;
  tenants: number;
  seedMs: number;
  wallMs: number;
  invocations: number;
  records: number;
  itemsRead: number;
  itemsWritten: number;
  ddbCalls: Record<string, number>;
  perCluster: { itemsRead: number; itemsWritten: number; ddbCalls: number };
  /** BatchWriteItem of as many records of the same size, the same way the rollup writes them. */
  rawWriteMs: number;
  /** The same rollup again from scratch, each invocation bounded at `tightBudgetMs`: how it continues. */
  bounded?: { budgetMs: number; invocations: number; wallMs: number; records: number };
}

export interface RollupBenchResult {
  options: RollupBenchOptions;
  sizes: RollupSizeResult[];
  /** Wall time of the largest size over the smallest, and the ratio of their sizes. */
  scaling: { wallRatio: number; sizeRatio: number; perClusterRatio: number };
}

export async function benchRollup(options: RollupBenchOptions, progress: (line: string) => void): Promise<RollupBenchResult> {
  const { startDynamoDbLocal } = await import('#infra/local/dynamodb-local.ts');
  const { ensureTable } = await import('#infra/local/runtime.ts');
  const { createStore } = await import('#shared/store/client.ts');
  const { newId } = await import('#shared/ids.ts');
  const { runJob } = await import('#shared/jobs/runner.ts');
  const { resetRollup, rollupUsage } = await import('#shared/usage/rollup.ts');
  const { putAll } = await import('#shared/usage/records.ts');
  const { seedMeters } = await import('../support/usage.ts');
  type SeededMeter = import('../support/usage.ts').SeededMeter;

  const ddb = await startDynamoDbLocal({ inMemory: true });
  const results: RollupSizeResult[] = [];
  try {
    for (const size of options.sizes) {
      const store = createStore({ tableName: `bench-rollup-${size}`, endpoint: ddb.endpoint });
      await ensureTable(store);
      const calls = countCommands(store.client, 'paletteBenchRollupCounter');
      const hourMs = 3_600_000;
      const start = Math.floor(Date.now() / hourMs) * hourMs - hourMs;
      const at = (minutes: number) => new Date(start + minutes * 60_000).toISOString();
      const tenants = Math.max(1, Math.ceil(size / 50));
      const hostCount = Math.max(1, Math.ceil(size / 200));
      const meters: SeededMeter[] = [];
      const hosts = Array.from({ length: hostCount }, (_, i) => ({ tenantId: 'system', projectId: 'prj_beehive', clusterId: newId('cluster'), name: `host-${i}` }));
      for (const host of hosts) {
        meters.push({ kind: 'cluster', tenantId: host.tenantId, projectId: host.projectId, id: host.clusterId, name: host.name, segments: [{ at: at(0), state: 'running', provider: 'sim', nodes: [{ instanceType: 'sim.4xlarge', count: 4 }] }] });
      }
      let apps = 0;
      for (let i = 0; i < size; i++) {
        const tenantId = `tnt_bench${String(i % tenants).padStart(5, '0')}`;
        const projectId = `prj_bench${i % 2}`;
        const id = newId('virtualCluster');
        const host = hosts[i % hostCount]!;
        const first = { at: at(i % 30), state: 'running' as const, cpu: 4, memoryMiB: 4096, storageGiB: 2 };
        const later =
          i % 3 === 0
            ? [{ at: at(40), state: 'running' as const, cpu: 8, memoryMiB: 8192, storageGiB: 4 }]
            : i % 3 === 1
              ? [{ at: at(50), state: 'paused' as const, cpu: 4, memoryMiB: 4096, storageGiB: 2 }]
              : i % 9 === 2
                ? [{ at: at(70), state: 'ended' as const, cpu: 4, memoryMiB: 4096, storageGiB: 2 }]
                : [];
        meters.push({ kind: 'virtualcluster', tenantId, projectId, id, name: `vc-${i}`, host: { tenantId: host.tenantId, projectId: host.projectId, clusterId: host.clusterId }, ownerId: `usr_${i % 100}`, segments: [first, ...later] });
        if (i % 4 === 0) {
          apps++;
          meters.push({ kind: 'app', tenantId, projectId, id: newId('app'), name: `app-${i}`, virtualClusterId: id, segments: [{ at: at(35), state: 'running', cpu: 1, memoryMiB: 1024, storageGiB: 1 }] });
        }
      }
      const seeded = performance.now();
      await seedMeters(store, meters);
      const seedMs = performance.now() - seeded;
      progress(`${size} virtual clusters, ${apps} apps, ${hostCount} hosts, ${tenants} tenants seeded in ${(seedMs / 1000).toFixed(1)} s`);

      calls.reset();
      const begun = performance.now();
      let invocations = 0;
      let itemsRead = 0;
      let itemsWritten = 0;
      let records = 0;
      for (;;) {
        const run = await runJob(store, 'rollup-usage', rollupUsage, { budgetMs: options.budgetMs });
        invocations++;
        itemsRead += Number(run.summary.itemsRead);
        itemsWritten += Number(run.summary.itemsWritten);
        records += Number(run.summary.records);
        progress(`  invocation ${invocations}: ${run.summary.complete ? 'complete' : 'continues'} after ${((Date.parse(run.endedAt) - Date.parse(run.startedAt)) / 1000).toFixed(1)} s`);
        if (run.summary.complete) break;
        if (invocations > 100) throw new Error('rollup-usage did not complete in 100 invocations');
      }
      const wallMs = performance.now() - begun;
      const ddbCalls = calls.snapshot();
      let bounded: RollupSizeResult['bounded'];
      if (size === options.sizes[options.sizes.length - 1]) {
        await resetRollup(store);
        const again = performance.now();
        let n = 0;
        let written = 0;
        for (;;) {
          const run = await runJob(store, 'rollup-usage', rollupUsage, { budgetMs: options.tightBudgetMs });
          n++;
          written += Number(run.summary.records);
          if (run.summary.complete) break;
          if (n > 500) throw new Error('the bounded rollup did not complete in 500 invocations');
        }
        bounded = { budgetMs: options.tightBudgetMs, invocations: n, wallMs: performance.now() - again, records: written };
        progress(`  again from scratch, bounded at ${options.tightBudgetMs / 1000} s: ${n} invocations, ${(bounded.wallMs / 1000).toFixed(1)} s, ${written} records`);
      }
      const totalCalls = Object.values(ddbCalls).reduce((a, b) => a + b, 0);

      // The raw baseline: as many records, of the size the rollup writes, written the same way.
      const sample = { type: 'usage', level: 'resource', kind: 'virtualcluster', grain: 'H', period: '2026-01-01T00', start: at(0), tenantId: 'tnt_x', projectId: 'prj_x', resourceId: 'vc_x', name: 'vc-x', hostClusterId: 'cl_x', ownerId: 'usr_x', through: at(60), complete: true, totals: { cpuCoreHours: 4, memoryGiBHours: 4, storageGiBHours: 2, compute: 0.09, storage: 0.0002, idleCompute: 0, idleStorage: 0 }, pieces: [[0, 3600, 4, 4, 2, 0.09, 0.0002, 0, 0]] };
      const rawStore = createStore({ tableName: `bench-raw-${size}`, endpoint: ddb.endpoint });
      await ensureTable(rawStore);
      const rawBegun = performance.now();
      await putAll(rawStore, Array.from({ length: records }, (_, i) => ({ pk: `USAGE#raw#${i % 100}`, sk: `virtualcluster#H#2026-01-01T00#${i}`, ...sample })));
      const rawWriteMs = performance.now() - rawBegun;

      results.push({
        virtualClusters: size,
        apps,
        hosts: hostCount,
        tenants,
        seedMs,
        wallMs,
        invocations,
        records,
        itemsRead,
        itemsWritten,
        ddbCalls,
        perCluster: { itemsRead: itemsRead / size, itemsWritten: itemsWritten / size, ddbCalls: totalCalls / size },
        rawWriteMs,
        ...(bounded ? { bounded } : {}),
      });
      progress(`  ${size}: ${(wallMs / 1000).toFixed(1)} s in ${invocations} invocation(s); raw writes of its ${records} records ${(rawWriteMs / 1000).toFixed(1)} s`);
    }
  } finally {
    await ddb.stop();
  }
  const first = results[0]!;
  const last = results[results.length - 1]!;
  return {
    options,
    sizes: results,
    scaling: {
      wallRatio: last.wallMs / first.wallMs,
      sizeRatio: last.virtualClusters / first.virtualClusters,
      perClusterRatio: last.wallMs / last.virtualClusters / (first.wallMs / first.virtualClusters),
    },
  };
}

/** Runs benchRollup in a fresh Node process and returns its result. */
export const runRollupBench = (options: RollupBenchOptions, progress: (line: string) => void) => runInChild<RollupBenchOptions, RollupBenchResult>(import.meta.url, options, progress);

await childMain(import.meta.url, benchRollup);

/**
 * Cold start: bundles every Lambda entry the way the CDK stack does (NodejsFunction with
 * `bundlingOptions` of infra/aws/function-defaults.ts), then times `await import(bundle)`
 * in fresh Node processes, beside a baseline bundle that only loads the DynamoDB SDK and
 * makes a client. esbuild's metafile tells what each bundle holds: its largest modules,
 * and which runtime-provided SDK packages it loads at init and which only on first use.
 */
import { spawn } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleExternals, bundlingOptions } from '#infra/aws/function-defaults.ts';
import { bundleEntry, lambdaEntries, type BundleContents } from '#infra/aws/lambda-bundles.ts';
import { median } from './stats.ts';

export type { BundleContents, BundleModule } from '#infra/aws/lambda-bundles.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export const BANNER = bundlingOptions.banner;

export type Variant = 'cdk' | 'all-in';

export interface BundleTiming {
  /** Median ms of `await import(bundle)` in a fresh process. */
  importMs: number;
  importRunsMs: number[];
  /** Median ms from spawn to exit of the whole process (Node bootstrap + import + exit). */
  processMs: number;
}

export interface BundleResult extends BundleContents {
  name: string;
  entry: string;
  variant: Variant;
  plain: BundleTiming;
  /** With `--enable-source-maps`, as the stack sets NODE_OPTIONS on every function. */
  sourceMaps?: BundleTiming;
}

export interface ColdStartResult {
  runs: number;
  bundles: BundleResult[];
}

const CHILD_SCRIPT =
  "const t = performance.now(); await import(process.env.PALETTE_BENCH_IMPORT); console.log(JSON.stringify({ importMs: performance.now() - t }));";

function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TABLE_NAME: 'bench', AWS_REGION: 'us-east-1', LOG_LEVEL: 'WARN' };
  delete env.NODE_OPTIONS;
  delete env.DYNAMODB_ENDPOINT;
  return env;
}

/** One fresh `node --input-type=module -e …` that imports the bundle. */
function importOnce(file: string, extraFlags: string[]): Promise<{ importMs: number; processMs: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [...extraFlags, '--input-type=module', '-e', CHILD_SCRIPT], {
      cwd: repoRoot,
      env: { ...childEnv(), PALETTE_BENCH_IMPORT: pathToFileURL(file).href },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const processMs = performance.now() - started;
      const line = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0) {
        reject(new Error(`importing ${file} failed (exit ${code ?? signal}):\n${stderr.trim().slice(-2000)}`));
        return;
      }
      try {
        resolve({ importMs: (JSON.parse(line) as { importMs: number }).importMs, processMs });
      } catch {
        reject(new Error(`importing ${file} printed no timing: ${stdout.slice(-500)} ${stderr.slice(-500)}`));
      }
    });
  });
}

function timing(runs: { importMs: number; processMs: number }[]): BundleTiming {
  return {
    importMs: median(runs.map((r) => r.importMs)),
    importRunsMs: runs.map((r) => r.importMs),
    processMs: median(runs.map((r) => r.processMs)),
  };
}

export const BASELINE = 'baseline (SDK only)';

/** The goal for API functions and the authorizer: import within this many times the baseline's. */
export const MAX_IMPORT_RATIO = 1.5;

export async function benchColdStart(
  options: { runs: number; workDir: string },
  progress: (line: string) => void,
): Promise<ColdStartResult> {
  // Bundles go under the repository (a git-ignored folder) so that the external
  // `@aws-sdk/*` imports resolve from node_modules, as they do from the Lambda runtime.
  await rm(options.workDir, { recursive: true, force: true });
  await mkdir(options.workDir, { recursive: true });
  const baselineEntry = join(options.workDir, 'baseline-entry.mjs');
  await writeFile(
    baselineEntry,
    [
      "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';",
      "import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';",
      'const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}));',
      'export const handler = async () => ({ statusCode: 200, body: typeof doc.send });',
      '',
    ].join('\n'),
  );
  const entries = [
    { name: BASELINE, entry: baselineEntry },
    ...lambdaEntries().map(({ name, entry }) => ({ name, entry: join(repoRoot, entry) })),
  ];

  // Bundle everything first, then time in rounds that visit every (bundle, flags) pair
  // once, so a burst of load from elsewhere on the machine spreads over all of them
  // instead of skewing one bundle's median.
  const built: (BundleContents & { name: string; entry: string; variant: Variant; outfile: string })[] = [];
  for (const variant of ['cdk', 'all-in'] as const) {
    for (const { name, entry } of entries) {
      const outfile = join(options.workDir, variant, name.replace(/[^a-z0-9]+/gi, '-'), 'index.mjs');
      const contents = await bundleEntry(entry, outfile, variant === 'cdk' ? bundleExternals : []);
      built.push({ name, entry: entry.replace(repoRoot, ''), variant, outfile, ...contents });
    }
  }
  progress(`bundled ${built.length} entries into ${options.workDir.replace(repoRoot, '')}`);
  const jobs = built.flatMap((b, index) => [
    { index, flags: [] as string[] },
    ...(b.variant === 'cdk' ? [{ index, flags: ['--enable-source-maps'] }] : []),
  ]);
  const samples = jobs.map(() => [] as { importMs: number; processMs: number }[]);
  for (const job of jobs) await importOnce(built[job.index]!.outfile, job.flags); // warm-up, discarded
  for (let round = 0; round < options.runs; round++) {
    for (const [j, job] of jobs.entries()) samples[j]!.push(await importOnce(built[job.index]!.outfile, job.flags));
    progress(`import timing round ${round + 1}/${options.runs} done (${jobs.length} fresh processes)`);
  }
  const bundles: BundleResult[] = built.map((b, index) => {
    const plain = jobs.findIndex((job) => job.index === index && job.flags.length === 0);
    const maps = jobs.findIndex((job) => job.index === index && job.flags.length > 0);
    const { outfile: _outfile, ...contents } = b;
    return {
      ...contents,
      plain: timing(samples[plain]!),
      sourceMaps: maps >= 0 ? timing(samples[maps]!) : undefined,
    };
  });
  return { runs: options.runs, bundles };
}

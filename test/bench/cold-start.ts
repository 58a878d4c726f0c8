/**
 * Cold start: bundles every Lambda entry the way the CDK stack does (NodejsFunction with
 * the options of infra/aws/api-stack.ts), then times `await import(bundle)` in fresh
 * Node processes, beside a baseline bundle that only loads the DynamoDB SDK and makes
 * a client.
 */
import { spawn } from 'node:child_process';
import { readFile, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { routeGroups } from '../../shared/api/route-table.ts';
import { median } from './stats.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Same string as `bundling.banner` in infra/aws/api-stack.ts (checked below). */
export const BANNER = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/**
 * What NodejsFunction passes to esbuild for this stack: `--target=node24 --platform=node
 * --format=esm --minify --sourcemap --external:@aws-sdk/* --banner:js=… --main-fields=module,main`.
 * `@aws-sdk/*` is external because the Node 24 Lambda runtime ships SDK v3 (CDK's default;
 * `@smithy/*` would also be external only with the sdkV3ExcludeSmithyPackages feature flag,
 * which cdk.json does not set).
 */
const CDK_EXTERNALS = ['@aws-sdk/*'];

export type Variant = 'cdk' | 'all-in';

export interface BundleTiming {
  /** Median ms of `await import(bundle)` in a fresh process. */
  importMs: number;
  importRunsMs: number[];
  /** Median ms from spawn to exit of the whole process (Node bootstrap + import + exit). */
  processMs: number;
}

export interface BundleResult {
  name: string;
  entry: string;
  variant: Variant;
  bytes: number;
  mapBytes: number;
  plain: BundleTiming;
  /** With `--enable-source-maps`, as the stack sets NODE_OPTIONS on every function. */
  sourceMaps?: BundleTiming;
}

export interface ColdStartResult {
  runs: number;
  optionsCheck: string[];
  bundles: BundleResult[];
}

/** Warns when the bundling options in the CDK stack no longer match the ones used here. */
async function checkStackOptions(): Promise<string[]> {
  const source = await readFile(join(repoRoot, 'infra/aws/api-stack.ts'), 'utf8');
  const expected = [
    'format: OutputFormat.ESM',
    'minify: true',
    'sourceMap: true',
    "target: 'node24'",
    "mainFields: ['module', 'main']",
    `banner: ${JSON.stringify(BANNER)}`,
    "NODE_OPTIONS: '--enable-source-maps'",
  ];
  const missing = expected.filter((snippet) => !source.includes(snippet));
  if (/externalModules|bundleAwsSDK|nodeModules|sourceMapMode|keepNames|define:|loader:/.test(source)) {
    missing.push('the stack sets further bundling options (externalModules/bundleAwsSDK/...): update the bench');
  }
  return missing;
}

async function bundle(entry: string, outfile: string, variant: Variant): Promise<{ bytes: number; mapBytes: number }> {
  await build({
    absWorkingDir: repoRoot,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minify: true,
    sourcemap: true,
    mainFields: ['module', 'main'],
    banner: { js: BANNER },
    external: variant === 'cdk' ? CDK_EXTERNALS : [],
    logLevel: 'error',
  });
  const [js, map] = await Promise.all([stat(outfile), stat(`${outfile}.map`)]);
  return { bytes: js.size, mapBytes: map.size };
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

export async function benchColdStart(
  options: { runs: number; workDir: string },
  progress: (line: string) => void,
): Promise<ColdStartResult> {
  const optionsCheck = await checkStackOptions();
  for (const warning of optionsCheck) progress(`WARNING: infra/aws/api-stack.ts no longer has ${warning}`);

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
    ...routeGroups.map((group) => ({ name: `api/${group}`, entry: join(repoRoot, `functions/api/${group}.ts`) })),
    { name: 'authorizer', entry: join(repoRoot, 'functions/authorizer.ts') },
    { name: 'steps/host-cluster', entry: join(repoRoot, 'functions/steps/host-cluster.ts') },
  ];

  // Bundle everything first, then time in rounds that visit every (bundle, flags) pair
  // once, so a burst of load from elsewhere on the machine spreads over all of them
  // instead of skewing one bundle's median.
  const built: { name: string; entry: string; variant: Variant; outfile: string; bytes: number; mapBytes: number }[] = [];
  for (const variant of ['cdk', 'all-in'] as const) {
    for (const { name, entry } of entries) {
      const outfile = join(options.workDir, variant, name.replace(/[^a-z0-9]+/gi, '-'), 'index.mjs');
      built.push({ name, entry: entry.replace(repoRoot, ''), variant, outfile, ...(await bundle(entry, outfile, variant)) });
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
    return {
      name: b.name,
      entry: b.entry,
      variant: b.variant,
      bytes: b.bytes,
      mapBytes: b.mapBytes,
      plain: timing(samples[plain]!),
      sourceMaps: maps >= 0 ? timing(samples[maps]!) : undefined,
    };
  });
  return { runs: options.runs, optionsCheck, bundles };
}

/**
 * The settings every Palette Lambda function shares (API route groups, the authorizer
 * and the workflow step functions): Node.js 24 on arm64, an ESM esbuild bundle with
 * source maps, the table name in the environment, a one-month log group, X-Ray
 * tracing, and a role that may write only its own log group until granted more.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as cdk from 'aws-cdk-lib';
import { Duration } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type BundlingOptions, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { ANY_RESOURCE_FINDING, acknowledgeFinding, wildcardBelowArnFinding } from './nag.ts';

/** Repository root (this file is infra/aws/function-defaults.ts). */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const fromRoot = (relative: string) => join(repoRoot, relative);

/** Upper-camel-case construct id: `host-cluster` → `HostCluster`, `tenancy` → `Tenancy`. */
export const pascal = (name: string) =>
  name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');

/** API Gateway's HTTP API integration limit is 30 s; the functions stop just before it. */
export const API_FUNCTION_TIMEOUT = Duration.seconds(29);

/**
 * How every function is bundled (NodejsFunction runs esbuild with these); the
 * benchmark bundles with the same object, so its numbers are the deployed bundles'.
 */
export const bundlingOptions = {
  format: OutputFormat.ESM,
  minify: true,
  sourceMap: true,
  target: 'node24',
  mainFields: ['module', 'main'],
  // CommonJS packages bundled into ESM still reach for require and __dirname (google-gax's gRPC loader does at load).
  banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url); const __filename = import.meta.filename, __dirname = import.meta.dirname;",
} as const satisfies BundlingOptions;

/**
 * esbuild aliases of every bundle: builtins whose ESM import costs a cold start more than
 * the module itself (see each target's comment). Paths are from the repository root,
 * where CDK and `bundleEntry` (infra/aws/lambda-bundles.ts) run esbuild.
 */
export const bundleAliases: Readonly<Record<string, string>> = {
  'node:http': './shared/lambda/node-http.ts',
  http: './shared/lambda/node-http.ts',
};

/** Dependencies the Node.js 24 Lambda runtime provides, so CDK leaves them out of every bundle (its default). */
export const runtimeProvidedModules = ['@aws-sdk/*'];

/**
 * Packages kept out of every bundle and copied beside the bundles of the functions that
 * load them on first use (`node_modules/<package>` in the function's asset): a cold start
 * that does not need one does not parse it. `loadedBy` is the one module that loads it,
 * with import() or require() when first needed; `files` are what Node loads of the
 * package; `entries` are the functions whose bundles reach for it, which
 * test/infra/bundles.test.ts checks (and that no bundle imports the package at init).
 */
export const PACKAGES_BESIDE_BUNDLE: Readonly<
  Record<string, { loadedBy: string; files: readonly string[]; entries: readonly string[]; why: string }>
> = {
  re2js: {
    loadedBy: 'shared/cluster-profiles/variables.ts',
    files: ['package.json', 'build/index.js'],
    entries: ['functions/api/host-clusters.ts', 'functions/api/cluster-profiles.ts'],
    why: 'RE2 (147 KiB minified) checks profile-variable regexes in linear time, on profile, cluster and upgrade creates only',
  },
  'js-yaml': {
    loadedBy: 'shared/kube/yaml.ts',
    files: ['package.json', 'dist/js-yaml.cjs.js'],
    entries: [
      'functions/api/app-profiles.ts', 'functions/api/apps.ts', 'functions/api/cloud-accounts.ts', 'functions/api/cluster-profiles.ts',
      'functions/api/hooks.ts', 'functions/api/host-clusters.ts', 'functions/api/registries.ts', 'functions/api/virtual-clusters.ts',
      'functions/api/webhooks.ts', 'functions/api/workspaces.ts', 'functions/providers/aks.ts', 'functions/scheduled/jobs.ts',
      'functions/steps/app.ts', 'functions/steps/host-cluster.ts', 'functions/steps/virtual-cluster.ts', 'functions/steps/workspace.ts',
    ],
    why:
      'YAML (57 KiB minified) is read and written only by kubeconfigs, manifests, Helm values and registry indexes; ' +
      'most requests to these functions touch none of them',
  },
};

/** What esbuild leaves out of every bundle: the runtime's SDK and the packages shipped beside bundles. */
export const bundleExternals = [...runtimeProvidedModules, ...Object.keys(PACKAGES_BESIDE_BUNDLE)];

/** Shell commands (CDK's afterBundling hook) that copy the packages `entry` imports on demand beside its bundle. */
export function copyPackagesBesideBundle(entry: string, inputDir: string, outputDir: string): string[] {
  return Object.entries(PACKAGES_BESIDE_BUNDLE)
    .filter(([, pkg]) => pkg.entries.includes(entry))
    .flatMap(([name, pkg]) =>
      pkg.files.flatMap((file) => {
        const from = join(inputDir, 'node_modules', name, file);
        const to = join(outputDir, 'node_modules', name, file);
        return [`mkdir -p "${dirname(to)}"`, `cp "${from}" "${to}"`];
      }),
    );
}

/**
 * The most an API route-group function or the authorizer may weigh, minified: every
 * kilobyte is parsed on each cold start of a request path. test/infra/bundles.test.ts
 * holds every such bundle to it; the benchmark prints what each one holds.
 */
export const MAX_API_BUNDLE_BYTES = 400 * 1024;

/**
 * Functions that cannot fit {@link MAX_API_BUNDLE_BYTES}, each held to its own ceiling
 * (just above what it weighs) so that it cannot grow unnoticed either.
 */
export const API_BUNDLE_EXCEPTIONS: Readonly<Record<string, { maxBytes: number; why: string }>> = {
  // None since re2js ships beside the two bundles that matched profile regexes (PACKAGES_BESIDE_BUNDLE).
};

/** The most the API function or authorizer `name` (`api/<group>`, `authorizer`) may weigh. */
export const apiBundleBudget = (name: string): number => API_BUNDLE_EXCEPTIONS[name]?.maxBytes ?? MAX_API_BUNDLE_BYTES;

/** The most a step Lambda or a provider function may weigh, minified. */
export const MAX_STEP_BUNDLE_BYTES = 1.5 * 1024 * 1024;

/** Over {@link MAX_STEP_BUNDLE_BYTES}, each with its reason and a ceiling just above what it weighs. */
export const STEP_BUNDLE_EXCEPTIONS: Readonly<Record<string, { maxBytes: number; why: string }>> = {
  'providers/gke': {
    maxBytes: 1900 * 1024,
    why:
      "@google-cloud/container's v1 client loads google-gax whole (its gRPC transport and protobuf runtime, ~1 MiB) even in REST " +
      'fallback mode, which is all this function uses; it is the only function that carries them.',
  },
};

export const stepBundleBudget = (name: string): number => STEP_BUNDLE_EXCEPTIONS[name]?.maxBytes ?? MAX_STEP_BUNDLE_BYTES;

export interface PaletteFunctionOptions {
  /** The handler module, relative to the repository root (it exports `handler`). */
  entry: string;
  /** The table whose name the function gets in TABLE_NAME; none for functions that keep no data. */
  table?: ITableV2;
  /** Default: {@link API_FUNCTION_TIMEOUT}. */
  timeout?: Duration;
  /** Powertools service name. Default: `palette-api`. */
  serviceName?: string;
  /** Extra environment variables, merged over the shared ones. */
  environment?: Record<string, string>;
}

/**
 * The NodejsFunction props shared by every Palette function. Creates the function's log
 * group in `scope` as `<constructId>Logs` and its role as `<constructId>Role`.
 */
function paletteFunctionProps(scope: Construct, constructId: string, options: PaletteFunctionOptions): NodejsFunctionProps {
  const logGroup = new logs.LogGroup(scope, `${constructId}Logs`, {
    retention: logs.RetentionDays.ONE_MONTH,
    removalPolicy: cdk.RemovalPolicy.DESTROY,
  });
  // Our own role instead of CDK's default one, whose AWSLambdaBasicExecutionRole lets
  // the function create and write any log group in the account.
  const role = new iam.Role(scope, `${constructId}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  logGroup.grantWrite(role);
  acknowledgeFinding(
    role,
    ANY_RESOURCE_FINDING,
    'Tracing.ACTIVE adds xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions; the infra tests check that no other action is granted on every resource.',
  );
  return {
    entry: fromRoot(options.entry),
    handler: 'handler',
    projectRoot: repoRoot,
    depsLockFilePath: fromRoot('package-lock.json'),
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: 1024,
    timeout: options.timeout ?? API_FUNCTION_TIMEOUT,
    bundling: {
      ...bundlingOptions,
      mainFields: [...bundlingOptions.mainFields],
      externalModules: bundleExternals,
      esbuildArgs: { '--alias': Object.entries(bundleAliases).map(([from, to]) => `${from}=${to}`) },
      commandHooks: {
        beforeBundling: () => [],
        beforeInstall: () => [],
        afterBundling: (inputDir, outputDir) => copyPackagesBesideBundle(options.entry, inputDir, outputDir),
      },
    },
    tracing: lambda.Tracing.ACTIVE,
    role,
    environment: {
      ...(options.table ? { TABLE_NAME: options.table.tableName } : {}),
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_SERVICE_NAME: options.serviceName ?? 'palette-api',
      // Responses carry kubeconfigs, tokens and new API keys: a trace must not keep them.
      POWERTOOLS_TRACER_CAPTURE_RESPONSE: 'false',
      LOG_LEVEL: 'INFO',
      ...options.environment,
    },
    logGroup,
  };
}

/** A NodejsFunction with {@link paletteFunctionProps}. */
export function createPaletteFunction(scope: Construct, constructId: string, options: PaletteFunctionOptions): NodejsFunction {
  return new NodejsFunction(scope, constructId, paletteFunctionProps(scope, constructId, options));
}

export type TableAccess = 'none' | 'read' | 'read-write';

/** Grants the function `access` to the table's items and to every index of it. */
export function grantTableAccess(fn: NodejsFunction, table: ITableV2, access: TableAccess): void {
  if (access === 'none') return;
  if (access === 'read') table.grantReadData(fn);
  else table.grantReadWriteData(fn);
  acknowledgeFinding(
    fn.role!,
    wildcardBelowArnFinding(table, '/index/*'),
    "grantReadData/grantReadWriteData add the table's own indexes (<table ARN>/index/*) so Query can use every GSI of tableDefinition; the wildcard stays inside this one table.",
  );
}

/**
 * Every Lambda entry of the stack, bundled as NodejsFunction bundles it (esbuild with
 * {@link bundlingOptions}), and what esbuild's metafile says each bundle holds. The
 * benchmark times these bundles; test/infra/bundles.test.ts holds them to their budget.
 */
import { stat } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { build, type Metafile } from 'esbuild';
import { routeGroups } from '#shared/api/route-table.ts';
import { SCHEDULED_FUNCTION } from '#shared/jobs/schedule.ts';
import { providerFunctions } from '#shared/providers/remote/functions.ts';
import { workflowRegistry } from '#workflows/registry.ts';
import { bundleAliases, bundleExternals, bundlingOptions, repoRoot } from './function-defaults.ts';

export type LambdaKind = 'api' | 'authorizer' | 'steps' | 'scheduled' | 'provider';

export interface LambdaEntry {
  /** `api/<group>`, `authorizer`, `steps/<family>`, `scheduled`. */
  name: string;
  kind: LambdaKind;
  /** Relative to the repository root. */
  entry: string;
}

export function lambdaEntries(): LambdaEntry[] {
  return [
    ...routeGroups.map((group) => ({ name: `api/${group}`, kind: 'api' as const, entry: `functions/api/${group}.ts` })),
    { name: 'authorizer', kind: 'authorizer', entry: 'functions/authorizer.ts' },
    ...workflowRegistry.map((family) => ({ name: `steps/${family.family}`, kind: 'steps' as const, entry: family.stepLambda.entry })),
    { name: 'scheduled', kind: 'scheduled', entry: SCHEDULED_FUNCTION.entry },
    ...Object.entries(providerFunctions).map(([kind, fn]) => ({ name: `providers/${kind}`, kind: 'provider' as const, entry: fn.entry })),
  ];
}

/** A package (node_modules) or a folder of ours, and its minified bytes in the bundle. */
export interface BundleModule {
  module: string;
  bytes: number;
}

export interface BundleContents {
  bytes: number;
  mapBytes: number;
  /** Largest first. */
  modules: BundleModule[];
  /** Every bundled input file (repository-relative, node_modules included). */
  inputs: string[];
  /** External packages imported at the top level: loaded at init, on every cold start. */
  externalAtInit: string[];
  /** External packages imported with import(): loaded on the first call that needs them. */
  externalOnDemand: string[];
}

/**
 * `node_modules/@scope/pkg/…` → `@scope/pkg` (a package nested in another counts for the
 * one that brings it); `shared/http/x.ts` → `shared/http`.
 */
function moduleOf(input: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  if (pkg) return pkg[1]!;
  const parts = input.split('/');
  return parts.length > 2 ? parts.slice(0, 2).join('/') : input;
}

export function bundleContents(metafile: Metafile): Omit<BundleContents, 'bytes' | 'mapBytes'> {
  const [output] = Object.values(metafile.outputs).filter((o) => o.entryPoint);
  if (!output) throw new Error('the metafile has no entry point output');
  const bytes = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    if (bytesInOutput > 0) bytes.set(moduleOf(input), (bytes.get(moduleOf(input)) ?? 0) + bytesInOutput);
  }
  const external = (kind: 'import-statement' | 'dynamic-import') =>
    [...new Set(output.imports.filter((i) => i.external && i.kind === kind && !isBuiltin(i.path)).map((i) => i.path))].sort();
  const atInit = external('import-statement');
  return {
    modules: [...bytes].map(([module, size]) => ({ module, bytes: size })).sort((a, b) => b.bytes - a.bytes),
    inputs: Object.keys(output.inputs),
    externalAtInit: atInit,
    externalOnDemand: external('dynamic-import').filter((path) => !atInit.includes(path)),
  };
}

/**
 * Bundles one entry (absolute, or relative to the repository root) into `outfile` with
 * the stack's bundling options. `external` defaults to what the stack leaves out of bundles
 * (the runtime's SDK and the packages shipped beside bundles).
 */
export async function bundleEntry(entry: string, outfile: string, external: string[] = bundleExternals): Promise<BundleContents> {
  const { metafile } = await build({
    absWorkingDir: repoRoot,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: bundlingOptions.format,
    target: bundlingOptions.target,
    minify: bundlingOptions.minify,
    sourcemap: bundlingOptions.sourceMap,
    mainFields: [...bundlingOptions.mainFields],
    banner: { js: bundlingOptions.banner },
    alias: { ...bundleAliases },
    external,
    metafile: true,
    logLevel: 'error',
  });
  const [js, map] = await Promise.all([stat(outfile), stat(`${outfile}.map`)]);
  return { ...bundleContents(metafile), bytes: js.size, mapBytes: map.size };
}

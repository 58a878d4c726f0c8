/**
 * What each Lambda bundle holds, from esbuild's metafile, with the stack's own bundling
 * options: the request-path functions stay within their size budget, and nothing a
 * function does not run is in it. Every entry is bundled at once (esbuild builds them in
 * parallel); one is also bundled by CDK itself, to show the two are the same bundle.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as cdk from 'aws-cdk-lib';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENAPI_PACKED_ARTIFACT, openApiDocument } from '#shared/api/openapi.ts';
import {
  API_BUNDLE_EXCEPTIONS,
  apiBundleBudget,
  createPaletteFunction,
  MAX_API_BUNDLE_BYTES,
  PACKAGES_BESIDE_BUNDLE,
  repoRoot,
  stepBundleBudget,
} from '#infra/aws/function-defaults.ts';
import { bundleEntry, lambdaEntries, type BundleContents, type LambdaEntry } from '#infra/aws/lambda-bundles.ts';
import { lambdaContext } from '#infra/local/api-server.ts';

type Bundle = LambdaEntry & BundleContents & { outfile: string };

let workDir: string;
let bundles: Bundle[];

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
/** What a failure message shows of a bundle: its size and largest modules. */
const describeBundle = (b: Bundle) => `${b.name} ${kib(b.bytes)}: ${b.modules.slice(0, 8).map((m) => `${m.module} ${kib(m.bytes)}`).join(', ')}`;
const holds = (b: Bundle, path: string) => b.inputs.some((input) => input.includes(path));
const requestPath = () => bundles.filter((b) => b.kind === 'api' || b.kind === 'authorizer');

beforeAll(async () => {
  // Under the repository (git-ignored), so that a bundle's @aws-sdk/* imports resolve from
  // node_modules as they do from the Lambda runtime.
  await mkdir(join(repoRoot, '.palette'), { recursive: true });
  workDir = await mkdtemp(join(repoRoot, '.palette', 'bundles-test-'));
  bundles = await Promise.all(
    lambdaEntries().map(async (entry) => {
      const outfile = join(workDir, entry.name.replace(/[^a-z0-9]+/gi, '-'), 'index.mjs');
      return { ...entry, outfile, ...(await bundleEntry(entry.entry, outfile)) };
    }),
  );
}, 120_000);

afterAll(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('Lambda bundles', () => {
  it(`keeps every API route-group function and the authorizer within ${kib(MAX_API_BUNDLE_BYTES)} minified (or its documented ceiling)`, () => {
    expect(requestPath().length).toBeGreaterThan(10);
    const over = requestPath().filter((b) => b.bytes > apiBundleBudget(b.name));
    expect(over.map((b) => `${describeBundle(b)} (budget ${kib(apiBundleBudget(b.name))})`)).toEqual([]);
    // An exception names a function that exists and is really over the common budget.
    for (const name of Object.keys(API_BUNDLE_EXCEPTIONS)) {
      const b = requestPath().find((x) => x.name === name);
      expect(b && b.bytes > MAX_API_BUNDLE_BYTES, `${name} needs no exception`).toBe(true);
    }
  });

  it('leaves out what a function does not run', () => {
    for (const b of bundles) {
      // A kubeconfig is YAML, and the step Lambdas speak to Kubernetes through shared/kube.
      expect(holds(b, 'node_modules/@kubernetes/client-node'), describeBundle(b)).toBe(false);
      // Tracing is shared/observability/tracer.ts, not the X-Ray SDK.
      expect(holds(b, 'node_modules/aws-xray-sdk-core'), describeBundle(b)).toBe(false);
      // The OpenAPI document is generated from the route table before bundling.
      expect(holds(b, 'node_modules/@asteasolutions/zod-to-openapi'), describeBundle(b)).toBe(false);
      expect(holds(b, OPENAPI_PACKED_ARTIFACT), describeBundle(b)).toBe(b.name === 'api/public');
    }
    // Only the function that serves /v1/openapi.json carries the document; it needs no route schemas.
    const publicFunction = bundles.find((b) => b.name === 'api/public')!;
    expect(holds(publicFunction, 'shared/api/route-table.ts'), describeBundle(publicFunction)).toBe(false);
  });

  it('loads the EKS SDK only where EKS is called, and then only when it is', () => {
    for (const b of bundles) {
      expect(b.externalAtInit, b.name).not.toContain('@aws-sdk/client-eks');
      expect(b.externalAtInit, b.name).not.toContain('@aws-sdk/client-sts');
    }
    const eks = bundles.filter((b) => b.externalOnDemand.includes('@aws-sdk/client-eks')).map((b) => b.name).sort();
    // The API for an EKS cluster's kubeconfig and an aws account's check; the steps that drive EKS clusters; and
    // what reaches a workspace's clusters (its kubeconfig route, its steps, the reconcile-workspaces job).
    expect(eks).toEqual(['api/cloud-accounts', 'api/host-clusters', 'api/workspaces', 'scheduled', 'steps/host-cluster', 'steps/virtual-cluster', 'steps/workspace']);
  });

  it("carries Azure's and Google's SDKs in their provider functions only, each within its ceiling", () => {
    for (const b of bundles) {
      expect(holds(b, 'node_modules/@azure/'), b.name).toBe(b.name === 'providers/aks');
      expect(holds(b, 'node_modules/@google-cloud/'), b.name).toBe(b.name === 'providers/gke');
    }
    for (const b of bundles.filter((x) => x.kind === 'steps' || x.kind === 'provider')) {
      expect(b.bytes, describeBundle(b)).toBeLessThanOrEqual(stepBundleBudget(b.name));
    }
  });

  it('serves the route table’s OpenAPI document from the bundled public function', async () => {
    const publicFunction = bundles.find((b) => b.name === 'api/public')!;
    const { handler } = (await import(pathToFileURL(publicFunction.outfile).href)) as {
      handler: (event: APIGatewayProxyEventV2, context: ReturnType<typeof lambdaContext>) => Promise<APIGatewayProxyStructuredResultV2>;
    };
    const event = {
      version: '2.0',
      routeKey: 'GET /v1/openapi.json',
      rawPath: '/v1/openapi.json',
      rawQueryString: '',
      headers: {},
      requestContext: { requestId: 'bundles-test', http: { method: 'GET', path: '/v1/openapi.json' } },
      isBase64Encoded: false,
    } as unknown as APIGatewayProxyEventV2;
    const response = await handler(event, lambdaContext('palette-public'));
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body!)).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
  });

  it('is the bundle CDK builds: NodejsFunction with the stack’s options gives the same file', async () => {
    const entry = bundles.find((b) => b.name === 'api/public')!;
    const outdir = join(workDir, 'cdk.out');
    const app = new cdk.App({ outdir });
    createPaletteFunction(new cdk.Stack(app, 'BundleCheck'), 'PublicFunction', { entry: entry.entry });
    app.synth();
    const assets = (await readdir(outdir)).filter((name) => name.startsWith('asset.'));
    expect(assets).toHaveLength(1);
    const [fromCdk, fromTest] = await Promise.all([readFile(join(outdir, assets[0]!, 'index.mjs'), 'utf8'), readFile(entry.outfile, 'utf8')]);
    expect(fromCdk.length).toBe(fromTest.length);
    expect(fromCdk === fromTest).toBe(true);
  }, 60_000);

  it('loads a package shipped beside bundles only on first use, and only in the functions it is shipped with', async () => {
    const code = new Map(await Promise.all(bundles.map(async (b) => [b.name, await readFile(b.outfile, 'utf8')] as const)));
    for (const [name, pkg] of Object.entries(PACKAGES_BESIDE_BUNDLE)) {
      for (const b of bundles) {
        expect(b.externalAtInit, b.name).not.toContain(name);
        expect(holds(b, `node_modules/${name}/`), b.name).toBe(false);
      }
      // import() of it shows in the metafile, require() only in the code: its name, quoted, is what loads it.
      const loading = bundles.filter((b) => code.get(b.name)!.includes(JSON.stringify(name)));
      for (const b of loading) expect(holds(b, pkg.loadedBy), b.name).toBe(true);
      expect(loading.map((b) => b.entry).sort(), name).toEqual([...pkg.entries].sort());
    }
  });

  it('ships each such package in the CDK asset of a function that loads it, where Node finds it from the bundle', async () => {
    // cluster-profiles loads both (RE2 for variable regexes, YAML for add-on values); each is found from the
    // asset's own directory, as the Lambda runtime finds it from /var/task, and does its work.
    const outdir = join(workDir, 'cdk-beside.out');
    const app = new cdk.App({ outdir });
    createPaletteFunction(new cdk.Stack(app, 'BesideCheck'), 'ProfilesFunction', { entry: 'functions/api/cluster-profiles.ts' });
    app.synth();
    const [asset] = (await readdir(outdir)).filter((name) => name.startsWith('asset.'));
    const assetDir = join(outdir, asset!);
    const script = [
      "const re2 = import.meta.resolve('re2js'); const { RE2JS } = await import(re2);",
      "const { createRequire } = await import('node:module'); const require = createRequire(new URL('./index.mjs', import.meta.url));",
      "const yaml = require.resolve('js-yaml'); const { load } = require('js-yaml');",
      "console.log(JSON.stringify([re2, RE2JS.compile('^(a+)+$').matches('a'.repeat(40) + '!'), yaml, load('a: [1, 2]')]));",
    ].join('\n');
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: assetDir, encoding: 'utf8' }).trim();
    expect(JSON.parse(out)).toEqual([
      pathToFileURL(join(assetDir, 'node_modules/re2js/build/index.js')).href,
      false,
      join(assetDir, 'node_modules/js-yaml/dist/js-yaml.cjs.js'),
      { a: [1, 2] },
    ]);
    expect((await readdir(join(assetDir, 'node_modules'))).sort()).toEqual(['js-yaml', 're2js']);
  }, 60_000);

  it('loads no undici when a request-path function starts (node:http is taken with require, not as ESM)', () => {
    // One fresh process imports every API bundle and the authorizer in turn and says, after
    // each, whether Node has loaded its undici: http's lazy WebSocket getters load it when
    // node:http is imported as ESM, ~20 ms of every cold start (bundleAliases).
    const script = [
      'const loaded = [];',
      'for (const [name, url] of JSON.parse(process.argv[1])) {',
      '  await import(url);',
      "  if (process.moduleLoadList.some((m) => m.includes('undici'))) { loaded.push(name); break; }",
      '}',
      'console.log(JSON.stringify(loaded));',
    ].join('\n');
    const targets = requestPath().map((b) => [b.name, pathToFileURL(b.outfile).href]);
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(targets)], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, TABLE_NAME: 'bundles-test', AWS_REGION: 'us-east-1', LOG_LEVEL: 'ERROR', NODE_OPTIONS: '' },
    });
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual([]);
    // …and the bundles still reach node:http: middy's http errors take their titles from STATUS_CODES.
    for (const b of requestPath()) expect(holds(b, 'shared/lambda/node-http.ts'), b.name).toBe(holds(b, 'node_modules/@middy/util'));
    expect(requestPath().filter((b) => holds(b, 'node_modules/@middy/util')).length).toBeGreaterThan(10);
  }, 60_000);

  it('reports every bundle', () => {
    // Shown in the test output, so a change in size is seen in review; the budget above is what fails.
    console.log(['bundles (minified):', ...bundles.map((b) => `  ${describeBundle(b)}`)].join('\n'));
    expect(bundles).toHaveLength(lambdaEntries().length);
  });
});

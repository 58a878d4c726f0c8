import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeList } from '#shared/api/route-table.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-api.ts';

let rt: TestRuntime;

/** The redocly CLI of the project's own devDependencies. */
const redocly = join(dirname(createRequire(import.meta.url).resolve('@redocly/cli/package.json')), 'bin', 'cli.js');

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ stdout, stderr, code }));
  });
}
beforeAll(async () => {
  rt = await startTestRuntime();
});
afterAll(async () => {
  await rt?.stop();
});

describe('GET /v1/openapi.json', () => {
  it('serves a valid OpenAPI 3.1 document without an API key', async () => {
    const response = await rt.anonymous.get('/v1/openapi.json');
    expect(response.status).toBe(200);
    expect(response.body.openapi).toBe('3.1.0');
    await expect(SwaggerParser.validate(structuredClone(response.body))).resolves.toBeDefined();
  });

  it('lists every route of the route table with its operation id', async () => {
    const { body } = await rt.anonymous.get('/v1/openapi.json');
    for (const route of routeList) {
      const operation = body.paths[route.path]?.[route.method.toLowerCase()];
      expect(operation, `${route.method} ${route.path}`).toBeDefined();
      expect(operation.operationId).toBe(route.operationId);
    }
    const documented = Object.values(body.paths as Record<string, object>).flatMap((p) => Object.keys(p));
    expect(documented).toHaveLength(routeList.length);
  });

  it('documents request bodies, problem responses and the bearer scheme', async () => {
    const { body } = await rt.anonymous.get('/v1/openapi.json');
    const create = body.paths['/v1/projects'].post;
    expect(create.requestBody.content['application/json'].schema).toBeDefined();
    expect(create.responses['400'].content['application/problem+json']).toBeDefined();
    expect(create.security).toEqual([{ apiKey: [] }]);
    expect(create.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'header', name: 'Idempotency-Key' })]));
    const patch = body.paths['/v1/projects/{p}'].patch;
    expect(patch.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'header', name: 'If-Match' })]));
    expect(body.paths['/healthz'].get.security).toEqual([]);
    expect(body.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
  });
});

describe('the OpenAPI document under a third-party linter', () => {
  it('passes redocly lint --extends=recommended with no error and no warning', async () => {
    const { body } = await rt.anonymous.get('/v1/openapi.json');
    const dir = await mkdtemp(join(tmpdir(), 'openapi-'));
    try {
      const file = join(dir, 'openapi.json');
      await writeFile(file, JSON.stringify(body));
      const { stdout, stderr, code } = await run(process.execPath, [redocly, 'lint', '--extends=recommended', '--format=json', file], {
        ...process.env,
        REDOCLY_TELEMETRY: 'off',
        REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true',
      });
      const report = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { totals: { errors: number; warnings: number }; problems: Array<{ message: string; ruleId: string }> };
      expect(report.problems.map((p) => `${p.ruleId}: ${p.message}`), stderr).toEqual([]);
      expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
      expect(code).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

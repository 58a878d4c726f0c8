/**
 * The local runtime runs every function's handler in one process, concurrently, as
 * many Lambdas would run side by side. Each log line must carry its own invocation's
 * keys and function name only, and metrics must not trip over each other.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestRuntime } from '../support/local-api.ts';

let rt: TestRuntime;
let until: typeof import('../support/local-api.ts').until;
const written: string[] = [];
const originals = { stdout: process.stdout.write, stderr: process.stderr.write };

beforeAll(async () => {
  // Loggers read their level when their module loads: load the runtime after setting it.
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
  // Metrics on (the suite runs with them off), so their EMF lines are seen too.
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  const support = await import('../support/local-api.ts');
  until = support.until;
  rt = await support.startTestRuntime({ simSpeed: 50 });
  for (const stream of ['stdout', 'stderr'] as const) {
    const original = originals[stream];
    // Log lines are kept for the assertions (and out of the test output); the rest passes through.
    process[stream].write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
      written.push(String(chunk));
      if (String(chunk).startsWith('{')) return true;
      return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof original;
  }
});
afterAll(async () => {
  process.stdout.write = originals.stdout;
  process.stderr.write = originals.stderr;
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  await rt?.stop();
});

type Line = Record<string, unknown> & { message: string; service: string };

const logLines = (): Line[] =>
  written
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Line);

describe('log lines of concurrent invocations', () => {
  it('carry their own keys and function name only', async () => {
    const base = '/v1/projects/default';
    const account = await rt.admin.post(`${base}/cloudaccounts`, { name: 'logs', provider: 'sim', sim: { provisionSeconds: 0 } });
    const profile = await rt.admin.post(`${base}/clusterprofiles`, {
      name: 'logs', version: '1.0.0', cloud: 'sim', type: 'full', layers: [{ type: 'k8s', name: 'kubernetes', version: '1.31' }],
    });
    written.length = 0;
    const cluster = rt.admin.post(`${base}/clusters`, {
      name: 'logs', cloudAccountId: account.body.id, region: 'sim-local-1', profileId: profile.body.id,
      nodePools: [{ name: 'w', instanceType: 'sim.small', count: 1 }],
    });
    const traffic = await Promise.all([
      cluster,
      ...Array.from({ length: 20 }, () => rt.anonymous.get('/healthz')),
      ...Array.from({ length: 5 }, () => rt.admin.delete(`${base}/cloudaccounts/${account.body.id}`)),
      ...Array.from({ length: 5 }, (_, i) => rt.admin.post('/v1/projects', { name: `logs-${i}` })),
    ]);
    const operationId = traffic[0].body.operationId as string;
    await until('the create', () => rt.admin.get(`/v1/operations/${operationId}`), (r) => r.body.status !== 'Running');

    const lines = logLines();
    const requests = lines.filter((l) => l.message === 'request');
    const health = requests.filter((l) => l.path === '/healthz');
    expect(health).toHaveLength(20);
    for (const line of health) {
      expect(line.service).toBe('palette-public');
      expect(line.route).toBe('health.get');
      for (const key of ['clusterId', 'operationId', 'step', 'tenantId', 'userId']) expect(line, key).not.toHaveProperty(key);
    }
    const deletes = requests.filter((l) => l.route === 'cloudaccount.delete');
    expect(deletes).toHaveLength(5);
    for (const line of deletes) {
      expect(line.service).toBe('palette-cloud-accounts');
      expect(line).not.toHaveProperty('clusterId');
      expect(line.requestId).toBe(line.function_request_id);
    }
    const steps = lines.filter((l) => l.service === 'palette-host-cluster-steps');
    for (const line of steps) {
      expect(line.operationId).toBe(operationId);
      expect(line).not.toHaveProperty('route');
    }
    // Every line of one request carries that request's id, and no other request's.
    const byRequest = new Map<string, Set<unknown>>();
    for (const line of lines.filter((l) => typeof l.function_request_id === 'string')) {
      const routes = byRequest.get(line.function_request_id as string) ?? new Set();
      routes.add(line.route);
      byRequest.set(line.function_request_id as string, routes);
    }
    for (const routes of byRequest.values()) expect(routes.size).toBeLessThanOrEqual(1);
    expect(written.join('')).not.toMatch(/has already been added/);
    // One EMF document per request, with that request's route only: the Metrics object
    // each service shares is added to and published in one synchronous turn.
    const emf = lines.filter((l) => '_aws' in l) as unknown as { route: string; service: string; Requests: number }[];
    expect(emf.filter((m) => m.route === 'health.get')).toHaveLength(20);
    expect(emf.filter((m) => m.route === 'cloudaccount.delete')).toHaveLength(5);
    expect(emf.filter((m) => m.route === 'project.create')).toHaveLength(5);
    for (const m of emf) expect(m.Requests, JSON.stringify(m)).toBe(1);
  });
});

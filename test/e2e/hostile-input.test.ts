/**
 * What a hostile client sends, and what it must get back: a 4xx problem with the field
 * to blame, promptly, with nothing written; never a 500 and never a frozen runtime.
 * Each case here was a 500 (or a freeze) before the hardening that fixed it.
 */
import * as z from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeList } from '#shared/api/route-table.ts';
import { startTestRuntime, type ApiResponse, type TestRuntime } from '../support/local-api.ts';

let rt: TestRuntime;
const base = '/v1/projects/default';

beforeAll(async () => {
  rt = await startTestRuntime();
});
afterAll(async () => {
  await rt?.stop();
});

function expectProblem(response: ApiResponse, status: number, code: string, path?: string) {
  expect(response.status, response.text).toBe(status);
  expect(response.headers.get('content-type')).toContain('application/problem+json');
  expect(response.body.code).toBe(code);
  if (path) expect(response.body.errors?.map((e: { path: string }) => e.path)).toContain(path);
}

const profile = (variables: unknown[]) => ({
  name: 'hostile',
  version: `1.0.${Math.floor(Math.random() * 1e6)}`,
  cloud: 'sim',
  type: 'full',
  layers: [{ type: 'k8s', name: 'kubernetes', version: '1.31' }],
  variables,
});

describe('user-supplied regular expressions', () => {
  const catastrophic = ['(a+)+$', '(a|aa)+$', '(a|a)+$', '(.*a){25}$', '^(([a-z])+.)+[A-Z]([a-z])+$'];

  it('are matched in linear time: the classic catastrophic patterns answer at once and block nobody', async () => {
    const evil = `${'a'.repeat(40)}!`;
    for (const regex of catastrophic) {
      const started = performance.now();
      const [refused, health] = await Promise.all([
        rt.admin.post(`${base}/clusterprofiles`, profile([{ name: 'v', default: evil, regex }])),
        rt.anonymous.get('/healthz'),
      ]);
      expect(performance.now() - started, regex).toBeLessThan(2_000);
      expectProblem(refused, 400, 'validation_failed', 'body.variables.0.default');
      expect(health.status).toBe(200);
    }
  });

  it('are checked the same way against the values a cluster gives', async () => {
    const created = await rt.admin.post(`${base}/clusterprofiles`, profile([{ name: 'v', required: true, regex: '(a+)+$' }]));
    expect(created.status).toBe(201);
    const account = (await rt.admin.get(`${base}/cloudaccounts`)).body.items[0].id;
    const started = performance.now();
    const refused = await rt.admin.post(`${base}/clusters`, {
      name: 'evil', cloudAccountId: account, region: 'sim-local-1', profileId: created.body.id,
      variables: { v: `${'a'.repeat(5000)}!` }, nodePools: [{ name: 'w', instanceType: 'sim.small', count: 1 }],
    });
    expect(performance.now() - started).toBeLessThan(2_000);
    expectProblem(refused, 400, 'validation_failed', 'body.variables.v');
  });

  it('are refused when they are not RE2 (backreferences, lookaround) or too long', async () => {
    expectProblem(await rt.admin.post(`${base}/clusterprofiles`, profile([{ name: 'v', regex: '(a)\\1' }])), 400, 'validation_failed', 'body.variables.0.regex');
    expectProblem(await rt.admin.post(`${base}/clusterprofiles`, profile([{ name: 'v', regex: 'a(?=b)' }])), 400, 'validation_failed', 'body.variables.0.regex');
    expectProblem(await rt.admin.post(`${base}/clusterprofiles`, profile([{ name: 'v', regex: 'a'.repeat(513) }])), 400, 'validation_failed', 'body.variables.0.regex');
  });
});

describe('cursors', () => {
  const cursorOf = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');
  /** Every list of the route table, with a path the seeded tenant can read. */
  const lists = routeList.filter((r) => r.method === 'GET' && r.query && 'cursor' in r.query.shape);
  /** `{p}` is the seeded project; any other parameter a well-formed id of its kind (the example its schema carries). */
  const pathOf = (route: (typeof lists)[number]) =>
    route.path.replace('{p}', 'default').replace(/\{(\w+)\}/g, (_, name: string) => {
      const schema = (route.params?.shape as Record<string, z.ZodType> | undefined)?.[name];
      return String((schema && z.globalRegistry.get(schema)?.example) ?? name);
    });

  it('that are not exactly what the API issued are 400 at query.cursor on every list', async () => {
    expect(lists.length).toBeGreaterThanOrEqual(10);
    const tenantId = rt.seeded.tenantId;
    const tampered = [
      // A real-looking table key with one attribute too many.
      cursorOf({ pk: `TENANT#${tenantId}`, sk: 'X#1', gsi1pk: 'x' }),
      // The partition key removed.
      cursorOf({ sk: 'USER#1' }),
      // An index key with the table's keys missing.
      cursorOf({ gsi1pk: 'TENANTS', gsi1sk: tenantId }),
      // Not JSON, not an object, not strings.
      Buffer.from('nonsense').toString('base64url'),
      cursorOf([1, 2]),
      cursorOf({ pk: 1, sk: 2 }),
    ];
    for (const route of lists) {
      const client = route.permission === 'system.admin' ? rt.system : rt.admin;
      for (const cursor of tampered) {
        const response = await client.get(`${pathOf(route)}?cursor=${cursor}`);
        expect(response.status, `${route.path} ${Buffer.from(cursor, 'base64url').toString()}`).toBe(400);
        expect(response.body.errors, route.path).toEqual([{ path: 'query.cursor', message: expect.any(String) }]);
      }
    }
  });

  it('that the API did issue still page through', async () => {
    const first = await rt.system.get('/v1/tenants?limit=1');
    await rt.system.post('/v1/tenants', { name: 'second-tenant', adminEmail: 'ops@second.example' });
    const again = await rt.system.get('/v1/tenants?limit=1');
    expect(again.body.nextCursor).toEqual(expect.any(String));
    const next = await rt.system.get(`/v1/tenants?limit=1&cursor=${again.body.nextCursor}`);
    expect(next.status).toBe(200);
    expect(next.body.items[0].id).not.toBe(first.body.items[0].id);
  });
});

describe('query integers', () => {
  it('are decimal digits only', async () => {
    for (const limit of ['1e2', '%205', '0x10', '-1', '1.5', '', '1000', '0']) {
      expectProblem(await rt.admin.get(`/v1/projects?limit=${limit}`), 400, 'validation_failed', 'query.limit');
    }
    expect((await rt.admin.get('/v1/projects?limit=07')).status).toBe(200);
  });
});

describe('text that is not valid Unicode', () => {
  const raw = (path: string, text: string, contentType = 'application/json') =>
    rt.admin.request('POST', path, { rawBody: text, headers: { 'content-type': contentType } });

  it('is refused with the field that holds it: a lone surrogate in a name, a value or a key', async () => {
    const before = await rt.snapshot();
    expectProblem(await raw(`${base}/clusterprofiles`, '{"name":"\\ud800x","version":"1.0.0","cloud":"sim","type":"full","layers":[{"type":"k8s","name":"k","version":"1.31"}]}'), 400, 'validation_failed', 'body.name');
    expectProblem(await raw('/v1/projects', '{"name":"\\udfffproject"}'), 400, 'validation_failed', 'body.name');
    expectProblem(await raw(`${base}/cloudaccounts`, '{"name":"acc\\ud83d","provider":"sim"}'), 400, 'validation_failed', 'body.name');
    expectProblem(await raw('/v1/projects', '{"name":"ok","description":"x\\ud800"}'), 400, 'validation_failed', 'body.description');
    expectProblem(await raw('/v1/projects', '{"name":"ok","\\ud800":1}'), 400, 'validation_failed');
    expect(await rt.snapshot()).toEqual(before);
  });

  it('is refused as bytes: a body that is not UTF-8', async () => {
    const response = await fetch(`${rt.url}/v1/projects`, {
      method: 'POST',
      headers: { authorization: `Bearer ${rt.seeded.adminKey}`, 'content-type': 'application/json' },
      body: Buffer.concat([Buffer.from('{"name":"caf'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { errors: Array<{ path: string }> };
    expect(body.errors).toEqual([{ path: 'body', message: 'not valid UTF-8' }]);
  });

  it('is fine when it is valid: astral characters and emoji are names like any other', async () => {
    const created = await rt.admin.post('/v1/projects', { name: 'rocket 🚀 𝒳' });
    expect(created.status).toBe(201);
    expect(created.body.name).toBe('rocket 🚀 𝒳');
  });
});

describe('bodies that are not JSON', () => {
  it('get 415 unsupported_media_type, and JSON under any json type is taken', async () => {
    const send = (contentType: string, body = '{"name":"typed"}') =>
      rt.admin.request('POST', '/v1/projects', { rawBody: body, headers: { 'content-type': contentType } });
    expectProblem(await send('text/plain'), 415, 'unsupported_media_type');
    expectProblem(await send('application/x-www-form-urlencoded', 'name=typed'), 415, 'unsupported_media_type');
    expectProblem(await send('application/xml', '<name>typed</name>'), 415, 'unsupported_media_type');
    expect((await send('application/json; charset=utf-8')).status).toBe(201);
    expect((await send('application/merge-patch+json', '{"name":"typed-2"}')).status).toBe(201);
  });
});

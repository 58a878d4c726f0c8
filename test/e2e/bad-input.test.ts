import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/local-api.ts';

let rt: TestRuntime;
let before: string[];
beforeAll(async () => {
  rt = await startTestRuntime();
  before = await rt.snapshot();
});
afterAll(async () => {
  await rt?.stop();
});

const expectProblem = (response: { status: number; headers: Headers; body: any }, status: number, code: string) => {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  expect(response.body).toMatchObject({ status, code, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
};

describe('bad input gets a 4xx problem and writes nothing', () => {
  it('rejects malformed JSON with validation_failed', async () => {
    const response = await rt.admin.request('POST', '/v1/projects', {
      rawBody: '{"name": "oops",',
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(response, 400, 'validation_failed');
    expect(response.body.errors[0].path).toBe('body');
  });

  it('rejects JSON that is not an object, and a missing body', async () => {
    expectProblem(await rt.admin.request('POST', '/v1/projects', { rawBody: '[1,2]', headers: { 'content-type': 'application/json' } }), 400, 'validation_failed');
    const missing = await rt.admin.request('POST', '/v1/projects');
    expectProblem(missing, 400, 'validation_failed');
    expect(missing.body.errors).toEqual([{ path: 'body', message: expect.any(String) }]);
  });

  it('reports wrong types with their field paths', async () => {
    const response = await rt.admin.post('/v1/projects', { name: 42, description: ['x'] });
    expectProblem(response, 400, 'validation_failed');
    expect(response.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['body.description', 'body.name']);

    const key = await rt.admin.post(`/v1/users/${rt.seeded.adminUserId}/apikeys`, { name: 'k', expiresInDays: 'soon' });
    expectProblem(key, 400, 'validation_failed');
    expect(key.body.errors).toEqual([{ path: 'body.expiresInDays', message: expect.any(String) }]);

    const user = await rt.admin.post('/v1/users', { email: 'not-an-email', name: 'X', role: 'tenant.owner' });
    expect(user.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['body.email', 'body.role']);
  });

  it('rejects unknown fields, nested ones included', async () => {
    const response = await rt.admin.post('/v1/projects', { name: 'ok-name', colour: 'blue' });
    expectProblem(response, 400, 'validation_failed');
    expect(response.body.errors).toEqual([{ path: 'body.colour', message: 'unknown field' }]);

    const tenant = await rt.system.post('/v1/tenants', { name: 'x', adminEmail: 'a@x.example', plan: 'gold' });
    expect(tenant.body.errors).toEqual([{ path: 'body.plan', message: 'unknown field' }]);
  });

  it('answers 413 for a body over 256 KiB', async () => {
    const response = await rt.admin.post('/v1/projects', { name: 'big', description: 'x'.repeat(300 * 1024) });
    expectProblem(response, 413, 'payload_too_large');
  });

  it('rejects malformed ids in paths', async () => {
    const user = await rt.admin.get('/v1/users/not-a-user-id');
    expectProblem(user, 400, 'validation_failed');
    expect(user.body.errors).toEqual([{ path: 'path.id', message: expect.any(String) }]);
    expectProblem(await rt.admin.delete('/v1/apikeys/usr_01AAAAAAAAAAAAAAAAAAAAAAAA'), 400, 'validation_failed');
    expectProblem(await rt.admin.put('/v1/projects/default/members/bob', { role: 'project.viewer' }), 400, 'validation_failed');
    expectProblem(await rt.admin.get(`/v1/projects/${'x'.repeat(200)}`), 400, 'validation_failed');
  });

  it('answers 404 for well-formed ids that do not exist', async () => {
    expectProblem(await rt.admin.get('/v1/users/usr_01AAAAAAAAAAAAAAAAAAAAAAAA'), 404, 'not_found');
    expectProblem(await rt.admin.get('/v1/projects/prj_01AAAAAAAAAAAAAAAAAAAAAAAA'), 404, 'not_found');
    expectProblem(await rt.admin.get('/v1/projects/no-such-project'), 404, 'not_found');
    expectProblem(await rt.admin.get('/v1/operations/op_01AAAAAAAAAAAAAAAAAAAAAAAA'), 404, 'not_found');
    expectProblem(await rt.admin.get('/v1/nothing-here'), 404, 'not_found');
  });

  it('rejects bad cursors, cursors of another list and out-of-range limits', async () => {
    expectProblem(await rt.admin.get('/v1/users?cursor=%%%'), 400, 'validation_failed');
    expectProblem(await rt.admin.get('/v1/users?cursor=bm90LWpzb24'), 400, 'validation_failed');
    // A well-formed cursor that points into another tenant's partition.
    const forged = Buffer.from(JSON.stringify({ pk: 'TENANT#tnt_other', sk: 'USER#usr_x' })).toString('base64url');
    const response = await rt.admin.get(`/v1/users?cursor=${forged}`);
    expectProblem(response, 400, 'validation_failed');
    expect(response.body.errors).toEqual([{ path: 'query.cursor', message: expect.any(String) }]);
    expectProblem(await rt.admin.get('/v1/users?limit=0'), 400, 'validation_failed');
    expectProblem(await rt.admin.get('/v1/users?limit=101'), 400, 'validation_failed');
    expectProblem(await rt.admin.get('/v1/users?limit=ten'), 400, 'validation_failed');
    expectProblem(await rt.admin.get('/v1/users?colour=blue'), 400, 'validation_failed');
  });

  it('rejects bad audit filters', async () => {
    const response = await rt.admin.get('/v1/audit?from=yesterday');
    expectProblem(response, 400, 'validation_failed');
    expect(response.body.errors[0].path).toBe('query.from');
  });

  it('left the table as it was (but for the audit log of the refused calls)', async () => {
    expect(await rt.snapshot()).toEqual(before);
    const audit = await rt.admin.get('/v1/audit?action=project.create&limit=100');
    expect(audit.body.items.length).toBeGreaterThanOrEqual(5);
    expect(audit.body.items.every((e: { result: string }) => e.result === 'failed')).toBe(true);
  });
});

import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/local-api.ts';

let rt: TestRuntime;
beforeAll(async () => {
  rt = await startTestRuntime();
});
afterAll(async () => {
  await rt?.stop();
});

describe('Idempotency-Key', () => {
  it('replays the first response for the same key and body and creates nothing new', async () => {
    const headers = { 'idempotency-key': 'create-analytics-1' };
    const first = await rt.admin.post('/v1/projects', { name: 'analytics' }, headers);
    expect(first.status).toBe(201);
    const again = await rt.admin.post('/v1/projects', { name: 'analytics' }, headers);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('etag')).toBe(first.headers.get('etag'));
    const all = await rt.admin.get('/v1/projects?limit=100');
    expect(all.body.items.filter((p: { name: string }) => p.name === 'analytics')).toHaveLength(1);

    // The record lives in the table, in the tenant's own partition, for 24 hours.
    const records = await rt.store.doc.send(
      new QueryCommand({
        TableName: rt.store.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `IDEMPOTENCY#${rt.seeded.tenantId}` },
      }),
    );
    expect(records.Items?.length).toBeGreaterThanOrEqual(1);
    const ttl = Number(records.Items![0]!.ttl);
    expect(ttl * 1000 - Date.now()).toBeGreaterThan(23.9 * 3600_000);
    expect(ttl * 1000 - Date.now()).toBeLessThan(24.1 * 3600_000);
  });

  it('answers 409 idempotency_conflict for the same key with a different body', async () => {
    const headers = { 'idempotency-key': 'create-ml-1' };
    expect((await rt.admin.post('/v1/projects', { name: 'ml' }, headers)).status).toBe(201);
    const conflict = await rt.admin.post('/v1/projects', { name: 'ml-2' }, headers);
    expect(conflict.status).toBe(409);
    expect(conflict.body.code).toBe('idempotency_conflict');
    expect((await rt.admin.get('/v1/projects/ml-2')).status).toBe(404);
  });

  it('does not replay a key across callers, and does not remember failures', async () => {
    const headers = { 'idempotency-key': 'shared-key' };
    const tenant = await rt.system.post('/v1/tenants', { name: 'initech', adminEmail: 'boss@initech.example' }, headers);
    expect(tenant.status).toBe(201);
    const other = rt.as(tenant.body.admin.apiKey.key);
    const theirs = await other.post('/v1/projects', { name: 'tps' }, headers);
    expect(theirs.status).toBe(201);
    expect(theirs.body.name).toBe('tps');

    const bad = await rt.admin.post('/v1/projects', { name: 'default' }, { 'idempotency-key': 'retry-me' });
    expect(bad.status).toBe(409);
    const fixed = await rt.admin.post('/v1/projects', { name: 'default' }, { 'idempotency-key': 'retry-me' });
    expect(fixed.status).toBe(409);
    expect(fixed.body.code).toBe('conflict');
  });
});

describe('optimistic concurrency', () => {
  it('answers 412 when If-Match does not match and sets ETag on success', async () => {
    const project = await rt.admin.post('/v1/projects', { name: 'etags' });
    expect(project.headers.get('etag')).toBe('"1"');
    const stale = await rt.admin.patch(`/v1/projects/${project.body.id}`, { description: 'x' }, { 'if-match': '"7"' });
    expect(stale.status).toBe(412);
    expect(stale.body.code).toBe('precondition_failed');
    const fresh = await rt.admin.patch(`/v1/projects/${project.body.id}`, { description: 'x' }, { 'if-match': '"1"' });
    expect(fresh.status).toBe(200);
    expect(fresh.body).toMatchObject({ description: 'x', version: 2 });
    expect(fresh.headers.get('etag')).toBe('"2"');
  });

  it('lets exactly one of two concurrent PATCHes with the same If-Match win', async () => {
    const project = await rt.admin.post('/v1/projects', { name: 'race' });
    for (let round = 0; round < 5; round++) {
      const version = round + 1;
      const results = await Promise.all(
        ['left', 'right'].map((side) =>
          rt.admin.patch(`/v1/projects/${project.body.id}`, { description: `${side}-${round}` }, { 'if-match': `"${version}"` }),
        ),
      );
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 412]);
      const winner = results.find((r) => r.status === 200)!;
      const current = await rt.admin.get(`/v1/projects/${project.body.id}`);
      expect(current.body.version).toBe(version + 1);
      expect(current.body.description).toBe(winner.body.description);
    }
  });

  it('keeps project names unique under concurrent creates and renames', async () => {
    const creates = await Promise.all(Array.from({ length: 6 }, () => rt.admin.post('/v1/projects', { name: 'contended' })));
    expect(creates.filter((r) => r.status === 201)).toHaveLength(1);
    expect(creates.filter((r) => r.status === 409)).toHaveLength(5);

    const a = await rt.admin.post('/v1/projects', { name: 'rename-a' });
    const b = await rt.admin.post('/v1/projects', { name: 'rename-b' });
    const renames = await Promise.all([
      rt.admin.patch(`/v1/projects/${a.body.id}`, { name: 'rename-target' }),
      rt.admin.patch(`/v1/projects/${b.body.id}`, { name: 'rename-target' }),
    ]);
    expect(renames.map((r) => r.status).sort()).toEqual([200, 409]);
    expect((await rt.admin.get('/v1/projects/rename-target')).status).toBe(200);
    // The loser's old name still resolves to it.
    const loser = renames[0]!.status === 409 ? a : b;
    expect((await rt.admin.get(`/v1/projects/${loser.body.name}`)).body.id).toBe(loser.body.id);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/local-api.ts';

let rt: TestRuntime;
beforeAll(async () => {
  rt = await startTestRuntime();
});
afterAll(async () => {
  await rt?.stop();
});

describe('tenancy over HTTP', () => {
  it('lets the system admin create a tenant whose admin cannot see the first tenant\'s projects', async () => {
    const demoProjects = await rt.admin.get('/v1/projects');
    expect(demoProjects.status).toBe(200);
    const demoDefault = demoProjects.body.items.find((p: { name: string }) => p.name === 'default');
    expect(demoDefault).toBeDefined();

    const created = await rt.system.post('/v1/tenants', { name: 'globex', adminEmail: 'Ops@Globex.example' });
    expect(created.status).toBe(201);
    expect(created.body.tenant.name).toBe('globex');
    expect(created.body.admin.user.email).toBe('ops@globex.example');
    expect(created.body.admin.user.role).toBe('tenant.admin');
    expect(created.body.admin.apiKey.key).toMatch(/^plt_[A-Za-z0-9_-]{43}$/);

    const globex = rt.as(created.body.admin.apiKey.key);
    const theirProjects = await globex.get('/v1/projects');
    expect(theirProjects.body.items.map((p: { name: string }) => p.name)).toEqual(['default']);

    const foreign = await globex.get(`/v1/projects/${demoDefault.id}`);
    expect(foreign.status).toBe(404);
    expect(foreign.headers.get('content-type')).toBe('application/problem+json');
    expect(foreign.body.code).toBe('not_found');

    const foreignMembers = await globex.get(`/v1/projects/${demoDefault.id}/members`);
    expect(foreignMembers.status).toBe(404);
  });

  it('refuses tenant creation to a tenant admin and duplicate tenant names', async () => {
    const byTenantAdmin = await rt.admin.post('/v1/tenants', { name: 'nope', adminEmail: 'a@b.example' });
    expect(byTenantAdmin.status).toBe(403);
    expect(byTenantAdmin.body.code).toBe('forbidden');

    const duplicate = await rt.system.post('/v1/tenants', { name: 'Demo', adminEmail: 'x@demo.example' });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.code).toBe('conflict');
  });

  it('gives a project.viewer read access but 403 on mutations, and a non-member 404', async () => {
    const project = await rt.admin.post('/v1/projects', { name: 'payments' });
    expect(project.status).toBe(201);
    const viewer = await rt.admin.post('/v1/users', { email: 'viewer@demo.local', name: 'Vera Viewer', role: 'tenant.member' });
    expect(viewer.status).toBe(201);
    const outsider = await rt.admin.post('/v1/users', { email: 'outsider@demo.local', name: 'Otto' });
    expect(outsider.body.role).toBe('tenant.member');

    const viewerKey = await rt.admin.post(`/v1/users/${viewer.body.id}/apikeys`, { name: 'laptop' });
    expect(viewerKey.status).toBe(201);
    const outsiderKey = await rt.admin.post(`/v1/users/${outsider.body.id}/apikeys`, { name: 'ci', expiresInDays: 7 });
    expect(Date.parse(outsiderKey.body.expiresAt)).toBeGreaterThan(Date.now() + 6 * 86_400_000);

    const member = await rt.admin.put(`/v1/projects/${project.body.id}/members/${viewer.body.id}`, { role: 'project.viewer' });
    expect(member.status).toBe(200);
    expect(member.body).toMatchObject({ projectId: project.body.id, userId: viewer.body.id, role: 'project.viewer' });

    const asViewer = rt.as(viewerKey.body.key);
    expect((await asViewer.get(`/v1/projects/${project.body.id}`)).status).toBe(200);
    expect((await asViewer.get('/v1/projects/payments')).body.id).toBe(project.body.id);
    const listed = await asViewer.get('/v1/projects');
    expect(listed.body.items.map((p: { name: string }) => p.name)).toEqual(['payments']);

    const patch = await asViewer.patch(`/v1/projects/${project.body.id}`, { description: 'mine now' });
    expect(patch.status).toBe(403);
    expect(patch.body.code).toBe('forbidden');
    expect((await asViewer.post('/v1/projects', { name: 'sneaky' })).status).toBe(403);
    expect((await asViewer.put(`/v1/projects/${project.body.id}/members/${outsider.body.id}`, { role: 'project.admin' })).status).toBe(403);

    const asOutsider = rt.as(outsiderKey.body.key);
    expect((await asOutsider.get(`/v1/projects/${project.body.id}`)).status).toBe(404);
    expect((await asOutsider.get('/v1/projects')).body.items).toEqual([]);

    const me = await asViewer.get('/v1/me');
    expect(me.body.roles).toEqual(['tenant.member']);
    expect(me.body.projectRoles).toEqual([{ projectId: project.body.id, role: 'project.viewer' }]);

    const audit = await rt.admin.get(`/v1/audit?actor=${viewer.body.id}&action=project.update`);
    expect(audit.status).toBe(200);
    expect(audit.body.items).toHaveLength(1);
    expect(audit.body.items[0]).toMatchObject({ result: 'denied', statusCode: 403, projectId: project.body.id, resourceType: 'project' });
  });

  it('answers 401 at once for a deleted API key, and for a deleted user\'s keys', async () => {
    const user = await rt.admin.post('/v1/users', { email: 'temp@demo.local', name: 'Temp' });
    const first = await rt.admin.post(`/v1/users/${user.body.id}/apikeys`, { name: 'one' });
    const second = await rt.admin.post(`/v1/users/${user.body.id}/apikeys`, { name: 'two' });
    const asFirst = rt.as(first.body.key);
    expect((await asFirst.get('/v1/me')).status).toBe(200);

    expect((await rt.admin.delete(`/v1/apikeys/${first.body.id}`)).status).toBe(204);
    const refused = await asFirst.get('/v1/me');
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('unauthorized');

    const asSecond = rt.as(second.body.key);
    expect((await asSecond.get('/v1/me')).status).toBe(200);
    expect((await rt.admin.delete(`/v1/users/${user.body.id}`)).status).toBe(204);
    expect((await asSecond.get('/v1/me')).status).toBe(401);
    expect((await rt.admin.get(`/v1/users/${user.body.id}`)).status).toBe(404);
  });

  it('lets a member issue and revoke its own keys but not another user\'s', async () => {
    const alice = await rt.admin.post('/v1/users', { email: 'alice@demo.local', name: 'Alice' });
    const bob = await rt.admin.post('/v1/users', { email: 'bob@demo.local', name: 'Bob' });
    const aliceKey = await rt.admin.post(`/v1/users/${alice.body.id}/apikeys`, { name: 'a' });
    const asAlice = rt.as(aliceKey.body.key);

    const own = await asAlice.post(`/v1/users/${alice.body.id}/apikeys`, { name: 'second' });
    expect(own.status).toBe(201);
    expect((await asAlice.post(`/v1/users/${bob.body.id}/apikeys`, { name: 'stolen' })).status).toBe(403);

    const listed = await asAlice.get('/v1/apikeys');
    expect(listed.body.items.map((k: { name: string }) => k.name).sort()).toEqual(['a', 'second']);
    expect(JSON.stringify(listed.body)).not.toContain(aliceKey.body.key);

    const bobKey = await rt.admin.post(`/v1/users/${bob.body.id}/apikeys`, { name: 'b' });
    expect((await asAlice.delete(`/v1/apikeys/${bobKey.body.id}`)).status).toBe(404);
    expect((await asAlice.delete(`/v1/apikeys/${own.body.id}`)).status).toBe(204);
  });

  it('manages teams of existing users', async () => {
    const carol = await rt.admin.post('/v1/users', { email: 'carol@demo.local', name: 'Carol' });
    const team = await rt.admin.post('/v1/teams', { name: 'platform', memberIds: [carol.body.id] });
    expect(team.status).toBe(201);
    expect(team.body.memberIds).toEqual([carol.body.id]);

    const ghost = await rt.admin.post('/v1/teams', { name: 'ghosts', memberIds: ['usr_01AAAAAAAAAAAAAAAAAAAAAAAA'] });
    expect(ghost.status).toBe(400);
    expect(ghost.body.errors).toEqual([{ path: 'body.memberIds.0', message: expect.stringContaining('no user') }]);

    const renamed = await rt.admin.put(`/v1/teams/${team.body.id}`, { name: 'platform-eng', memberIds: [] }, { 'if-match': '"1"' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'platform-eng', memberIds: [], version: 2 });
    expect(renamed.headers.get('etag')).toBe('"2"');

    const stale = await rt.admin.put(`/v1/teams/${team.body.id}`, { name: 'x', memberIds: [] }, { 'if-match': '"1"' });
    expect(stale.status).toBe(412);
    expect((await rt.admin.get('/v1/teams')).body.items).toHaveLength(1);
    expect((await rt.admin.delete(`/v1/teams/${team.body.id}`)).status).toBe(204);
    expect((await rt.admin.get(`/v1/teams/${team.body.id}`)).status).toBe(404);
  });

  it('keeps the default project and lets a tenant admin delete others', async () => {
    expect((await rt.admin.delete('/v1/projects/default')).status).toBe(409);
    const doomed = await rt.admin.post('/v1/projects', { name: 'doomed' });
    expect((await rt.admin.delete(`/v1/projects/${doomed.body.id}`)).status).toBe(204);
    expect((await rt.admin.get(`/v1/projects/${doomed.body.id}`)).status).toBe(404);
    // The name is free again.
    expect((await rt.admin.post('/v1/projects', { name: 'doomed' })).status).toBe(201);
  });

  it('lists tenants for the system admin only, and shows it with no tenant in /v1/me', async () => {
    const tenants = await rt.system.get('/v1/tenants?limit=1');
    expect(tenants.status).toBe(200);
    expect(tenants.body.items).toHaveLength(1);
    expect(tenants.body.nextCursor).toEqual(expect.any(String));
    const next = await rt.system.get(`/v1/tenants?limit=100&cursor=${tenants.body.nextCursor}`);
    expect(next.body.items.length).toBeGreaterThan(0);
    expect(next.body.items[0].id).not.toBe(tenants.body.items[0].id);

    expect((await rt.admin.get('/v1/tenants')).status).toBe(403);
    const me = await rt.system.get('/v1/me');
    expect(me.body).toMatchObject({ tenant: null, roles: ['system.admin'] });
    expect((await rt.system.get('/v1/projects')).status).toBe(403);
  });

  it('needs an API key everywhere but the public routes', async () => {
    expect((await rt.anonymous.get('/healthz')).body).toEqual({ status: 'ok' });
    const missing = await rt.anonymous.get('/v1/me');
    expect(missing.status).toBe(401);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
    expect((await rt.as('plt_not-a-real-key-at-all-0000000000000').get('/v1/me')).status).toBe(401);
  });
});

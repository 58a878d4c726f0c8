/** The console's mode switch as the API keeps it: per user, defaulting by role, and a PUT that writes only that. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/local-api.ts';
import { freshUser } from '../support/app-mode.ts';

let rt: TestRuntime;

beforeAll(async () => {
  rt = await startTestRuntime({ simSpeed: 50 });
});
afterAll(async () => {
  await rt?.stop();
});

describe('preferences', () => {
  it('start in Cluster Mode for tenant and system admins and in App Mode for everyone else', async () => {
    expect((await rt.admin.get('/v1/me/preferences')).body).toEqual({ mode: 'cluster' });
    expect((await rt.system.get('/v1/me/preferences')).body).toEqual({ mode: 'cluster' });
    const dev = await freshUser(rt, 'prefs');
    expect((await dev.api.get('/v1/me/preferences')).body).toEqual({ mode: 'app' });
  });

  it('keep the mode a user switched to, for that user only, and leave the rest of the user as it was', async () => {
    const dev = await freshUser(rt, 'switcher');
    const before = await rt.admin.get(`/v1/users/${dev.id}`);
    const put = await dev.api.put('/v1/me/preferences', { mode: 'cluster' });
    expect(put.status, put.text).toBe(200);
    expect(put.body).toEqual({ mode: 'cluster' });
    expect((await dev.api.get('/v1/me/preferences')).body).toEqual({ mode: 'cluster' });
    expect((await rt.admin.get('/v1/me/preferences')).body).toEqual({ mode: 'cluster' });
    const after = await rt.admin.get(`/v1/users/${dev.id}`);
    expect({ ...after.body, version: undefined, updatedAt: undefined }).toEqual({ ...before.body, version: undefined, updatedAt: undefined });
    const audit = await rt.admin.get(`/v1/audit?actor=${dev.id}&action=me.preferences.put`);
    expect(audit.body.items.map((e: { action: string }) => e.action)).toContain('me.preferences.put');
  });

  it('refuse a mode that is not app or cluster, and unknown fields, at their path', async () => {
    const bad = await rt.admin.put('/v1/me/preferences', { mode: 'dark' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('body.mode');
    const extra = await rt.admin.put('/v1/me/preferences', { mode: 'app', theme: 'dark' });
    expect(extra.status).toBe(400);
    expect((await rt.anonymous.get('/v1/me/preferences')).status).toBe(401);
  });
});

/**
 * Signed webhook deliveries through the public receiver, as CI would send them: the
 * raw body's HMAC, the delivery id taken once, the app redeployed or upgraded, and
 * every delivery (refused ones too) in the audit log.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, until, type ApiClient, type TestRuntime } from '../support/local-api.ts';
import { beehiveHosts, freshUser } from '../support/app-mode.ts';

let rt: TestRuntime;
let dev: { id: string; api: ApiClient };
let appId: string;
let v2: string;
let hook: { id: string; url: string; secret: string };
const project = '/v1/projects/default';

const sign = (secret: string, body: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
const deliver = (url: string, body: string, headers: Record<string, string>) =>
  rt.anonymous.request('POST', url.replace(rt.url, ''), { rawBody: body, headers: { 'content-type': 'application/json', ...headers } });
const appOf = () => dev.api.get(`${project}/apps/${appId}`);

beforeAll(async () => {
  rt = await startTestRuntime({ simSpeed: 20 });
  await beehiveHosts(rt);
  dev = await freshUser(rt, 'hooks');
  const vc = await dev.api.post(`${project}/virtualclusters`, { name: 'hooks-vc' });
  await until('Running', () => dev.api.get(`${project}/virtualclusters/${vc.body.id}`), (r) => r.body.status.phase === 'Running', 30_000);
  const tiers = (image: string) => [{ name: 'web', type: 'container', image }];
  const v1 = await dev.api.post(`${project}/appprofiles`, { name: 'site', version: '1.0.0', tiers: tiers('nginx:1.27') });
  v2 = (await dev.api.post(`${project}/appprofiles`, { name: 'site', version: '2.0.0', tiers: tiers('nginx:1.28') })).body.id;
  const app = await dev.api.post(`${project}/apps`, { name: 'site', appProfileId: v1.body.id, virtualClusterId: vc.body.id });
  appId = app.body.id;
  await until('Deployed', appOf, (r) => r.body.status.phase === 'Deployed', 30_000);
}, 90_000);
afterAll(async () => {
  await rt?.stop();
});

describe('webhooks', () => {
  it('is created with a URL and a secret shown only once, stored sealed', async () => {
    const created = await dev.api.post(`${project}/webhooks`, { name: 'ci', appId });
    expect(created.status).toBe(201);
    expect(created.body.url).toBe(`${rt.url}/v1/hooks/${created.body.id}`);
    expect(created.body.secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    hook = created.body;
    const listed = await dev.api.get(`${project}/webhooks`);
    expect(listed.body.items).toHaveLength(1);
    expect(listed.body.items[0]).not.toHaveProperty('secret');
    expect((await rt.snapshot()).join('\n')).not.toContain(hook.secret);
    const unknownApp = await dev.api.post(`${project}/webhooks`, { name: 'x', appId: 'app_01ARZ3NDEKTSV4RRFFQ69G5FAV' });
    expect(unknownApp.status).toBe(400);
    expect(unknownApp.body.errors[0].path).toBe('body.appId');
  });

  it('refuses a bad or missing signature with 401 and starts nothing, and audits the refusal', async () => {
    const before = (await appOf()).body;
    const body = JSON.stringify({});
    const bad = await deliver(hook.url, body, { 'x-hub-signature-256': sign('not-the-secret', body), 'x-delivery-id': 'bad-1' });
    expect(bad.status).toBe(401);
    expect(bad.body.code).toBe('unauthorized');
    const missing = await deliver(hook.url, body, { 'x-delivery-id': 'bad-2' });
    expect(missing.status).toBe(401);
    // A signature over other bytes than those sent does not pass either.
    const tampered = await deliver(hook.url, '{ }', { 'x-hub-signature-256': sign(hook.secret, body), 'x-delivery-id': 'bad-3' });
    expect(tampered.status).toBe(401);
    const after = (await appOf()).body;
    expect(after.revision).toBe(before.revision);
    expect(after.version).toBe(before.version);
    const audit = await rt.admin.get(`/v1/audit?actor=${encodeURIComponent(`webhook:${hook.id}`)}`);
    expect(audit.body.items.filter((e: { result: string }) => e.result === 'denied')).toHaveLength(3);
    expect(audit.body.items[0]).toMatchObject({ action: 'hook.deliver', resourceType: 'webhook', resourceId: appId });
  });

  it('answers an unknown webhook with 404', async () => {
    const body = '{}';
    const unknown = await deliver(`${rt.url}/v1/hooks/wh_01ARZ3NDEKTSV4RRFFQ69G5FAV`, body, { 'x-hub-signature-256': sign(hook.secret, body), 'x-delivery-id': 'u-1' });
    expect(unknown.status).toBe(404);
  });

  it('needs a delivery id once the signature holds', async () => {
    const body = '{}';
    const response = await deliver(hook.url, body, { 'x-hub-signature-256': sign(hook.secret, body) });
    expect(response.status).toBe(400);
    expect(response.body.errors[0].path).toBe('header.x-delivery-id');
  });

  it('redeploys on a good delivery (202, a new revision); the same delivery again is 200 with the first operation', async () => {
    const before = (await appOf()).body.revision;
    const body = JSON.stringify({});
    const headers = { 'x-hub-signature-256': sign(hook.secret, body), 'x-delivery-id': 'push-1' };
    const first = await deliver(hook.url, body, headers);
    expect(first.status).toBe(202);
    expect(first.body.operationId).toMatch(/^op_/);
    const done = await until('deployed', appOf, (r) => r.body.status.phase === 'Deployed', 30_000);
    expect(done.body.revision).toBe(before + 1);
    const operation = await dev.api.get(`/v1/operations/${first.body.operationId}`);
    expect(operation.body).toMatchObject({ kind: 'app.deploy', resourceId: appId, status: 'Succeeded' });
    const again = await deliver(hook.url, body, headers);
    expect(again.status).toBe(200);
    expect(again.body.operationId).toBe(first.body.operationId);
    expect((await appOf()).body.revision).toBe(before + 1);
    const audit = await rt.admin.get(`/v1/audit?actor=${encodeURIComponent(`webhook:${hook.id}`)}&action=hook.deliver`);
    expect(audit.body.items.some((e: { result: string }) => e.result === 'success')).toBe(true);
  });

  it('takes the same delivery arriving five times at once exactly once', async () => {
    const body = JSON.stringify({});
    const headers = { 'x-hub-signature-256': sign(hook.secret, body), 'x-delivery-id': 'push-burst' };
    const responses = await Promise.all(Array.from({ length: 5 }, () => deliver(hook.url, body, headers)));
    expect(responses.filter((r) => r.status === 202)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 200)).toHaveLength(4);
    expect(new Set(responses.map((r) => r.body.operationId)).size).toBe(1);
    await until('deployed', appOf, (r) => r.body.status.phase === 'Deployed', 30_000);
  });

  it('upgrades to the profile version a delivery names', async () => {
    const body = JSON.stringify({ appProfileId: v2 });
    const response = await deliver(hook.url, body, { 'x-hub-signature-256': sign(hook.secret, body), 'x-delivery-id': 'release-2' });
    expect(response.status).toBe(202);
    const done = await until('upgraded', appOf, (r) => r.body.status.phase === 'Deployed' && r.body.appProfileId === v2, 30_000);
    expect(done.body.profileVersion).toBe('2.0.0');
    const bad = JSON.stringify({ appProfileId: v2, surprise: true });
    const refused = await deliver(hook.url, bad, { 'x-hub-signature-256': sign(hook.secret, bad), 'x-delivery-id': 'release-3' });
    expect(refused.status).toBe(400);
    expect(refused.body.errors[0].path).toBe('body.surprise');
  });

  it('redeploys on a signed GitHub push, whatever its payload', async () => {
    const before = (await appOf()).body.revision;
    const body = JSON.stringify({ ref: 'refs/heads/main', after: 'abc123', repository: { full_name: 'acme/site' } });
    const response = await deliver(hook.url, body, {
      'x-hub-signature-256': sign(hook.secret, body),
      'x-github-delivery': '6a1a2c3e-0000-11ee-8000-000000000001',
      'x-github-event': 'push',
    });
    expect(response.status).toBe(202);
    const done = await until('redeployed', appOf, (r) => r.body.status.phase === 'Deployed' && r.body.revision === before + 1, 30_000);
    expect(done.body.appProfileId).toBe(v2);
  });

  it('refuses deliveries once the webhook is deleted', async () => {
    expect((await dev.api.delete(`${project}/webhooks/${hook.id}`)).status).toBe(204);
    const body = '{}';
    const response = await deliver(hook.url, body, { 'x-hub-signature-256': sign(hook.secret, body), 'x-delivery-id': 'late' });
    expect(response.status).toBe(404);
  });

  it('goes with its project: deleting the project leaves no webhook, lookup or profile behind', async () => {
    const created = await rt.admin.post('/v1/projects', { name: 'short-lived' });
    const p = `/v1/projects/${created.body.id}`;
    const vc = await rt.admin.post(`${p}/virtualclusters`, { name: 'brief' });
    await until('Running', () => rt.admin.get(`${p}/virtualclusters/${vc.body.id}`), (r) => r.body.status.phase === 'Running', 30_000);
    const profile = await rt.admin.post(`${p}/appprofiles`, { name: 'tmp', version: '1.0.0', tiers: [{ name: 'web', type: 'container', image: 'nginx:1.27' }] });
    const app = await rt.admin.post(`${p}/apps`, { name: 'tmp', appProfileId: profile.body.id, virtualClusterId: vc.body.id });
    await until('Deployed', () => rt.admin.get(`${p}/apps/${app.body.id}`), (r) => r.body.status.phase === 'Deployed', 30_000);
    const webhook = await rt.admin.post(`${p}/webhooks`, { name: 'tmp', appId: app.body.id });
    expect(webhook.status).toBe(201);
    const refused = await rt.admin.delete(p);
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toMatch(/virtual clusters/);
    // Deleting the virtual cluster takes its app with it.
    await rt.admin.delete(`${p}/virtualclusters/${vc.body.id}`);
    await until('gone', () => rt.admin.get(`${p}/virtualclusters/${vc.body.id}`), (r) => r.status === 404, 30_000);
    expect((await rt.admin.get(`${p}/apps/${app.body.id}`)).status).toBe(404);
    expect((await rt.admin.delete(p)).status).toBe(204);
    // What the project owned is gone; its history (operations, usage meters, audit) stays with the tenant.
    const owned = new Set(['project', 'projectname', 'webhook', 'webhooklookup', 'appprofile', 'appprofilename', 'appprofilefamily', 'app', 'appname', 'virtualcluster', 'virtualclustername', 'member']);
    const left = (await rt.snapshot())
      .filter((item) => item.includes(created.body.id) || item.includes(webhook.body.id) || item.includes(profile.body.id))
      .filter((item) => owned.has(JSON.parse(item).type));
    expect(left.map((item) => JSON.parse(item).sk)).toEqual([]);
  });
});

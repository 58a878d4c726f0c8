import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppProfile, deleteAppProfile, latestVersionOf } from '#shared/app-profiles/app-profiles.ts';
import { createAppProfileBody } from '#shared/app-profiles/schemas.ts';
import type { ApiError } from '#shared/errors.ts';
import type { Store } from '#shared/store/client.ts';
import { keys } from '#shared/store/keys.ts';
import { update, updateItem } from '#shared/store/table.ts';
import { createTx } from '#shared/store/tx.ts';
import { startTestRuntime, type ApiResponse, type TestRuntime } from '../support/local-api.ts';

let rt: TestRuntime;
let tenantId: string;
let projectId: string;
let otherProjectId: string;
beforeAll(async () => {
  rt = await startTestRuntime();
  tenantId = (await rt.admin.get('/v1/me')).body.tenant.id;
  projectId = (await rt.admin.post('/v1/projects', { name: 'apps' })).body.id;
  otherProjectId = (await rt.admin.post('/v1/projects', { name: 'apps-other' })).body.id;
});
afterAll(async () => {
  await rt?.stop();
});

const profiles = (p = projectId) => `/v1/projects/${p}/appprofiles`;

const db = { name: 'db', type: 'database', engine: 'postgres', version: '16', storageGiB: 5 };
const web = { name: 'web', type: 'container', image: 'ghcr.io/acme/web:1.4.2', port: 8080, env: { DATABASE_HOST: '{{tiers.db.HOST}}', DATABASE_PASSWORD: '{{tiers.db.PASSWORD}}' } };
const extras = { name: 'extras', type: 'manifest', manifests: [{ name: 'settings', content: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n' }] };
const appProfile = (name: string, version: string, tiers: unknown[] = [db, web], extra: Record<string, unknown> = {}) => ({ name, version, tiers, ...extra });

/** Resolves each arrival once `parties` have arrived. */
function barrier(parties: number): () => Promise<void> {
  const waiting: Array<() => void> = [];
  return () =>
    new Promise<void>((resolve) => {
      waiting.push(resolve);
      if (waiting.length === parties) waiting.forEach((release) => release());
    });
}

/**
 * The store of one writer, which waits at the barrier once its first command that
 * `matches` has been answered: so concurrent writers are sure to have all read what
 * they read before any of them writes.
 */
function holdingAfter(store: Store, matches: (command: unknown) => boolean, arrive: () => Promise<void>): Store {
  let held = false;
  const send = async (command: unknown) => {
    const result = await store.doc.send(command as never);
    if (!held && matches(command)) {
      held = true;
      await arrive();
    }
    return result;
  };
  return { ...store, doc: { send } as unknown as Store['doc'] };
}

const familyRead = (command: unknown) => command instanceof GetCommand && String(command.input.Key?.sk).startsWith('APPPROFILEFAMILY#');
const versionsQuery = (command: unknown) =>
  command instanceof QueryCommand && String(command.input.ExpressionAttributeValues?.[':skp']).startsWith('APPPROFILENAME#');

/** A 400 validation_failed whose errors are exactly these paths (in any order). */
function expectInvalid(response: ApiResponse, paths: string[]) {
  expect(response.status, JSON.stringify(response.body)).toBe(400);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  expect(response.body.code).toBe('validation_failed');
  expect(response.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([...paths].sort());
}

const versionsOf = async (name: string) =>
  ((await rt.admin.get(`${profiles()}?name=${encodeURIComponent(name)}&limit=100`)).body.items as Array<{ version: string }>).map((p) => p.version).sort();

describe('creating app profiles', () => {
  it('answers 201 with the profile: its semver as version, the resource version as revision, defaults applied', async () => {
    const created = await rt.admin.post(profiles(), appProfile('shop', '1.0.0', [db, web, extras], { description: 'the shop' }));
    expect(created.status, created.text).toBe(201);
    expect(created.headers.get('etag')).toBe('"1"');
    expect(created.body).toEqual({
      id: expect.stringMatching(/^ap_[0-9A-Z]{26}$/),
      name: 'shop',
      version: '1.0.0',
      description: 'the shop',
      tiers: [db, { ...web, replicas: 1 }, extras],
      projectId,
      createdAt: expect.any(String),
      updatedAt: created.body.createdAt,
      revision: 1,
    });
    const got = await rt.admin.get(`${profiles('apps')}/${created.body.id}`);
    expect(got.status).toBe(200);
    expect(got.headers.get('etag')).toBe('"1"');
    expect(got.body).toEqual(created.body);
    const minimal = await rt.admin.post(profiles(), appProfile('minimal', '0.1.0', [{ name: 'app', type: 'container', image: 'app' }]));
    expect(minimal.status, minimal.text).toBe(201);
    expect(minimal.body.description).toBe('');
  });

  it('answers 409 conflict for a taken (name, version), but takes it in another project', async () => {
    expect((await rt.admin.post(profiles(), appProfile('taken', '1.0.0'))).status).toBe(201);
    const again = await rt.admin.post(profiles(), appProfile('taken', '1.0.0', [db]));
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('conflict');
    expect((await rt.admin.post(profiles(otherProjectId), appProfile('taken', '1.0.0'))).status).toBe(201);
    expect(await versionsOf('taken')).toEqual(['1.0.0']);
  });

  it('gives exactly one 201 among 10 concurrent creates of the same (name, version)', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => rt.admin.post(profiles(), appProfile('contended', '1.0.0'))));
    expect(results.map((r) => r.status).sort()).toEqual([201, ...Array(9).fill(409)]);
    const listed = (await rt.admin.get(`${profiles()}?name=contended`)).body.items;
    expect(listed.map((p: { id: string }) => p.id)).toEqual([results.find((r) => r.status === 201)!.body.id]);
  });

  it('lands every one of concurrent creates of different versions of one profile', async () => {
    const versions = ['1.0.0', '1.1.0', '1.2.0', '2.0.0-rc.1', '1.10.0'];
    const results = await Promise.all(versions.map((v) => rt.admin.post(profiles(), appProfile('busy', v))));
    expect(results.map((r) => r.status)).toEqual(versions.map(() => 201));
    expect(await versionsOf('busy')).toEqual([...versions].sort());
    expect(await latestVersionOf(rt.store, tenantId, projectId, 'busy')).toEqual({
      appProfileId: results[3]!.body.id,
      version: '2.0.0-rc.1',
    });
  });

  it('replays a create with the same Idempotency-Key and creates nothing new', async () => {
    const headers = { 'idempotency-key': 'create-app-profile-once' };
    const first = await rt.admin.post(profiles(), appProfile('replayed', '1.0.0'), headers);
    const again = await rt.admin.post(profiles(), appProfile('replayed', '1.0.0'), headers);
    expect(first.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(await versionsOf('replayed')).toEqual(['1.0.0']);
  });

  it('reports invalid profiles with the paths of the fields to fix and writes nothing', async () => {
    const before = await rt.snapshot();
    expectInvalid(await rt.admin.post(profiles(), appProfile('bad', 'v1')), ['body.version']);
    expectInvalid(await rt.admin.post(profiles(), appProfile('bad', '1.0.0', [])), ['body.tiers']);
    expectInvalid(await rt.admin.post(profiles(), appProfile('bad', '1.0.0', [{ ...db, type: 'queue' }])), ['body.tiers.0.type']);
    expectInvalid(await rt.admin.post(profiles(), appProfile('bad', '1.0.0', [{ ...db, image: 'postgres' }])), ['body.tiers.0.image']);
    expectInvalid(await rt.admin.post(profiles(), appProfile('bad', '1.0.0', [web, db])), ['body.tiers.0.env.DATABASE_HOST', 'body.tiers.0.env.DATABASE_PASSWORD']);
    expectInvalid(
      await rt.admin.post(profiles(), appProfile('bad', '1.0.0', [{ ...extras, manifests: [{ name: 'm', content: 'kind: ConfigMap\n' }] }])),
      ['body.tiers.0.manifests.0.content'],
    );
    expect(await rt.snapshot()).toEqual(before);
  });
});

describe('versions of one profile', () => {
  it('may add and drop tiers from one version to the next', async () => {
    expect((await rt.admin.post(profiles(), appProfile('evolving', '1.0.0', [db, web]))).status).toBe(201);
    const cache = { name: 'cache', type: 'database', engine: 'redis', version: '7.2', storageGiB: 1 };
    const next = await rt.admin.post(profiles(), appProfile('evolving', '1.1.0', [cache, { ...web, env: {} }, extras]));
    expect(next.status, next.text).toBe(201);
    // A tier dropped in 1.1.0 may come back with its type.
    expect((await rt.admin.post(profiles(), appProfile('evolving', '1.2.0', [db, extras]))).status).toBe(201);
    expect(await versionsOf('evolving')).toEqual(['1.0.0', '1.1.0', '1.2.0']);
  });

  it('refuses a version that changes the type of an existing tier, at that tier\'s type', async () => {
    expect((await rt.admin.post(profiles(), appProfile('typed', '1.0.0', [db, web]))).status).toBe(201);
    expect((await rt.admin.post(profiles(), appProfile('typed', '1.1.0', [{ ...web, env: {} }]))).status).toBe(201);
    const changed = await rt.admin.post(profiles(), appProfile('typed', '2.0.0', [{ name: 'web', type: 'container', image: 'w' }, { name: 'db', type: 'container', image: 'pg' }]));
    expectInvalid(changed, ['body.tiers.1.type']);
    expect(changed.body.errors[0].message).toContain('db is a database tier');
    expect(await versionsOf('typed')).toEqual(['1.0.0', '1.1.0']);
  });

  it('lets exactly one of two concurrent versions that give a tier different types land', async () => {
    for (let round = 0; round < 3; round++) {
      const name = `racing-${round}`;
      const [asDatabase, asContainer] = await Promise.all([
        rt.admin.post(profiles(), appProfile(name, '1.0.0', [db])),
        rt.admin.post(profiles(), appProfile(name, '1.1.0', [{ name: 'db', type: 'container', image: 'pg' }])),
      ]);
      const statuses = [asDatabase.status, asContainer.status].sort();
      expect(statuses, `${asDatabase.text} ${asContainer.text}`).toEqual([201, 400]);
      const loser = asDatabase.status === 400 ? asDatabase : asContainer;
      expectInvalid(loser, ['body.tiers.0.type']);
      expect((await rt.admin.get(`${profiles()}?name=${name}`)).body.items).toHaveLength(1);
    }
  });

  it('refuses the second of two creates that read the family at the same moment when it changes a tier\'s type', async () => {
    // Both creates read the family before either commits: the race the family's version condition decides.
    const arrive = barrier(2);
    const create = (version: string, tiers: unknown[]) =>
      createAppProfile(createTx(holdingAfter(rt.store, familyRead, arrive)), tenantId, projectId, createAppProfileBody.parse(appProfile('interleaved', version, tiers)));
    const results = await Promise.allSettled([create('1.0.0', [db]), create('1.1.0', [{ name: 'db', type: 'container', image: 'pg' }])]);
    const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason as ApiError);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.code).toBe('validation_failed');
    expect(refused[0]!.errors).toEqual([{ path: 'body.tiers.0.type', message: expect.stringContaining('keeps its type') }]);
    expect(await versionsOf('interleaved')).toHaveLength(1);
  });

  it('lets only versions that agree on a tier\'s type land when many race', async () => {
    const asDatabase = ['1.0.0', '1.1.0', '1.2.0', '1.3.0'].map((v) => appProfile('crowded', v, [db]));
    const asContainer = ['2.0.0', '2.1.0', '2.2.0', '2.3.0'].map((v) => appProfile('crowded', v, [{ name: 'db', type: 'container', image: 'pg' }]));
    const results = await Promise.all([...asDatabase, ...asContainer].map((body) => rt.admin.post(profiles(), body)));
    const landed = results.filter((r) => r.status === 201).map((r) => r.body.tiers[0].type);
    expect(landed.length).toBeGreaterThan(0);
    expect(new Set(landed).size).toBe(1);
    for (const refused of results.filter((r) => r.status !== 201)) expectInvalid(refused, ['body.tiers.0.type']);
    expect(landed).toHaveLength(4);
    expect(await versionsOf('crowded')).toHaveLength(4);
  });

  it('lists the versions of one profile with ?name= and no other profile\'s', async () => {
    await rt.admin.post(profiles(), appProfile('listed', '1.0.0'));
    await rt.admin.post(profiles(), appProfile('listed', '1.1.0'));
    await rt.admin.post(profiles(), appProfile('listed-extra', '1.0.0'));
    const byName = await rt.admin.get(`${profiles()}?name=listed`);
    expect(byName.status).toBe(200);
    expect(byName.body.items.map((p: { name: string; version: string }) => `${p.name}@${p.version}`)).toEqual(['listed@1.0.0', 'listed@1.1.0']);
    expect(byName.body.nextCursor).toBeNull();
    const paged = await rt.admin.get(`${profiles()}?name=listed&limit=1`);
    const rest = await rt.admin.get(`${profiles()}?name=listed&limit=1&cursor=${paged.body.nextCursor}`);
    expect([...paged.body.items, ...rest.body.items].map((p: { version: string }) => p.version)).toEqual(['1.0.0', '1.1.0']);
    expectInvalid(await rt.admin.get(`${profiles()}?name=listed-extra&cursor=${paged.body.nextCursor}`), ['query.cursor']);
    expect((await rt.admin.get(`${profiles()}?name=nothing-by-this-name`)).body.items).toEqual([]);

    const all = await rt.admin.get(`${profiles()}?limit=100`);
    const names = all.body.items.map((p: { name: string; version: string }) => `${p.name}@${p.version}`);
    expect(names.indexOf('listed@1.0.0')).toBeLessThan(names.indexOf('listed@1.1.0'));
    expect(names.indexOf('listed@1.1.0')).toBeLessThan(names.indexOf('listed-extra@1.0.0'));
  });
});

describe('the latest version of a profile', () => {
  it('is the highest semver, not the newest, with a prerelease below its release', async () => {
    const create = async (version: string) => (await rt.admin.post(profiles(), appProfile('semver', version))).body.id as string;
    expect(await latestVersionOf(rt.store, tenantId, projectId, 'semver')).toBeUndefined();
    const v190 = await create('1.9.0');
    expect(await latestVersionOf(rt.store, tenantId, projectId, 'semver')).toEqual({ appProfileId: v190, version: '1.9.0' });
    const v1100 = await create('1.10.0');
    await create('1.2.0');
    await create('1.10.0-rc.1');
    expect(await latestVersionOf(rt.store, tenantId, projectId, 'semver')).toEqual({ appProfileId: v1100, version: '1.10.0' });
    // Other projects have families of their own.
    expect(await latestVersionOf(rt.store, tenantId, otherProjectId, 'semver')).toBeUndefined();
  });

  it('moves back to the highest remaining version when the latest is deleted, and is gone with the last', async () => {
    const ids = Object.fromEntries(
      await Promise.all(['1.0.0', '2.0.0', '1.5.0'].map(async (v) => [v, (await rt.admin.post(profiles(), appProfile('shrinking', v))).body.id as string])),
    );
    expect(await latestVersionOf(rt.store, tenantId, projectId, 'shrinking')).toEqual({ appProfileId: ids['2.0.0'], version: '2.0.0' });
    expect((await rt.admin.delete(`${profiles()}/${ids['2.0.0']}`)).status).toBe(204);
    expect(await latestVersionOf(rt.store, tenantId, projectId, 'shrinking')).toEqual({ appProfileId: ids['1.5.0'], version: '1.5.0' });
    expect((await rt.admin.delete(`${profiles()}/${ids['1.0.0']}`)).status).toBe(204);
    expect(await latestVersionOf(rt.store, tenantId, projectId, 'shrinking')).toEqual({ appProfileId: ids['1.5.0'], version: '1.5.0' });
    expect((await rt.admin.delete(`${profiles()}/${ids['1.5.0']}`)).status).toBe(204);
    expect(await latestVersionOf(rt.store, tenantId, projectId, 'shrinking')).toBeUndefined();
  });

  it('stays right when the latest version is deleted while a lower one is created', async () => {
    const v1 = await rt.admin.post(profiles(), appProfile('swapping', '1.0.0'));
    const v2 = await rt.admin.post(profiles(), appProfile('swapping', '2.0.0'));
    // The create has read the family and the delete the remaining versions before either commits.
    const arrive = barrier(2);
    const [created] = await Promise.all([
      createAppProfile(createTx(holdingAfter(rt.store, familyRead, arrive)), tenantId, projectId, createAppProfileBody.parse(appProfile('swapping', '1.5.0'))),
      deleteAppProfile(createTx(holdingAfter(rt.store, versionsQuery, arrive)), tenantId, projectId, v2.body.id),
    ]);
    expect(await versionsOf('swapping')).toEqual(['1.0.0', '1.5.0']);
    expect(await latestVersionOf(rt.store, tenantId, projectId, 'swapping')).toEqual({ appProfileId: created.id, version: '1.5.0' });
    expect((await rt.admin.get(`${profiles()}/${v1.body.id}`)).status).toBe(200);
  });

  it('forgets the tier types of deleted versions', async () => {
    const first = await rt.admin.post(profiles(), appProfile('retyped', '1.0.0', [db]));
    expect((await rt.admin.delete(`${profiles()}/${first.body.id}`)).status).toBe(204);
    expect((await rt.admin.post(profiles(), appProfile('retyped', '2.0.0', [{ name: 'db', type: 'container', image: 'pg' }]))).status).toBe(201);
  });
});

describe('getting and deleting app profiles', () => {
  it('answers 404 for another project\'s profile id and for unknown ids', async () => {
    const foreign = await rt.admin.post(profiles(otherProjectId), appProfile('elsewhere', '1.0.0'));
    const got = await rt.admin.get(`${profiles()}/${foreign.body.id}`);
    expect(got.status).toBe(404);
    expect(got.body.code).toBe('not_found');
    expect((await rt.admin.delete(`${profiles()}/${foreign.body.id}`)).status).toBe(404);
    expect((await rt.admin.get(`${profiles(otherProjectId)}/${foreign.body.id}`)).status).toBe(200);
    expect((await rt.admin.get(`${profiles()}/ap_01AAAAAAAAAAAAAAAAAAAAAAAA`)).status).toBe(404);
    expectInvalid(await rt.admin.get(`${profiles()}/cp_01AAAAAAAAAAAAAAAAAAAAAAAA`), ['path.id']);
  });

  it('deletes a version with 204, after which it is 404 and its (name, version) is free', async () => {
    const created = await rt.admin.post(profiles(), appProfile('short-lived', '1.0.0'));
    const stale = await rt.admin.delete(`${profiles()}/${created.body.id}`, { 'if-match': '"2"' });
    expect(stale.status).toBe(412);
    expect(stale.body.code).toBe('precondition_failed');
    const deleted = await rt.admin.delete(`${profiles()}/${created.body.id}`, { 'if-match': '"1"' });
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expect((await rt.admin.get(`${profiles()}/${created.body.id}`)).status).toBe(404);
    expect((await rt.admin.delete(`${profiles()}/${created.body.id}`)).status).toBe(404);
    expect((await rt.admin.get(`${profiles()}?name=short-lived`)).body.items).toEqual([]);
    const again = await rt.admin.post(profiles(), appProfile('short-lived', '1.0.0'));
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(created.body.id);
  });

  it('refuses with 409 invalid_state to delete a version an app uses', async () => {
    const used = await rt.admin.post(profiles(), appProfile('in-use', '1.0.0'));
    const key = keys.appProfile(tenantId, projectId, used.body.id);
    // What the apps feature does when an app starts using a version.
    await update(rt.store, updateItem(key, { add: { apps: 1 } }));
    const refused = await rt.admin.delete(`${profiles()}/${used.body.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('invalid_state');
    expect((await rt.admin.get(`${profiles()}/${used.body.id}`)).status).toBe(200);
    expect(await latestVersionOf(rt.store, tenantId, projectId, 'in-use')).toEqual({ appProfileId: used.body.id, version: '1.0.0' });
    await update(rt.store, updateItem(key, { add: { apps: -1 } }));
    expect((await rt.admin.delete(`${profiles()}/${used.body.id}`)).status).toBe(204);
  });
});

describe('access', () => {
  it('lets a project viewer read but not write, and hides profiles from outsiders and other tenants', async () => {
    const profile = await rt.admin.post(profiles(), appProfile('guarded', '1.0.0'));
    const viewer = await rt.admin.post('/v1/users', { email: 'appprofile-viewer@demo.local', name: 'Viewer' });
    const outsider = await rt.admin.post('/v1/users', { email: 'appprofile-outsider@demo.local', name: 'Outsider' });
    const viewerKey = (await rt.admin.post(`/v1/users/${viewer.body.id}/apikeys`, { name: 'v' })).body.key;
    const outsiderKey = (await rt.admin.post(`/v1/users/${outsider.body.id}/apikeys`, { name: 'o' })).body.key;
    expect((await rt.admin.put(`/v1/projects/${projectId}/members/${viewer.body.id}`, { role: 'project.viewer' })).status).toBe(200);

    const asViewer = rt.as(viewerKey);
    expect((await asViewer.get(`${profiles()}/${profile.body.id}`)).body.name).toBe('guarded');
    expect((await asViewer.get(`${profiles()}?name=guarded`)).body.items).toHaveLength(1);
    const refused = await asViewer.post(profiles(), appProfile('viewer-made', '1.0.0'));
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('forbidden');
    expect((await asViewer.delete(`${profiles()}/${profile.body.id}`)).status).toBe(403);
    expect((await rt.admin.get(`${profiles()}?name=viewer-made`)).body.items).toEqual([]);
    expect((await rt.admin.get(`${profiles()}/${profile.body.id}`)).status).toBe(200);

    expect((await rt.as(outsiderKey).get(`${profiles()}/${profile.body.id}`)).status).toBe(404);
    const tenant = await rt.system.post('/v1/tenants', { name: 'appprofile-rival', adminEmail: 'ops@rival.example' });
    const rival = rt.as(tenant.body.admin.apiKey.key);
    expect((await rival.get(`${profiles()}/${profile.body.id}`)).status).toBe(404);
    expect((await rival.get(`/v1/projects/default/appprofiles/${profile.body.id}`)).status).toBe(404);
    expect((await rival.get('/v1/projects/default/appprofiles')).body.items).toEqual([]);
  });

  it('records a create in the audit log', async () => {
    const created = await rt.admin.post(profiles(), appProfile('audited', '1.0.0'));
    const audit = await rt.admin.get(`/v1/audit?action=appprofile.create&projectId=${projectId}&limit=100`);
    expect(audit.body.items).toContainEqual(expect.objectContaining({ resourceType: 'appprofile', resourceId: created.body.id, result: 'success' }));
  });
});

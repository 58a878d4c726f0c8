import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type ApiResponse, type TestRuntime } from '../support/local-api.ts';

let rt: TestRuntime;
let projectId: string;
let otherProjectId: string;
beforeAll(async () => {
  rt = await startTestRuntime();
  projectId = (await rt.admin.post('/v1/projects', { name: 'catalog' })).body.id;
  otherProjectId = (await rt.admin.post('/v1/projects', { name: 'catalog-other' })).body.id;
});
afterAll(async () => {
  await rt?.stop();
});

const accounts = (p = projectId) => `/v1/projects/${p}/cloudaccounts`;
const profiles = (p = projectId) => `/v1/projects/${p}/clusterprofiles`;

const roleArn = 'arn:aws:iam::123456789012:role/palette-provisioner';
const awsAccount = (name: string) => ({ name, provider: 'aws', aws: { roleArn, externalId: 'palette-ext-1' } });

/** A 400 validation_failed whose errors are exactly these paths (in any order). */
function expectInvalid(response: ApiResponse, paths: string[]) {
  expect(response.status, JSON.stringify(response.body)).toBe(400);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  expect(response.body.code).toBe('validation_failed');
  expect(response.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([...paths].sort());
}

const infraProfile = (name: string, version: string, overrides: Record<string, unknown> = {}) => ({
  name,
  version,
  cloud: 'sim',
  type: 'infra',
  layers: [
    { type: 'os', name: 'ubuntu', version: '22.04' },
    { type: 'k8s', name: 'kubernetes', version: '1.31', values: 'podCIDR: {{ .spectro.var.podCidr }}' },
    {
      type: 'cni',
      name: 'calico',
      version: '3.28.0',
      manifests: [{ name: 'calico-config', content: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: calico\n' }],
    },
  ],
  variables: [{ name: 'podCidr', default: '192.168.0.0/16', regex: '^[0-9./]+$' }],
  ...overrides,
});

describe('cloud accounts over HTTP', () => {
  it('creates, lists, gets and deletes aws and sim cloud accounts', async () => {
    const aws = await rt.admin.post(accounts(), awsAccount('prod-aws'));
    expect(aws.status).toBe(201);
    expect(aws.headers.get('etag')).toBe('"1"');
    expect(aws.body).toEqual({
      id: expect.stringMatching(/^ca_[0-9A-Z]{26}$/),
      name: 'prod-aws',
      provider: 'aws',
      aws: { roleArn, externalId: 'palette-ext-1' },
      projectId,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      version: 1,
    });

    const sim = await rt.admin.post(accounts(), { name: 'sim-default', provider: 'sim' });
    expect(sim.status).toBe(201);
    expect(sim.body.sim).toEqual({ provisionSeconds: 5, failProvisioning: false });
    expect(sim.body.aws).toBeUndefined();
    const failing = await rt.admin.post(accounts(), {
      name: 'sim-failing',
      provider: 'sim',
      sim: { provisionSeconds: 0, failProvisioning: true },
    });
    expect(failing.status).toBe(201);
    expect(failing.body.sim).toEqual({ provisionSeconds: 0, failProvisioning: true });

    const listed = await rt.admin.get(accounts());
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((a: { name: string }) => a.name)).toEqual(['prod-aws', 'sim-default', 'sim-failing']);
    expect(listed.body.nextCursor).toBeNull();

    const first = await rt.admin.get(`${accounts()}?limit=2`);
    expect(first.body.items).toHaveLength(2);
    const rest = await rt.admin.get(`${accounts()}?limit=2&cursor=${first.body.nextCursor}`);
    expect(rest.body.items.map((a: { id: string }) => a.id)).toEqual([failing.body.id]);

    const got = await rt.admin.get(`${accounts('catalog')}/${aws.body.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(aws.body);
    expect(got.headers.get('etag')).toBe('"1"');

    expect((await rt.admin.delete(`${accounts()}/${sim.body.id}`)).status).toBe(204);
    const gone = await rt.admin.get(`${accounts()}/${sim.body.id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.code).toBe('not_found');
    expect((await rt.admin.delete(`${accounts()}/${sim.body.id}`)).status).toBe(404);
    // The name is free again.
    expect((await rt.admin.post(accounts(), { name: 'sim-default', provider: 'sim' })).status).toBe(201);
  });

  it('answers 409 conflict for a name taken in the project, but not for the same name in another project', async () => {
    expect((await rt.admin.post(accounts(), awsAccount('shared-name'))).status).toBe(201);
    const duplicate = await rt.admin.post(accounts(), { name: 'shared-name', provider: 'sim' });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.code).toBe('conflict');
    expect((await rt.admin.post(accounts(otherProjectId), awsAccount('shared-name'))).status).toBe(201);
  });

  it('replays a create with the same Idempotency-Key and creates nothing new', async () => {
    const headers = { 'idempotency-key': 'create-account-once' };
    const first = await rt.admin.post(accounts(), awsAccount('idempotent'), headers);
    const again = await rt.admin.post(accounts(), awsAccount('idempotent'), headers);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    const different = await rt.admin.post(accounts(), awsAccount('idempotent-2'), headers);
    expect(different.status).toBe(409);
    expect(different.body.code).toBe('idempotency_conflict');
  });

  it('answers 412 for a delete with a stale If-Match', async () => {
    const account = await rt.admin.post(accounts(), { name: 'etag-account', provider: 'sim' });
    const stale = await rt.admin.delete(`${accounts()}/${account.body.id}`, { 'if-match': '"2"' });
    expect(stale.status).toBe(412);
    expect(stale.body.code).toBe('precondition_failed');
    expect((await rt.admin.delete(`${accounts()}/${account.body.id}`, { 'if-match': '"1"' })).status).toBe(204);
  });

  it('reports invalid cloud accounts with the paths of the fields to fix', async () => {
    expectInvalid(await rt.admin.post(accounts(), { name: 'a', provider: 'aws' }), ['body.aws']);
    expectInvalid(
      await rt.admin.post(accounts(), { name: 'a', provider: 'aws', aws: { roleArn: 'arn:aws:iam::123:role/x', externalId: 'ok-id' } }),
      ['body.aws.roleArn'],
    );
    expectInvalid(
      await rt.admin.post(accounts(), { name: 'a', provider: 'aws', aws: { roleArn: 'arn:aws:iam::123456789012:user/bob', externalId: 'x' } }),
      ['body.aws.roleArn', 'body.aws.externalId'],
    );
    expectInvalid(
      await rt.admin.post(accounts(), { name: 'a', provider: 'aws', aws: { roleArn, externalId: 'has spaces' } }),
      ['body.aws.externalId'],
    );
    expectInvalid(await rt.admin.post(accounts(), { name: 'a', provider: 'aws', aws: { roleArn } }), ['body.aws.externalId']);
    expectInvalid(await rt.admin.post(accounts(), { ...awsAccount('a'), sim: {} }), ['body.sim']);
    expectInvalid(await rt.admin.post(accounts(), { ...awsAccount('a'), provider: 'sim' }), ['body.aws']);
    expectInvalid(
      await rt.admin.post(accounts(), { name: 'a', provider: 'sim', sim: { provisionSeconds: 3601, failProvisioning: 'yes' } }),
      ['body.sim.provisionSeconds', 'body.sim.failProvisioning'],
    );
    expectInvalid(await rt.admin.post(accounts(), { name: 'a', provider: 'sim', sim: { provisionSeconds: -1 } }), ['body.sim.provisionSeconds']);
    const unknown = await rt.admin.post(accounts(), { name: 'a', provider: 'oracle', aws: { roleArn, externalId: 'ok-id', region: 'x' } });
    expectInvalid(unknown, ['body.provider', 'body.aws.region']);
    expect(unknown.body.errors).toContainEqual({ path: 'body.aws.region', message: 'unknown field' });
    expectInvalid(await rt.admin.post(accounts(), { provider: 'sim' }), ['body.name']);

    // ARNs of other AWS partitions are fine.
    const govcloud = await rt.admin.post(accounts(), {
      name: 'gov',
      provider: 'aws',
      aws: { roleArn: 'arn:aws-us-gov:iam::123456789012:role/path/to/Role+x=y,z.@-', externalId: 'a:b/c' },
    });
    expect(govcloud.status).toBe(201);
  });

  it('rejects malformed ids, unknown ids and cursors of other lists', async () => {
    expectInvalid(await rt.admin.get(`${accounts()}/not-an-id`), ['path.id']);
    expectInvalid(await rt.admin.get(`${accounts()}/cp_01AAAAAAAAAAAAAAAAAAAAAAAA`), ['path.id']);
    expect((await rt.admin.get(`${accounts()}/ca_01AAAAAAAAAAAAAAAAAAAAAAAA`)).status).toBe(404);
    expect((await rt.admin.get(`${accounts('no-such-project')}`)).status).toBe(404);

    await rt.admin.post(accounts(otherProjectId), { name: 'o1', provider: 'sim' });
    await rt.admin.post(accounts(otherProjectId), { name: 'o2', provider: 'sim' });
    const otherPage = await rt.admin.get(`${accounts(otherProjectId)}?limit=1`);
    expect(otherPage.body.nextCursor).toEqual(expect.any(String));
    expectInvalid(await rt.admin.get(`${accounts()}?cursor=${otherPage.body.nextCursor}`), ['query.cursor']);
    expectInvalid(await rt.admin.get(`${profiles(otherProjectId)}?cursor=${otherPage.body.nextCursor}`), ['query.cursor']);
  });
});

describe('cluster profiles over HTTP', () => {
  it('creates two versions of one profile, each its own resource, and ?name= lists both and no other profile', async () => {
    const v1 = await rt.admin.post(profiles(), infraProfile('base', '1.0.0'));
    expect(v1.status, JSON.stringify(v1.body)).toBe(201);
    expect(v1.headers.get('etag')).toBe('"1"');
    expect(v1.body).toMatchObject({
      id: expect.stringMatching(/^cp_[0-9A-Z]{26}$/),
      name: 'base',
      version: '1.0.0',
      cloud: 'sim',
      type: 'infra',
      kubernetesVersion: '1.31',
      projectId,
      revision: 1,
    });
    expect(v1.body.layers).toEqual(infraProfile('base', '1.0.0').layers);
    expect(v1.body.variables).toEqual([
      { name: 'podCidr', format: 'string', default: '192.168.0.0/16', required: false, regex: '^[0-9./]+$' },
    ]);

    const v2 = await rt.admin.post(
      profiles(),
      infraProfile('base', '1.1.0-rc.1', {
        layers: [{ type: 'k8s', name: 'kubernetes', version: '1.32.1' }],
        variables: [],
      }),
    );
    expect(v2.status, JSON.stringify(v2.body)).toBe(201);
    expect(v2.body.id).not.toBe(v1.body.id);
    expect(v2.body.kubernetesVersion).toBe('1.32.1');

    const other = await rt.admin.post(profiles(), infraProfile('base-extra', '1.0.0'));
    expect(other.status).toBe(201);
    const addon = await rt.admin.post(profiles(), {
      name: 'observability',
      version: '0.1.0',
      cloud: 'all',
      type: 'add-on',
      layers: [{ type: 'addon', name: 'prometheus', version: '58.0.0', values: 'retention: 7d' }],
    });
    expect(addon.status, JSON.stringify(addon.body)).toBe(201);
    expect(addon.body.kubernetesVersion).toBeNull();
    expect(addon.body.variables).toEqual([]);

    const byName = await rt.admin.get(`${profiles()}?name=base`);
    expect(byName.status).toBe(200);
    expect(byName.body.items.map((p: { id: string }) => p.id).sort()).toEqual([v1.body.id, v2.body.id].sort());
    expect(byName.body.items.map((p: { version: string }) => p.version).sort()).toEqual(['1.0.0', '1.1.0-rc.1']);
    expect(byName.body.nextCursor).toBeNull();

    const paged = await rt.admin.get(`${profiles()}?name=base&limit=1`);
    expect(paged.body.items).toHaveLength(1);
    const next = await rt.admin.get(`${profiles()}?name=base&limit=1&cursor=${paged.body.nextCursor}`);
    expect(next.body.items).toHaveLength(1);
    expect(next.body.items[0].id).not.toBe(paged.body.items[0].id);
    expectInvalid(await rt.admin.get(`${profiles()}?name=base-extra&cursor=${paged.body.nextCursor}`), ['query.cursor']);

    expect((await rt.admin.get(`${profiles()}?name=nothing-by-this-name`)).body.items).toEqual([]);
    const all = await rt.admin.get(profiles());
    expect(all.body.items.map((p: { name: string; version: string }) => `${p.name}@${p.version}`)).toEqual(
      expect.arrayContaining(['base@1.0.0', 'base@1.1.0-rc.1', 'base-extra@1.0.0', 'observability@0.1.0']),
    );

    const got = await rt.admin.get(`${profiles('catalog')}/${v1.body.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(v1.body);
    expect(got.headers.get('etag')).toBe('"1"');
  });

  it('keeps (name, version) unique and versions immutable', async () => {
    expect((await rt.admin.post(profiles(), infraProfile('immutable', '2.0.0'))).status).toBe(201);
    const duplicate = await rt.admin.post(profiles(), infraProfile('immutable', '2.0.0', { cloud: 'eks' }));
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.code).toBe('conflict');
    // The same name and version is fine in another project.
    expect((await rt.admin.post(profiles(otherProjectId), infraProfile('immutable', '2.0.0'))).status).toBe(201);

    const [existing] = (await rt.admin.get(`${profiles()}?name=immutable`)).body.items;
    expect((await rt.admin.patch(`${profiles()}/${existing.id}`, { cloud: 'eks' })).status).toBe(404);
    expect((await rt.admin.put(`${profiles()}/${existing.id}`, infraProfile('immutable', '2.0.0'))).status).toBe(404);
    expect((await rt.admin.get(`${profiles()}/${existing.id}`)).body.cloud).toBe('sim');
  });

  it('gives exactly one 201 among 10 concurrent creates of the same (name, version)', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, () => rt.admin.post(profiles(), infraProfile('contended', '1.0.0'))),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, ...Array(9).fill(409)]);
    const listed = await rt.admin.get(`${profiles()}?name=contended`);
    expect(listed.body.items).toHaveLength(1);
    expect(listed.body.items[0].id).toBe(results.find((r) => r.status === 201)!.body.id);
  });

  it('deletes a version and frees its (name, version)', async () => {
    const created = await rt.admin.post(profiles(), infraProfile('short-lived', '1.0.0'));
    expect((await rt.admin.delete(`${profiles()}/${created.body.id}`)).status).toBe(204);
    expect((await rt.admin.get(`${profiles()}/${created.body.id}`)).status).toBe(404);
    expect((await rt.admin.get(`${profiles()}?name=short-lived`)).body.items).toEqual([]);
    const again = await rt.admin.post(profiles(), infraProfile('short-lived', '1.0.0'));
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(created.body.id);
  });

  it('reports invalid profiles with the paths of the fields to fix', async () => {
    const post = (body: unknown) => rt.admin.post(profiles(), body);
    const good = infraProfile('bad', '1.0.0');

    expectInvalid(await post({ ...good, version: 'v1' }), ['body.version']);
    expectInvalid(await post({ ...good, version: '1.0' }), ['body.version']);
    expectInvalid(await post({ ...good, cloud: 'gcp', type: 'partial' }), ['body.cloud', 'body.type']);
    expectInvalid(await post({ ...good, layers: [] }), ['body.layers']);
    expectInvalid(
      await post({ ...good, layers: Array.from({ length: 21 }, (_, i) => ({ type: 'addon', name: `l${i}`, version: '1' })) }),
      ['body.layers'],
    );
    expectInvalid(
      await post({ ...good, layers: [good.layers[1], { type: 'kustomize', name: 'x', version: '1' }] }),
      ['body.layers.1.type'],
    );
    // infra and full need exactly one k8s layer, with a Kubernetes version.
    expectInvalid(await post({ ...good, layers: [good.layers[0]], variables: [] }), ['body.layers']);
    expectInvalid(
      await post({ ...good, type: 'full', layers: [...good.layers, { type: 'k8s', name: 'kubernetes-2', version: '1.30' }] }),
      ['body.layers.3.type'],
    );
    expectInvalid(
      await post({ ...good, layers: [good.layers[0], { type: 'k8s', name: 'kubernetes', version: 'latest' }], variables: [] }),
      ['body.layers.1.version'],
    );
    // add-on profiles hold only addon layers.
    expectInvalid(
      await post({ ...good, type: 'add-on', layers: [{ type: 'addon', name: 'a', version: '1' }, good.layers[1]] }),
      ['body.layers.1.type'],
    );
    // Layer names are unique; manifests need content, at most 64 KiB, unique names.
    expectInvalid(await post({ ...good, layers: [...good.layers, { type: 'csi', name: 'ubuntu', version: '1' }] }), ['body.layers.3.name']);
    const manifestLayer = (manifests: unknown) => ({ ...good, layers: [...good.layers.slice(0, 2), { type: 'cni', name: 'c', version: '1', manifests }] });
    expectInvalid(await post(manifestLayer([{ name: 'm', content: '' }])), ['body.layers.2.manifests.0.content']);
    expectInvalid(await post(manifestLayer([{ name: 'm', content: '  \n' }])), ['body.layers.2.manifests.0.content']);
    expectInvalid(await post(manifestLayer([{ name: 'm', content: 'x'.repeat(64 * 1024 + 1) }])), ['body.layers.2.manifests.0.content']);
    expectInvalid(await post(manifestLayer([{ name: 'm', content: 'a: 1' }, { name: 'm', content: 'b: 2' }])), ['body.layers.2.manifests.1.name']);
    expectInvalid(await post(manifestLayer([{ name: 'm' }])), ['body.layers.2.manifests.0.content']);
    expect((await post({ ...manifestLayer([{ name: 'm', content: 'x'.repeat(64 * 1024) }]), name: 'big-manifest' })).status).toBe(201);
    // Unknown fields, nested ones included.
    expectInvalid(await post({ ...good, description: 'x' }), ['body.description']);
    expectInvalid(await post({ ...good, layers: [{ ...good.layers[1], pack: 'x' }] }), ['body.layers.0.pack']);
  });

  it('checks variable declarations: names, uniqueness, regexes, defaults and references', async () => {
    const post = (variables: unknown, overrides: Record<string, unknown> = {}) =>
      rt.admin.post(profiles(), infraProfile('vars', '1.0.0', { variables, ...overrides }));
    const podCidr = { name: 'podCidr' };

    expectInvalid(await post([podCidr, { name: '1st' }, { name: 'has-dash' }]), ['body.variables.1.name', 'body.variables.2.name']);
    expectInvalid(await post([podCidr, { name: 'podCidr' }]), ['body.variables.1.name']);
    expectInvalid(await post([{ name: 'podCidr', regex: '([a-z' }]), ['body.variables.0.regex']);
    expectInvalid(await post([podCidr, { name: 'n', format: 'number', default: 'ten' }]), ['body.variables.1.default']);
    expectInvalid(await post([podCidr, { name: 'b', format: 'boolean', default: 'yes' }]), ['body.variables.1.default']);
    expectInvalid(await post([podCidr, { name: 's', default: 'Prod', regex: '^[a-z]+$' }]), ['body.variables.1.default']);
    expectInvalid(await post([podCidr, { name: 's', format: 'text' }]), ['body.variables.1.format']);
    expectInvalid(await post([podCidr, { name: 's', default: { nested: true } }]), ['body.variables.1.default']);
    // Layers may only use declared variables.
    expectInvalid(await post([]), ['body.layers.1.values']);
    const manifestRef = await post([podCidr], {
      layers: [
        ...infraProfile('vars', '1.0.0').layers.slice(0, 2),
        { type: 'cni', name: 'c', version: '1', manifests: [{ name: 'm', content: 'mtu: {{ var.mtu }}' }] },
      ],
    });
    expectInvalid(manifestRef, ['body.layers.2.manifests.0.content']);
    expect(manifestRef.body.errors[0].message).toContain('mtu');

    const ok = await post([
      { name: 'podCidr', required: true },
      { name: 'replicas', format: 'number', default: 3 },
      { name: 'ratio', format: 'number', default: '0.5' },
      { name: 'debug', format: 'boolean', default: false },
      { name: 'tier', default: 'gold', regex: '^(gold|silver)$' },
    ]);
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    expect(ok.body.variables[1]).toEqual({ name: 'replicas', format: 'number', default: 3, required: false });
  });

  it('lets a project viewer read but not write, and hides the catalog from non-members and other tenants', async () => {
    const profile = await rt.admin.post(profiles(), infraProfile('guarded', '1.0.0'));
    const account = await rt.admin.post(accounts(), { name: 'guarded', provider: 'sim' });
    const viewer = await rt.admin.post('/v1/users', { email: 'catalog-viewer@demo.local', name: 'Cat Viewer' });
    const outsider = await rt.admin.post('/v1/users', { email: 'catalog-outsider@demo.local', name: 'Cat Outsider' });
    const viewerKey = (await rt.admin.post(`/v1/users/${viewer.body.id}/apikeys`, { name: 'v' })).body.key;
    const outsiderKey = (await rt.admin.post(`/v1/users/${outsider.body.id}/apikeys`, { name: 'o' })).body.key;
    expect((await rt.admin.put(`/v1/projects/${projectId}/members/${viewer.body.id}`, { role: 'project.viewer' })).status).toBe(200);

    const asViewer = rt.as(viewerKey);
    expect((await asViewer.get(profiles())).status).toBe(200);
    expect((await asViewer.get(`${profiles()}/${profile.body.id}`)).body.name).toBe('guarded');
    expect((await asViewer.get(`${profiles()}?name=guarded`)).body.items).toHaveLength(1);
    expect((await asViewer.get(accounts())).status).toBe(200);
    expect((await asViewer.get(`${accounts()}/${account.body.id}`)).status).toBe(200);
    const refused = await asViewer.post(profiles(), infraProfile('viewer-made', '1.0.0'));
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('forbidden');
    expect((await asViewer.post(accounts(), { name: 'viewer-made', provider: 'sim' })).status).toBe(403);
    expect((await asViewer.delete(`${profiles()}/${profile.body.id}`)).status).toBe(403);
    expect((await asViewer.delete(`${accounts()}/${account.body.id}`)).status).toBe(403);
    expect((await rt.admin.get(`${profiles()}?name=viewer-made`)).body.items).toEqual([]);

    const asOutsider = rt.as(outsiderKey);
    expect((await asOutsider.get(`${profiles()}/${profile.body.id}`)).status).toBe(404);
    expect((await asOutsider.get(accounts())).status).toBe(404);

    const tenant = await rt.system.post('/v1/tenants', { name: 'catalog-rival', adminEmail: 'ops@rival.example' });
    const rival = rt.as(tenant.body.admin.apiKey.key);
    const foreign = await rival.get(`${profiles()}/${profile.body.id}`);
    expect(foreign.status).toBe(404);
    expect(foreign.body.code).toBe('not_found');
    expect((await rival.get(`${accounts()}/${account.body.id}`)).status).toBe(404);
    expect((await rival.post(profiles(), infraProfile('x', '1.0.0'))).status).toBe(404);
    // The id does not leak through the rival's own project either.
    expect((await rival.get(`/v1/projects/default/clusterprofiles/${profile.body.id}`)).status).toBe(404);
    expect((await rival.get(`/v1/projects/default/cloudaccounts/${account.body.id}`)).status).toBe(404);
    expect((await rival.get('/v1/projects/default/clusterprofiles')).body.items).toEqual([]);
  });

  it('records catalog mutations in the audit log', async () => {
    const created = await rt.admin.post(profiles(), infraProfile('audited', '1.0.0'));
    const audit = await rt.admin.get(`/v1/audit?action=clusterprofile.create&projectId=${projectId}&limit=100`);
    expect(audit.status).toBe(200);
    expect(audit.body.items).toContainEqual(
      expect.objectContaining({ resourceType: 'clusterprofile', resourceId: created.body.id, result: 'success' }),
    );
  });
});

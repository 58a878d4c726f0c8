import { describe, expect, it } from 'vitest';
import { createAppProfileBody } from '#shared/app-profiles/schemas.ts';
import { compareSemver, highest } from '#shared/app-profiles/semver.ts';
import { fieldErrors } from '#shared/http/field-errors.ts';

const web = { name: 'web', type: 'container', image: 'ghcr.io/acme/web:1.4.2', port: 8080 };
const db = { name: 'db', type: 'database', engine: 'postgres', version: '16', storageGiB: 5 };
const configMap = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: fast\n';
const extras = { name: 'extras', type: 'manifest', manifests: [{ name: 'settings', content: configMap }] };

const profile = (tiers: unknown[], overrides: Record<string, unknown> = {}) => ({ name: 'shop', version: '1.0.0', tiers, ...overrides });

/** The request's problems as the API reports them: `errors[]` of the 400. */
function problems(body: unknown) {
  const result = createAppProfileBody.safeParse(body);
  return result.success ? [] : fieldErrors(result.error.issues, 'body');
}
const paths = (body: unknown) => problems(body).map((p) => p.path).sort();
const messageAt = (body: unknown, path: string) => problems(body).find((p) => p.path === path)?.message;

/** One tier with some fields changed (undefined removes a field). */
const tier = (base: Record<string, unknown>, changes: Record<string, unknown>) =>
  Object.fromEntries(Object.entries({ ...base, ...changes }).filter(([, v]) => v !== undefined));

describe('a valid app profile', () => {
  it('parses with every kind of tier, replicas defaulting to 1 and description to empty', () => {
    const body = profile([
      db,
      { ...web, env: { DATABASE_HOST: '{{tiers.db.HOST}}', DATABASE_PASSWORD: '{{ tiers.db.PASSWORD }}' }, command: ['serve'], args: ['--port', '8080'],
        resources: { cpu: 0.25, memoryMiB: 512 }, volume: { sizeGiB: 2, mountPath: '/var/cache/web' } },
      { name: 'worker', type: 'container', image: 'ghcr.io/acme/worker@sha256:abc', env: { API: 'http://{{tiers.web.HOST}}:{{tiers.web.PORT}}' } },
      extras,
    ]);
    const parsed = createAppProfileBody.parse(body);
    expect(parsed.description).toBe('');
    expect(parsed.tiers.map((t) => t.type)).toEqual(['database', 'container', 'container', 'manifest']);
    expect(parsed.tiers[1]).toMatchObject({ replicas: 1, resources: { cpu: 0.25, memoryMiB: 512 } });
    expect(paths(body)).toEqual([]);
  });

  it('accepts the database versions 16, 8.4 and 7.2.5 and every engine', () => {
    for (const [engine, version] of [['postgres', '16'], ['mysql', '8.4'], ['redis', '7.2.5'], ['mongodb', '7.0']]) {
      expect(paths(profile([{ ...db, engine, version }])), `${engine}:${version}`).toEqual([]);
    }
  });
});

describe('the profile fields', () => {
  it('needs a semantic version without leading zeros', () => {
    for (const version of ['v1', '1.0', '01.0.0', '1.0.0-', '1.0.0-01', '1.0.0+build', '']) {
      expect(paths(profile([web], { version })), version).toEqual(['body.version']);
    }
    for (const version of ['0.0.1', '1.2.3-rc.1', '10.20.30-alpha-1.0.x']) expect(paths(profile([web], { version })), version).toEqual([]);
  });

  it('limits the description to 1024 characters and rejects unknown fields', () => {
    expect(paths(profile([web], { description: 'x'.repeat(1025) }))).toEqual(['body.description']);
    expect(paths(profile([web], { layers: [] }))).toEqual(['body.layers']);
    expect(paths({ version: '1.0.0', tiers: [web] })).toEqual(['body.name']);
  });

  it('needs between 1 and 10 tiers', () => {
    expect(paths(profile([]))).toEqual(['body.tiers']);
    const eleven = Array.from({ length: 11 }, (_, i) => ({ ...web, name: `t${i}` }));
    expect(paths(profile(eleven))).toEqual(['body.tiers']);
    expect(paths(profile(eleven.slice(0, 10)))).toEqual([]);
  });
});

describe('tier names and types', () => {
  it('keeps tier names to DNS labels of at most 40 characters that start with a letter', () => {
    for (const name of ['Web', '1web', 'web-', 'we_b', 'we.b', '', 'a'.repeat(41)]) {
      expect(paths(profile([{ ...web, name }])), name).toEqual(['body.tiers.0.name']);
    }
    expect(paths(profile([{ ...web, name: `a${'-b'.repeat(19)}` }]))).toEqual([]);
  });

  it('refuses a second tier of the same name at the second one', () => {
    expect(paths(profile([web, db, { ...db, engine: 'redis' }]))).toEqual(['body.tiers.2.name']);
  });

  it('reports an unknown or missing type at the type', () => {
    expect(paths(profile([{ ...web, type: 'function' }]))).toEqual(['body.tiers.0.type']);
    expect(messageAt(profile([{ ...web, type: 'function' }]), 'body.tiers.0.type')).toBe('must be one of container, database, manifest, helm');
    expect(paths(profile([tier(web, { type: undefined })]))).toEqual(['body.tiers.0.type']);
  });

  it('takes only the fields of the tier\'s own type', () => {
    expect(paths(profile([{ ...web, engine: 'postgres' }]))).toEqual(['body.tiers.0.engine']);
    expect(paths(profile([{ ...db, image: 'postgres:16', replicas: 2 }]))).toEqual(['body.tiers.0.image', 'body.tiers.0.replicas']);
    expect(paths(profile([{ ...extras, port: 80 }]))).toEqual(['body.tiers.0.port']);
    expect(messageAt(profile([{ ...web, engine: 'postgres' }]), 'body.tiers.0.engine')).toBe('unknown field');
  });
});

describe('container tiers', () => {
  const check = (changes: Record<string, unknown>) => paths(profile([tier(web, changes)]));

  it('needs an image: a token without whitespace of at most 255 characters', () => {
    expect(check({ image: undefined })).toEqual(['body.tiers.0.image']);
    for (const image of ['', 'nginx latest', ' nginx', 'x'.repeat(256)]) expect(check({ image }), image).toEqual(['body.tiers.0.image']);
    expect(check({ image: 'x'.repeat(255) })).toEqual([]);
  });

  it('takes a port from 1 to 65535 and replicas from 1 to 10, whole numbers', () => {
    for (const port of [0, 65536, 80.5, '80']) expect(check({ port }), String(port)).toEqual(['body.tiers.0.port']);
    for (const replicas of [0, 11, 1.5]) expect(check({ replicas }), String(replicas)).toEqual(['body.tiers.0.replicas']);
    expect(check({ port: 65535, replicas: 10 })).toEqual([]);
  });

  it('takes env keys that are variable names, at most 50 of them, with string values of at most 4096 characters', () => {
    expect(check({ env: { 'BAD-KEY': 'x' } })).toEqual(['body.tiers.0.env.BAD-KEY']);
    expect(check({ env: { '1ST': 'x' } })).toEqual(['body.tiers.0.env.1ST']);
    expect(check({ env: { PALETTE_DB_PASSWORD: 'x' } })).toEqual(['body.tiers.0.env.PALETTE_DB_PASSWORD']);
    expect(messageAt(profile([tier(web, { env: { PALETTE_DB_PASSWORD: 'x' } })]), 'body.tiers.0.env.PALETTE_DB_PASSWORD')).toContain('reserved');
    expect(check({ env: { LONG: 'x'.repeat(4097) } })).toEqual(['body.tiers.0.env.LONG']);
    expect(check({ env: { NUMBER: 5 } })).toEqual(['body.tiers.0.env.NUMBER']);
    const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`V${i}`, 'x']));
    expect(check({ env: many })).toEqual(['body.tiers.0.env']);
    expect(check({ env: Object.fromEntries(Object.entries(many).slice(0, 50)), image: 'a' })).toEqual([]);
    expect(check({ env: { _lower_ok: 'x'.repeat(4096) } })).toEqual([]);
  });

  it('takes at most 50 command and args strings', () => {
    expect(check({ command: Array(51).fill('x') })).toEqual(['body.tiers.0.command']);
    expect(check({ args: ['--a', 7] })).toEqual(['body.tiers.0.args.1']);
    expect(check({ command: Array(50).fill('x'), args: Array(50).fill('y') })).toEqual([]);
  });

  it('takes resources as cpu cores (positive, at most 16, whole millicores) and memoryMiB from 16 to 65536', () => {
    for (const cpu of [0, -1, 16.5, 0.0005, '1']) {
      expect(check({ resources: { cpu, memoryMiB: 512 } }), String(cpu)).toEqual(['body.tiers.0.resources.cpu']);
    }
    for (const memoryMiB of [15, 65537, 100.5]) {
      expect(check({ resources: { cpu: 1, memoryMiB } }), String(memoryMiB)).toEqual(['body.tiers.0.resources.memoryMiB']);
    }
    expect(check({ resources: { cpu: 1 } })).toEqual(['body.tiers.0.resources.memoryMiB']);
    expect(check({ resources: { cpu: 1, memoryMiB: 64, gpus: 1 } })).toEqual(['body.tiers.0.resources.gpus']);
    // Whole GPUs, at most 8 per pod.
    for (const gpu of [0.5, -1, 9]) expect(check({ resources: { cpu: 1, memoryMiB: 64, gpu } }), String(gpu)).toEqual(['body.tiers.0.resources.gpu']);
    expect(check({ resources: { cpu: 1, memoryMiB: 64, gpu: 1 } })).toEqual([]);
    for (const cpu of [0.001, 0.25, 1.5, 16]) expect(check({ resources: { cpu, memoryMiB: 16 } }), String(cpu)).toEqual([]);
  });

  it('takes a volume of 1 to 100 GiB mounted at an absolute path', () => {
    for (const sizeGiB of [0, 101, 1.5]) expect(check({ volume: { sizeGiB, mountPath: '/data' } }), String(sizeGiB)).toEqual(['body.tiers.0.volume.sizeGiB']);
    for (const mountPath of ['data', '', '/data/../etc', '/c:/data']) {
      expect(check({ volume: { sizeGiB: 1, mountPath } }), mountPath).toEqual(['body.tiers.0.volume.mountPath']);
    }
    expect(check({ volume: { sizeGiB: 100, mountPath: '/var/lib/app' } })).toEqual([]);
  });
});

describe('database tiers', () => {
  const check = (changes: Record<string, unknown>) => paths(profile([tier(db, changes)]));

  it('takes one of the four engines', () => {
    expect(check({ engine: 'oracle' })).toEqual(['body.tiers.0.engine']);
    expect(check({ engine: undefined })).toEqual(['body.tiers.0.engine']);
  });

  it('takes a version like 16, 8.4 or 7.2.5', () => {
    for (const version of ['latest', '16.1.2.3', 'v16', '16-alpine', '', 16]) expect(check({ version }), String(version)).toEqual(['body.tiers.0.version']);
  });

  it('takes storageGiB from 1 to 100, whole', () => {
    for (const storageGiB of [0, 101, 2.5, undefined]) expect(check({ storageGiB }), String(storageGiB)).toEqual(['body.tiers.0.storageGiB']);
  });
});

describe('manifest tiers', () => {
  const withManifests = (manifests: unknown) => profile([{ ...extras, manifests }]);
  const content = (text: string) => withManifests([{ name: 'm', content: text }]);

  it('takes 1 to 20 manifests with unique names', () => {
    expect(paths(withManifests([]))).toEqual(['body.tiers.0.manifests']);
    const many = Array.from({ length: 21 }, (_, i) => ({ name: `m${i}`, content: configMap }));
    expect(paths(withManifests(many))).toEqual(['body.tiers.0.manifests']);
    expect(paths(withManifests(many.slice(0, 20)))).toEqual([]);
    expect(paths(withManifests([{ name: 'm', content: configMap }, { name: 'm', content: configMap }]))).toEqual(['body.tiers.0.manifests.1.name']);
  });

  it('needs content of at most 64 KiB', () => {
    expect(paths(content(''))).toEqual(['body.tiers.0.manifests.0.content']);
    expect(paths(content(' \n\t'))).toEqual(['body.tiers.0.manifests.0.content']);
    const padded = `${configMap}  note: "${'x'.repeat(64 * 1024)}"\n`;
    expect(paths(content(padded))).toEqual(['body.tiers.0.manifests.0.content']);
    expect(messageAt(content(padded), 'body.tiers.0.manifests.0.content')).toBe('must be at most 64 KiB');
  });

  it('needs YAML whose every document is a Kubernetes object with apiVersion, kind and metadata.name', () => {
    const at = 'body.tiers.0.manifests.0.content';
    expect(messageAt(content('kind: [unclosed'), at)).toMatch(/^is not valid YAML/);
    expect(messageAt(content('a: 1\na: 2\n'), at)).toMatch(/^is not valid YAML/);
    expect(messageAt(content(`${configMap}---\napiVersion: v1\nmetadata:\n  name: x\n`), at)).toBe('document 2 needs apiVersion, kind and metadata.name');
    expect(messageAt(content('apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n'), at)).toBe('document 1 needs apiVersion, kind and metadata.name');
    expect(messageAt(content('- a\n- b\n'), at)).toMatch(/^document 1 is not a Kubernetes object/);
    expect(messageAt(content('just text'), at)).toMatch(/^document 1 is not a Kubernetes object/);
    expect(messageAt(content('# only a comment\n'), at)).toBe('holds no Kubernetes object');
    expect(messageAt(content('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels:\n    tier: [a]\n'), at)).toBe(
      'document 1: metadata.labels must map names to strings',
    );
    expect(paths(content(`---\n${configMap}---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: other\n---\n`))).toEqual([]);
  });

  it('refuses YAML whose aliases expand past the limit', () => {
    const lines = ['apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: bomb', 'l0: &l0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i <= 6; i++) lines.push(`l${i}: &l${i} [${Array(10).fill(`*l${i - 1}`).join(', ')}]`);
    const bomb = content(`${lines.join('\n')}\n`);
    expect(paths(bomb)).toEqual(['body.tiers.0.manifests.0.content']);
    expect(messageAt(bomb, 'body.tiers.0.manifests.0.content')).toMatch(/expands to more than/);
  });
});

describe('references to earlier tiers\' outputs', () => {
  const envOf = (env: Record<string, string>, before: unknown[] = [db, extras, { name: 'api', type: 'container', image: 'api' }]) =>
    profile([...before, { ...web, name: 'front', env }]);
  const at = (key: string) => `body.tiers.3.env.${key}`;

  it('takes a database\'s HOST, PORT, USERNAME and PASSWORD and a container port\'s HOST and PORT', () => {
    const env = {
      URL: 'postgres://{{tiers.db.USERNAME}}:{{ tiers.db.PASSWORD }}@{{tiers.db.HOST}}:{{tiers.db.PORT}}/shop',
      PASSWORD: '{{tiers.db.PASSWORD}}',
    };
    expect(paths(envOf(env))).toEqual([]);
    expect(paths(envOf({ WEB: '{{tiers.web.HOST}}:{{tiers.web.PORT}}' }, [web, extras, { name: 'api', type: 'container', image: 'api' }]))).toEqual([]);
  });

  it('refuses outputs a tier does not have', () => {
    expect(paths(envOf({ X: '{{tiers.db.SECRET}}' }))).toEqual([at('X')]);
    expect(paths(envOf({ X: '{{tiers.db.host}}' }))).toEqual([at('X')]);
    expect(paths(envOf({ X: '{{tiers.web.USERNAME}}' }, [web, extras, db]))).toEqual([at('X')]);
    expect(paths(envOf({ X: '{{tiers.api.HOST}}' }))).toEqual([at('X')]);
    expect(messageAt(envOf({ X: '{{tiers.api.HOST}}' }), at('X'))).toContain('without a port has no outputs');
    expect(paths(envOf({ X: '{{tiers.extras.HOST}}' }))).toEqual([at('X')]);
  });

  it('refuses tiers that deploy later, the tier itself and tiers that do not exist', () => {
    const later = profile([{ ...web, env: { DB: '{{tiers.db.HOST}}' } }, db]);
    expect(paths(later)).toEqual(['body.tiers.0.env.DB']);
    expect(messageAt(later, 'body.tiers.0.env.DB')).toContain('after this one');
    expect(paths(envOf({ SELF: '{{tiers.front.HOST}}' }))).toEqual([at('SELF')]);
    expect(paths(envOf({ X: '{{tiers.cache.HOST}}' }))).toEqual([at('X')]);
  });

  it('refuses references that are not of the form tiers.<tier>.<OUTPUT>', () => {
    for (const value of ['{{tiers.db}}', '{{ tiers.db.HOST.x }}', '{{tiers..HOST}}']) expect(paths(envOf({ X: value })), value).toEqual([at('X')]);
    // Other templates are left alone: they are not tier outputs.
    expect(paths(envOf({ X: '{{ .Values.host }}', Y: '$(HOME)' }))).toEqual([]);
  });

  it('refuses references outside container env values', () => {
    const reference = '{{tiers.db.HOST}}';
    expect(paths(profile([db, { ...web, image: `${reference}/web` }]))).toEqual(['body.tiers.1.image']);
    expect(paths(profile([db, { ...web, command: ['run', reference] }]))).toEqual(['body.tiers.1.command.1']);
    expect(paths(profile([db, { ...web, args: [reference] }]))).toEqual(['body.tiers.1.args.0']);
    const inManifest = { ...extras, manifests: [{ name: 'm', content: `${configMap}  host: "${reference}"\n` }] };
    expect(paths(profile([db, inManifest]))).toEqual(['body.tiers.1.manifests.0.content']);
  });
});

describe('compareSemver', () => {
  it('orders by major, minor and patch numerically, and a prerelease below its release', () => {
    const sorted = ['0.9.0', '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.2.0', '1.10.0', '2.0.0', '10.0.0'];
    const shuffled = [...sorted].reverse();
    expect(shuffled.sort(compareSemver)).toEqual(sorted);
    expect(compareSemver('1.0.0', '1.0.0')).toBe(0);
    expect(compareSemver('99999999999999999999.0.0', '99999999999999999998.0.0')).toBe(1);
  });

  it('picks the highest version', () => {
    expect(highest(['1.9.0', '1.10.0-rc.1', '1.10.0', '1.2.0'], (v) => v)).toBe('1.10.0');
    expect(highest([], (v: string) => v)).toBeUndefined();
  });
});

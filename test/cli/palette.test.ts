/**
 * The `palette` command line as its users run it: the real bin as a child process
 * (no TTY, a HOME of its own) against the runtime `npm start` runs, its stdout parsed
 * as JSON or YAML, its stderr and exit codes read as a script would read them.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { beehiveHosts } from '../support/app-mode.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-api.ts';
import { KUBECTL } from '../kubectl/support.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(repo, 'bin', 'palette.mjs');
// The Node running the tests (the project's pinned one) first, as `npx palette` would find it.
const PATH = [dirname(process.execPath), process.env.PATH ?? '/usr/bin:/bin'].join(delimiter);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let rt: TestRuntime;
let scratch: string;
let devKey: string;
let adminKey: string;

/** Runs `palette …` in a clean environment: only PATH, HOME and what the test gives. */
function run(args: string[], env: Record<string, string>, options: { executable?: string } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const [file, argv] = options.executable ? [options.executable, args] : [process.execPath, [bin, ...args]];
    execFile(file, argv, { cwd: repo, env: { PATH, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

let homes = 0;
async function freshHome(): Promise<string> {
  homes += 1;
  const home = join(scratch, `home-${homes}`);
  await mkdir(home, { recursive: true });
  return home;
}

/** `palette` as one user: the API and key from the environment, as in CI. */
function as(key: string, home: string) {
  const cli = (...args: string[]) => run(args, { HOME: home, PALETTE_URL: rt.url, PALETTE_API_KEY: key });
  /** The command must succeed; its stdout parsed as JSON (`-o json` added). */
  const json = async <T = any>(...args: string[]): Promise<{ body: T; stderr: string }> => {
    const result = await cli(...args, '-o', 'json');
    expect(result.code, result.stderr).toBe(0);
    return { body: JSON.parse(result.stdout) as T, stderr: result.stderr };
  };
  return { run: cli, json };
}

/** Every stderr line of a non-TTY --wait is `<step>: <status>`, optionally with the step's message. */
function stepLines(stderr: string): string[] {
  const lines = stderr.split('\n').filter((line) => line.length > 0);
  for (const line of lines) expect(line).toMatch(/^[A-Za-z][\w-]*: (Running|Succeeded|Failed|Skipped)( \(.+\))?$/);
  return lines;
}

/** A table's header and rows, split on the column gaps, with the columns lined up under the header. */
function table(stdout: string) {
  const lines = stdout.split('\n').filter((line) => line.length > 0);
  const header = lines[0]!;
  const starts = [...header.matchAll(/\S+( \S+)*/g)].map((m) => m.index);
  for (const line of lines.slice(1)) for (const start of starts.slice(1)) expect(line[start - 1]).toBe(' ');
  return { header: header.trim().split(/\s{2,}/), rows: lines.slice(1).map((line) => line.trim().split(/\s{2,}/)) };
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'palette-cli-'));
  rt = await startTestRuntime({ simSpeed: 50 });
  await beehiveHosts(rt);
  adminKey = rt.seeded.adminKey!;
  // A developer of the default project with a key of their own (App Mode's quota is per user).
  const user = await rt.admin.post('/v1/users', { email: `cli-${Date.now()}@example.com`, name: 'CLI dev', role: 'tenant.member' });
  expect(user.status).toBe(201);
  expect((await rt.admin.put(`/v1/projects/default/members/${user.body.id}`, { role: 'project.editor' })).status).toBe(200);
  devKey = (await rt.admin.post(`/v1/users/${user.body.id}/apikeys`, { name: 'cli' })).body.key;
}, 120_000);
afterAll(async () => {
  await rt?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('signing in, and the exit codes of what goes wrong', () => {
  it('logs in with a key, says who it is without printing the key, and keeps the login in a file only its owner can read', async () => {
    const home = await freshHome();
    const login = await run(['login', '--url', rt.url, '--key', adminKey], { HOME: home });
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toContain('admin@demo.local');
    expect(login.stdout + login.stderr).not.toContain(adminKey);
    const path = join(home, '.config', 'palette', 'config.json');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ url: rt.url, key: adminKey });

    // Later commands need neither flags nor environment; login -o json is the API's /v1/me.
    const me = await run(['login', '-o', 'json'], { HOME: home });
    expect(me.code, me.stderr).toBe(0);
    expect(JSON.parse(me.stdout)).toMatchObject({ user: { email: 'admin@demo.local' }, roles: ['tenant.admin'] });
    const listed = await run(['vc', 'list', '-o', 'json'], { HOME: home });
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toMatchObject({ items: expect.any(Array) });

    // PALETTE_CONFIG puts the file elsewhere.
    const elsewhere = join(home, 'palette.json');
    expect((await run(['login', '--url', rt.url, '--key', adminKey], { HOME: home, PALETTE_CONFIG: elsewhere })).code).toBe(0);
    expect(JSON.parse(await readFile(elsewhere, 'utf8')).url).toBe(rt.url);
  }, 60_000);

  it('a bad key exits 1 with the problem\'s detail on stderr, and login stores nothing', async () => {
    const detail = (await rt.as('plt_not-a-key').get('/v1/me')).body.detail as string;
    const home = await freshHome();
    const refused = await run(['vc', 'list'], { HOME: home, PALETTE_URL: rt.url, PALETTE_API_KEY: 'plt_not-a-key' });
    expect(refused).toMatchObject({ code: 1, stdout: '' });
    expect(refused.stderr).toContain(detail);
    const login = await run(['login', '--url', rt.url, '--key', 'plt_not-a-key'], { HOME: home });
    expect(login.code).toBe(1);
    expect(login.stderr).toContain(detail);
    await expect(stat(join(home, '.config', 'palette', 'config.json'))).rejects.toThrow(/ENOENT/);
  }, 30_000);

  it('a bad flag, an unknown command, a missing argument or a bad value exits 2', async () => {
    const home = await freshHome();
    const env = { HOME: home, PALETTE_URL: rt.url, PALETTE_API_KEY: adminKey };
    const results = await Promise.all([
      run(['vc', 'list', '--no-such-flag'], env),
      run(['vcs', 'list'], env),
      run(['vc', 'get'], env),
      run(['vc', 'create', 'x', '--cpu', 'lots'], env),
      run(['-o', 'xml', 'vc', 'list'], env),
      run(['vc', 'list', '--limit', '500'], env),
      run(['vc', 'list'], { HOME: home }),
    ]);
    for (const result of results) {
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(/error: /);
    }
    expect(results[0]!.stderr).toContain("unknown option '--no-such-flag'");
    expect(results[6]!.stderr).toContain('palette login');
    expect((await run(['--help'], env)).code).toBe(0);
  }, 30_000);

  it('an API that cannot be reached exits 1 with a message naming it', async () => {
    // A port that was just free: nothing listens there.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise((resolve) => server.close(resolve));
    const url = `http://127.0.0.1:${port}`;
    const result = await run(['vc', 'list'], { HOME: await freshHome(), PALETTE_URL: url, PALETTE_API_KEY: adminKey });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`cannot reach the Palette API at ${url}`);
  });

  it('the bin runs as an executable through its shebang', async () => {
    const result = await run(['--version'], { HOME: await freshHome() }, { executable: bin });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('App Mode: a virtual cluster and an app, from the command line', () => {
  let dev: ReturnType<typeof as>;
  let home: string;
  let vcId: string;
  let secondVc: { id: string; operationId: string };

  beforeAll(async () => {
    home = await freshHome();
    dev = as(devKey, home);
  });

  it('vc create --wait prints one plain line per step change off a terminal, and ends Running', async () => {
    const { body, stderr } = await dev.json('vc', 'create', 'cli-vc', '--cpu', '4', '--memory-mib', '4096', '--storage-gib', '2', '--wait');
    expect(body).toMatchObject({ name: 'cli-vc', clusterGroupId: 'beehive', resources: { cpu: 4, memoryMiB: 4096, storageGiB: 2 }, status: { phase: 'Running' } });
    vcId = body.id;
    const lines = stepLines(stderr);
    expect(lines).toContain('provision: Succeeded');
    expect(new Set(lines).size).toBe(lines.length);
  }, 30_000);

  it('vc get by name prints a kubectl-style table; the same data as JSON and as YAML', async () => {
    const shown = await dev.run('vc', 'get', 'cli-vc');
    expect(shown.code, shown.stderr).toBe(0);
    const { header, rows } = table(shown.stdout);
    expect(header.slice(0, 3)).toEqual(['ID', 'NAME', 'PHASE']);
    expect(rows).toEqual([expect.arrayContaining([vcId, 'cli-vc', 'Running', '4096Mi', 'beehive'])]);
    const yaml = await dev.run('vc', 'get', vcId, '-o', 'yaml');
    expect(yaml.code).toBe(0);
    expect(load(yaml.stdout)).toEqual((await dev.json('vc', 'get', vcId)).body);
  }, 30_000);

  it('vc create without --wait answers at once with the operation to follow, and op wait follows it', async () => {
    const created = await dev.run('vc', 'create', 'cli-vc-2', '-o', 'yaml');
    expect(created.code, created.stderr).toBe(0);
    const body = load(created.stdout) as { id: string; operationId: string; status: { phase: string } };
    expect(body.status.phase).toBe('Provisioning');
    expect(created.stderr).toContain(`palette op wait ${body.operationId}`);
    secondVc = body;
    const waited = await dev.json('op', 'wait', body.operationId);
    expect(waited.body).toMatchObject({ id: body.operationId, kind: 'virtualcluster.create', resourceId: body.id, status: 'Succeeded' });
    stepLines(waited.stderr);
    expect((await dev.json('op', 'get', body.operationId)).body.progress).toEqual({ done: waited.body.progress.total, total: waited.body.progress.total });
    expect((await dev.json('op', 'list', '--resource', body.id)).body.items.map((op: { id: string }) => op.id)).toContain(body.operationId);
  }, 30_000);

  it('vc list pages with --limit and follows nextCursor with --all', async () => {
    const first = (await dev.json('vc', 'list', '--limit', '1')).body;
    expect(first.items).toHaveLength(1);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = (await dev.json('vc', 'list', '--limit', '1', '--cursor', first.nextCursor)).body;
    expect(second.items.map((vc: { id: string }) => vc.id)).not.toContain(first.items[0].id);
    const all = (await dev.json('vc', 'list', '--limit', '1', '--all')).body;
    expect(all.nextCursor).toBeNull();
    expect(all.items.map((vc: { id: string }) => vc.id).sort()).toEqual([vcId, secondVc.id].sort());
    const listed = await dev.run('vc', 'list', '--phase', 'Running');
    expect(table(listed.stdout).rows).toHaveLength(2);
  }, 30_000);

  it('vc pause --wait ends Paused and vc resume --wait ends Running again', async () => {
    const paused = await dev.json('vc', 'pause', vcId, '--wait');
    expect(paused.body.status.phase).toBe('Paused');
    expect(stepLines(paused.stderr).length).toBeGreaterThan(0);
    // Pausing a paused cluster is the API's invalid_state: exit 1 with its detail.
    const again = await dev.run('vc', 'pause', vcId);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('invalid_state');
    expect((await dev.json('vc', 'resume', 'cli-vc', '--wait')).body.status.phase).toBe('Running');
  }, 30_000);

  it('vc resize --wait changes the resources and keeps the others', async () => {
    const resized = await dev.json('vc', 'resize', vcId, '--cpu', '6', '--wait');
    expect(resized.body).toMatchObject({ resources: { cpu: 6, memoryMiB: 4096, storageGiB: 2 }, status: { phase: 'Running' } });
    // Over the quota: the API's refusal, exit 1.
    const refused = await dev.run('vc', 'resize', vcId, '--cpu', '64');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/error: .+/);
  }, 30_000);

  it('vc kubeconfig --merge puts the context into ~/.kube/config, keeps what was there, and the real kubectl uses it', async () => {
    const printed = await dev.run('vc', 'kubeconfig', vcId);
    expect(printed.code, printed.stderr).toBe(0);
    const kubeconfig = load(printed.stdout) as { 'current-context': string };
    expect(kubeconfig['current-context']).toBe('cli-vc');

    const kubeHome = await freshHome();
    await mkdir(join(kubeHome, '.kube'));
    const existing = 'apiVersion: v1\nkind: Config\nclusters:\n- name: elsewhere\n  cluster: {server: "https://10.0.0.1"}\nusers:\n- name: elsewhere\n  user: {token: abc}\ncontexts:\n- name: elsewhere\n  context: {cluster: elsewhere, user: elsewhere}\ncurrent-context: elsewhere\n';
    await writeFile(join(kubeHome, '.kube', 'config'), existing);
    const merge = () => run(['vc', 'kubeconfig', 'cli-vc', '--merge'], { HOME: kubeHome, PALETTE_URL: rt.url, PALETTE_API_KEY: devKey });
    expect((await merge()).code).toBe(0);
    // A second merge replaces its entries rather than adding them twice.
    const merged = await merge();
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stdout).toContain(join(kubeHome, '.kube', 'config'));
    const file = load(await readFile(join(kubeHome, '.kube', 'config'), 'utf8')) as { contexts: Array<{ name: string }>; clusters: unknown[]; users: unknown[] };
    expect(file.contexts.map((c) => c.name)).toEqual(['elsewhere', 'cli-vc']);
    expect(file.clusters).toHaveLength(2);
    expect(file.users).toHaveLength(2);
    expect((await stat(join(kubeHome, '.kube', 'config'))).mode & 0o777).toBe(0o600);

    const kubectl = (...args: string[]) => run(['--request-timeout=20s', ...args], { HOME: kubeHome }, { executable: KUBECTL });
    const context = await kubectl('config', 'current-context');
    expect(context.stdout.trim()).toBe('cli-vc');
    const namespaces = await kubectl('get', 'ns');
    expect(namespaces.stderr).toBe('');
    expect(namespaces.stdout).toMatch(/^default\s+Active/m);
  }, 60_000);

  describe('apps', () => {
    let v1: string;
    let v2: string;
    let appId: string;

    beforeAll(async () => {
      const api = rt.as(devKey);
      const tier = (image: string) => ({ name: 'web', type: 'container', image, port: 8080, replicas: 1 });
      const one = await api.post('/v1/projects/default/appprofiles', { name: 'cli-web', version: '1.0.0', tiers: [tier('nginx:1.27')] });
      expect(one.status, one.text).toBe(201);
      v1 = one.body.id;
      v2 = (await api.post('/v1/projects/default/appprofiles', { name: 'cli-web', version: '1.1.0', tiers: [tier('nginx:1.28')] })).body.id;
    });

    it('profile list and profile get read app profiles by id or name@version', async () => {
      const listed = (await dev.json('profile', 'list', '--kind', 'app')).body;
      expect(listed.items.map((p: { id: string }) => p.id)).toEqual(expect.arrayContaining([v1, v2]));
      expect((await dev.json('profile', 'get', v1)).body).toMatchObject({ id: v1, name: 'cli-web', version: '1.0.0' });
      expect((await dev.json('profile', 'get', 'cli-web@1.1.0')).body.id).toBe(v2);
      const ambiguous = await dev.run('profile', 'get', 'cli-web');
      expect(ambiguous.code).toBe(1);
      expect(ambiguous.stderr).toContain('cli-web@<version>');
      const both = await dev.run('profile', 'list');
      expect(table(both.stdout).header).toEqual(['ID', 'KIND', 'NAME', 'VERSION', 'CONTENTS', 'AGE']);
    }, 30_000);

    it('app deploy --wait ends Deployed, with the values file\'s overrides', async () => {
      const values = join(home, 'values.yaml');
      await writeFile(values, 'web:\n  replicas: 2\n  env:\n    MODE: cli\n');
      const { body, stderr } = await dev.json('app', 'deploy', 'cli-shop', '--profile', 'cli-web@1.0.0', '--vc', 'cli-vc', '--values', values, '--wait');
      expect(body).toMatchObject({ name: 'cli-shop', appProfileId: v1, virtualClusterId: vcId, values: { web: { replicas: 2, env: { MODE: 'cli' } } }, status: { phase: 'Deployed' } });
      expect(stepLines(stderr).length).toBeGreaterThan(0);
      appId = body.id;
      expect((await dev.json('app', 'list', '--vc', vcId)).body.items.map((a: { id: string }) => a.id)).toEqual([appId]);
      const shown = await dev.run('app', 'get', 'cli-shop');
      expect(table(shown.stdout).rows[0]).toEqual(expect.arrayContaining([appId, 'cli-shop', 'Deployed', 'cli-web@1.0.0', '1.1.0']));
      expect((await dev.json('app', 'get', appId)).body).toMatchObject({ id: appId, updateAvailable: { appProfileId: v2, version: '1.1.0' } });
    }, 30_000);

    it('app upgrade --wait moves the app to another version of its profile', async () => {
      const { body } = await dev.json('app', 'upgrade', appId, '--profile', v2, '--wait');
      expect(body).toMatchObject({ appProfileId: v2, profileVersion: '1.1.0', revision: 2, status: { phase: 'Deployed' }, updateAvailable: null });
    }, 30_000);

    it('app delete --wait and vc delete --wait print deleted, and the resource is then not found', async () => {
      const deleted = await dev.run('app', 'delete', 'cli-shop', '--wait');
      expect(deleted.code, deleted.stderr).toBe(0);
      expect(deleted.stdout.trim()).toBe(`${appId} deleted`);
      expect((await dev.json('vc', 'delete', secondVc.id, '--wait')).body).toEqual({ id: secondVc.id, status: { phase: 'deleted' } });
      const gone = await dev.run('vc', 'get', secondVc.id);
      expect(gone.code).toBe(1);
      expect(gone.stderr).toContain('not_found');
    }, 30_000);
  });
});

describe('Cluster Mode: a sim host cluster from a spec file', () => {
  let admin: ReturnType<typeof as>;
  let home: string;
  let accountId: string;
  let failingAccountId: string;
  let v1: string;
  let clusterId: string;

  const spec = (name: string, cloudAccountId: string) =>
    [
      `name: ${name}`,
      `cloudAccountId: ${cloudAccountId}`,
      'region: sim-local-1',
      `profileId: ${v1}`,
      'nodePools:',
      '  - name: workers',
      '    instanceType: sim.large',
      '    count: 2',
      '    min: 1',
      '    max: 5',
      'hostCluster:',
      '  enabled: true',
      '',
    ].join('\n');

  beforeAll(async () => {
    home = await freshHome();
    admin = as(adminKey, home);
    const base = '/v1/projects/default';
    accountId = (await rt.admin.post(`${base}/cloudaccounts`, { name: 'cli-sim', provider: 'sim', sim: { provisionSeconds: 2 } })).body.id;
    failingAccountId = (await rt.admin.post(`${base}/cloudaccounts`, { name: 'cli-sim-broken', provider: 'sim', sim: { provisionSeconds: 1, failProvisioning: true } })).body.id;
    const profile = (version: string, k8s: string) => ({
      name: 'cli-base',
      version,
      cloud: 'sim',
      type: 'full',
      layers: [
        { type: 'os', name: 'ubuntu', version: '22.04' },
        { type: 'k8s', name: 'kubernetes', version: k8s },
        { type: 'cni', name: 'calico', version: '3.28.0' },
      ],
    });
    const one = await rt.admin.post(`${base}/clusterprofiles`, profile('1.0.0', '1.30'));
    expect(one.status, one.text).toBe(201);
    v1 = one.body.id;
    expect((await rt.admin.post(`${base}/clusterprofiles`, profile('1.1.0', '1.31'))).status).toBe(201);
  });

  it('profile list --kind cluster and profile get read cluster profiles', async () => {
    const listed = (await admin.json('profile', 'list', '--kind', 'cluster', '--name', 'cli-base')).body;
    expect(listed.items.map((p: { version: string }) => p.version).sort()).toEqual(['1.0.0', '1.1.0']);
    expect((await admin.json('profile', 'get', 'cli-base@1.0.0', '--kind', 'cluster')).body).toMatchObject({ id: v1, kubernetesVersion: '1.30' });
  }, 30_000);

  it('cluster create -f spec.yaml --wait ends Running', async () => {
    const file = join(home, 'spec.yaml');
    await writeFile(file, spec('cli-host', accountId));
    const { body, stderr } = await admin.json('cluster', 'create', '-f', file, '--wait');
    expect(body).toMatchObject({ name: 'cli-host', provider: 'sim', kubernetesVersion: '1.30', status: { phase: 'Running' } });
    expect(stepLines(stderr)).toContain('provision: Succeeded');
    clusterId = body.id;
    const listed = await admin.run('cluster', 'list', '-o', 'yaml');
    expect((load(listed.stdout) as { items: Array<{ id: string }> }).items.map((c) => c.id)).toContain(clusterId);
    expect((await admin.json('cluster', 'list', '--phase', 'Running')).body.items.map((c: { id: string }) => c.id)).toContain(clusterId);
    expect((await admin.json('cluster', 'get', clusterId)).body).toMatchObject({ id: clusterId, nodePools: [{ name: 'workers', count: 2 }] });
    expect(table((await admin.run('cluster', 'get', 'cli-host')).stdout).rows[0]).toEqual(expect.arrayContaining([clusterId, 'Running', 'workers:2']));
  }, 30_000);

  it('cluster scale --wait sets the node pool\'s count; cluster upgrade --wait moves it to another profile version', async () => {
    const scaled = await admin.json('cluster', 'scale', clusterId, '--pool', 'workers', '--count', '3', '--wait');
    expect(scaled.body).toMatchObject({ status: { phase: 'Running' }, nodePools: [{ name: 'workers', count: 3 }] });
    const upgraded = await admin.json('cluster', 'upgrade', 'cli-host', '--profile', 'cli-base@1.1.0', '--wait');
    expect(upgraded.body).toMatchObject({ kubernetesVersion: '1.31', status: { phase: 'Running' } });
  }, 30_000);

  it('cluster kubeconfig prints the cluster\'s kubeconfig', async () => {
    const printed = await admin.run('cluster', 'kubeconfig', clusterId);
    expect(printed.code, printed.stderr).toBe(0);
    expect(load(printed.stdout)).toMatchObject({ kind: 'Config', 'current-context': expect.any(String) });
  }, 30_000);

  it('a refused spec exits 1 with each field the API named', async () => {
    const file = join(home, 'bad.yaml');
    await writeFile(file, `name: cli-bad\ncloudAccountId: ${accountId}\nregion: sim-local-1\n`);
    const refused = await admin.run('cluster', 'create', '-f', file);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^ {2}body\.profileId: .+$/m);
  }, 30_000);

  it('a failed operation exits 1 with its error message on stderr, after the resource as it ended', async () => {
    const file = join(home, 'broken.yaml');
    await writeFile(file, spec('cli-broken', failingAccountId));
    const failed = await admin.run('cluster', 'create', '-f', file, '--wait', '-o', 'json');
    expect(failed.code).toBe(1);
    const cluster = JSON.parse(failed.stdout) as { operationId: string; status: { phase: string } };
    expect(cluster.status.phase).toBe('Error');
    const operation = (await rt.admin.get(`/v1/operations/${cluster.operationId}`)).body;
    expect(operation.status).toBe('Failed');
    expect(failed.stderr).toContain(operation.error.message);
    expect(failed.stderr).toMatch(/: Failed/);
    // op wait on a failed operation says the same.
    const waited = await admin.run('op', 'wait', cluster.operationId);
    expect(waited.code).toBe(1);
    expect(waited.stderr).toContain(operation.error.message);
  }, 30_000);

  it('cluster delete --wait prints deleted', async () => {
    const deleted = await admin.run('cluster', 'delete', clusterId, '--wait');
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout.trim()).toBe(`${clusterId} deleted`);
    expect((await rt.admin.get(`/v1/projects/default/clusters/${clusterId}`)).status).toBe(404);
  }, 30_000);
});

/**
 * The local chart registry of `npm start`: a Helm repository (index.yaml and packaged
 * charts, behind basic auth) and the OCI distribution API for the same charts (token
 * flow, tags, manifests, blobs), as Helm and Flux read them.
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { load } from 'js-yaml';
import { extract } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startChartRegistry } from '#infra/local/chart-registry.ts';
import type { ChartRegistry } from '#infra/local/chart-registry.ts';

const AUTH = { username: 'charts', password: 'chart-password' };
const basic = (username: string, password: string) => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

let registry: ChartRegistry;

beforeAll(async () => {
  registry = await startChartRegistry({ auth: AUTH });
});

afterAll(async () => {
  await registry.stop();
});

interface IndexEntry {
  name: string;
  version: string;
  appVersion: string;
  description: string;
  digest: string;
  created: unknown;
  urls: string[];
}

async function readIndex(): Promise<{ apiVersion: string; entries: Record<string, IndexEntry[]> }> {
  const response = await fetch(`${registry.url}/index.yaml`, { headers: { authorization: basic(AUTH.username, AUTH.password) } });
  expect(response.status).toBe(200);
  return load(await response.text()) as { apiVersion: string; entries: Record<string, IndexEntry[]> };
}

/** The files of a gzip'd tar, by path. */
async function untar(tgz: Buffer): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const reader = extract();
  const done = new Promise<void>((resolve, reject) => {
    reader.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: unknown) => chunks.push(Buffer.from(chunk as Uint8Array)));
      stream.on('end', () => {
        files.set(header.name, Buffer.concat(chunks).toString('utf8'));
        next();
      });
    });
    reader.on('finish', () => resolve());
    reader.on('error', reject);
  });
  reader.end(gunzipSync(tgz));
  await done;
  return files;
}

describe('the Helm repository', () => {
  test('serves a Helm index of both versions of hello', async () => {
    expect(registry.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(registry.charts).toEqual([{ name: 'hello', versions: ['0.2.0', '0.1.0'] }]);
    const index = await readIndex();
    expect(index.apiVersion).toBe('v1');
    expect(index.entries.hello?.map((e) => e.version)).toEqual(['0.2.0', '0.1.0']);
    for (const entry of index.entries.hello ?? []) {
      expect(entry).toMatchObject({ name: 'hello', appVersion: entry.version, urls: [`charts/hello-${entry.version}.tgz`] });
      expect(entry.digest).toMatch(/^[0-9a-f]{64}$/);
      expect(entry.description).toBeTruthy();
      expect(entry.created).toBeTruthy();
    }
  });

  test('packages are what the index says: the digest matches, hello/Chart.yaml has the version', async () => {
    const index = await readIndex();
    for (const entry of index.entries.hello ?? []) {
      const response = await fetch(`${registry.url}/${entry.urls[0]}`, { headers: { authorization: basic(AUTH.username, AUTH.password) } });
      expect(response.status).toBe(200);
      const tgz = Buffer.from(await response.arrayBuffer());
      expect(createHash('sha256').update(tgz).digest('hex')).toBe(entry.digest);
      const files = await untar(tgz);
      expect([...files.keys()]).toEqual(expect.arrayContaining(['hello/Chart.yaml', 'hello/values.yaml', 'hello/templates/deployment.yaml', 'hello/templates/service.yaml']));
      expect([...files.keys()][0]).toBe('hello/Chart.yaml');
      const chart = load(files.get('hello/Chart.yaml') ?? '') as Record<string, unknown>;
      expect(chart).toMatchObject({ apiVersion: 'v2', name: 'hello', version: entry.version, appVersion: entry.version });
      expect(files.get('hello/templates/deployment.yaml')).toContain('.Values.replicaCount');
    }
  });

  test('wants the basic-auth credentials', async () => {
    const anonymous = await fetch(`${registry.url}/index.yaml`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Basic realm="local-charts"');
    expect((await fetch(`${registry.url}/index.yaml`, { headers: { authorization: basic(AUTH.username, 'wrong') } })).status).toBe(401);
    expect((await fetch(`${registry.url}/charts/hello-0.1.0.tgz`)).status).toBe(401);
    expect((await fetch(`${registry.url}/charts/hello-0.1.0.tgz`, { headers: { authorization: basic(AUTH.username, AUTH.password) } })).status).toBe(200);
    expect((await fetch(`${registry.url}/charts/hello-9.9.9.tgz`, { headers: { authorization: basic(AUTH.username, AUTH.password) } })).status).toBe(404);
  });

  test('unpublish and publish change the index', async () => {
    expect(registry.unpublish('hello', '0.1.0')).toBe(true);
    expect(registry.unpublish('hello', '0.1.0')).toBe(false);
    expect((await readIndex()).entries.hello?.map((e) => e.version)).toEqual(['0.2.0']);
    await registry.publish('hello', '0.1.0');
    expect((await readIndex()).entries.hello?.map((e) => e.version)).toEqual(['0.2.0', '0.1.0']);
  });

  test('serves anonymously without auth', async () => {
    const open = await startChartRegistry();
    try {
      expect((await fetch(`${open.url}/index.yaml`)).status).toBe(200);
      const token = (await (await fetch(`${open.url}/token?service=local-charts&scope=repository:charts/hello:pull`)).json()) as { token: string };
      expect((await fetch(`${open.url}/v2/charts/hello/tags/list`, { headers: { authorization: `Bearer ${token.token}` } })).status).toBe(200);
    } finally {
      await open.stop();
    }
  });
});

describe('the OCI distribution API', () => {
  const pullToken = async (repository = 'charts/hello', authorization = basic(AUTH.username, AUTH.password)) => {
    const response = await fetch(`${registry.url}/token?service=local-charts&scope=repository:${repository}:pull`, { headers: { authorization } });
    return { status: response.status, body: (await response.json()) as { token: string; access_token: string; expires_in: number } };
  };

  test('challenges for a Bearer token, issued for the basic-auth credentials', async () => {
    expect(registry.ociHost).toBe(registry.url.replace('http://', ''));
    const ping = await fetch(`${registry.url}/v2/`);
    expect(ping.status).toBe(401);
    expect(ping.headers.get('www-authenticate')).toBe(`Bearer realm="${registry.url}/token",service="local-charts"`);
    expect((await pullToken('charts/hello', basic(AUTH.username, 'wrong'))).status).toBe(401);
    const { status, body } = await pullToken();
    expect(status).toBe(200);
    expect(body.token).toBeTruthy();
    expect(body.access_token).toBe(body.token);
    expect(body.expires_in).toBeGreaterThan(0);
    expect((await fetch(`${registry.url}/v2/`, { headers: { authorization: `Bearer ${body.token}` } })).status).toBe(200);
  });

  test('lists tags and serves Helm chart manifests and blobs to a token', async () => {
    const { body } = await pullToken();
    const bearer = { authorization: `Bearer ${body.token}` };
    const tags = await fetch(`${registry.url}/v2/charts/hello/tags/list`, { headers: bearer });
    expect(await tags.json()).toEqual({ name: 'charts/hello', tags: ['0.1.0', '0.2.0'] });

    const head = await fetch(`${registry.url}/v2/charts/hello/manifests/0.2.0`, { method: 'HEAD', headers: bearer });
    expect(head.status).toBe(200);
    const manifestResponse = await fetch(`${registry.url}/v2/charts/hello/manifests/0.2.0`, { headers: bearer });
    expect(manifestResponse.headers.get('content-type')).toBe('application/vnd.oci.image.manifest.v1+json');
    const bytes = Buffer.from(await manifestResponse.arrayBuffer());
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    expect(manifestResponse.headers.get('docker-content-digest')).toBe(digest);
    expect(head.headers.get('docker-content-digest')).toBe(digest);
    const manifest = JSON.parse(bytes.toString('utf8')) as { config: { mediaType: string; digest: string }; layers: Array<{ mediaType: string; digest: string }> };
    expect(manifest.config.mediaType).toBe('application/vnd.cncf.helm.config.v1+json');
    expect(manifest.layers.map((l) => l.mediaType)).toEqual(['application/vnd.cncf.helm.chart.content.v1.tar+gzip']);
    expect((await fetch(`${registry.url}/v2/charts/hello/manifests/${digest}`, { headers: bearer })).status).toBe(200);

    const config = (await (await fetch(`${registry.url}/v2/charts/hello/blobs/${manifest.config.digest}`, { headers: bearer })).json()) as Record<string, unknown>;
    expect(config).toMatchObject({ name: 'hello', version: '0.2.0' });
    const layer = Buffer.from(await (await fetch(`${registry.url}/v2/charts/hello/blobs/${manifest.layers[0]?.digest}`, { headers: bearer })).arrayBuffer());
    expect(`sha256:${createHash('sha256').update(layer).digest('hex')}`).toBe(manifest.layers[0]?.digest);
    expect((await untar(layer)).has('hello/Chart.yaml')).toBe(true);
  });

  test('answers distribution errors: unknown repository, unknown tag, bad token', async () => {
    const { body } = await pullToken('charts/nope');
    const unknown = await fetch(`${registry.url}/v2/charts/nope/tags/list`, { headers: { authorization: `Bearer ${body.token}` } });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { errors: Array<{ code: string }> }).errors[0]?.code).toBe('NAME_UNKNOWN');
    const hello = await pullToken();
    const missing = await fetch(`${registry.url}/v2/charts/hello/manifests/9.9.9`, { headers: { authorization: `Bearer ${hello.body.token}` } });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { errors: Array<{ code: string }> }).errors[0]?.code).toBe('MANIFEST_UNKNOWN');
    const bad = await fetch(`${registry.url}/v2/charts/hello/tags/list`, { headers: { authorization: 'Bearer not-a-token' } });
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as { errors: Array<{ code: string }> }).errors[0]?.code).toBe('UNAUTHORIZED');
    expect(bad.headers.get('www-authenticate')).toContain('scope="repository:charts/hello:pull"');
    // A token is good for the repositories it was asked for only.
    const other = await fetch(`${registry.url}/v2/charts/hello/tags/list`, { headers: { authorization: `Bearer ${body.token}` } });
    expect(other.status).toBe(401);
  });

  test('listens on loopback only', async () => {
    await expect(startChartRegistry({ host: '0.0.0.0' })).rejects.toThrow(/loopback/);
  });
});

/**
 * The local chart registry: a small Helm chart registry on loopback for `npm start` and
 * the tests, speaking both ways Helm and Flux fetch charts.
 *
 * - A **Helm repository**: `GET /index.yaml` (a Helm repository index) and
 *   `GET /charts/<name>-<version>.tgz` (the packages), behind HTTP basic auth when
 *   `auth` is set.
 * - The **OCI distribution API** for the same charts, as an OCI registry holds Helm
 *   charts (`oci://<ociHost>/charts/<name>:<version>`): `/v2/` challenges with a Bearer
 *   realm, `/token` issues pull tokens (for the basic-auth credentials when `auth` is
 *   set, anonymously otherwise), and tags, manifests and blobs are served to those tokens.
 *
 * The charts are packaged at start from `infra/local/charts/<name>/`, once per version:
 * the packaging rewrites `version` and `appVersion` in Chart.yaml, so one source serves
 * every version. Archives and manifests are deterministic (fixed times), so a version's
 * digests are the same on every start.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { dump, load } from 'js-yaml';
import { pack } from 'tar-stream';

export interface ChartRegistryOptions {
  /** A loopback address (default 127.0.0.1). */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** When set, the Helm repository and the token endpoint want these credentials (HTTP basic). */
  auth?: { username: string; password: string };
  /** The charts to publish, each from `infra/local/charts/<name>/` (default hello 0.1.0 and 0.2.0). */
  charts?: Array<{ name: string; versions: string[] }>;
}

export interface ChartRegistry {
  /** `http://127.0.0.1:<port>`: the Helm repository URL. */
  readonly url: string;
  /** `127.0.0.1:<port>`: charts are `oci://<ociHost>/charts/<name>`. */
  readonly ociHost: string;
  /** What is published now, versions newest first. */
  readonly charts: Array<{ name: string; versions: string[] }>;
  /** Packages and publishes another version of a chart under `infra/local/charts/`. */
  publish(name: string, version: string): Promise<void>;
  /** Takes a version off the index and the OCI tags (a chart version that vanishes); false when it was not published. */
  unpublish(name: string, version: string): boolean;
  stop(): Promise<void>;
}

export const DEFAULT_CHARTS = [{ name: 'hello', versions: ['0.1.0', '0.2.0'] }];

const CHARTS_DIR = fileURLToPath(new URL('./charts/', import.meta.url));
const SERVICE = 'local-charts';
const OCI_REPOSITORY_PREFIX = 'charts/';
const TOKEN_SECONDS = 300;
/** Every file in an archive gets this mtime, so that packages are byte-for-byte reproducible. */
const ARCHIVE_MTIME = new Date('2025-01-01T00:00:00Z');

export const MEDIA_TYPES = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  helmConfig: 'application/vnd.cncf.helm.config.v1+json',
  helmChart: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip',
};

interface Blob {
  mediaType: string;
  bytes: Buffer;
}

interface ChartPackage {
  name: string;
  version: string;
  metadata: Record<string, unknown>;
  tgz: Buffer;
  /** Hex sha256 of the .tgz, as in a Helm index. */
  digest: string;
  created: string;
  manifest: Buffer;
  manifestDigest: string;
  blobs: Map<string, Blob>;
}

const sha256 = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex');

/** Semver order for the versions of one chart (prereleases before their release). */
function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const [core = '', pre] = v.replace(/^v/, '').split('+')[0]?.split(/-(.*)/s) ?? [];
    return { parts: core.split('.').map((n) => Number(n) || 0), pre };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 3; i++) if ((x.parts[i] ?? 0) !== (y.parts[i] ?? 0)) return (x.parts[i] ?? 0) - (y.parts[i] ?? 0);
  if (x.pre === y.pre) return 0;
  if (x.pre === undefined) return 1;
  if (y.pre === undefined) return -1;
  return x.pre.localeCompare(y.pre);
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((entry) => (entry.isDirectory() ? filesUnder(join(dir, entry.name)) : Promise.resolve(entry.isFile() ? [join(dir, entry.name)] : []))),
  );
  return nested.flat();
}

/** A gzip'd tar of the chart under a `<name>/` prefix, as `helm package` writes it (Chart.yaml first). */
async function packageChart(name: string, version: string): Promise<ChartPackage> {
  const dir = join(CHARTS_DIR, name);
  const files = await filesUnder(dir);
  const chartFile = join(dir, 'Chart.yaml');
  if (!files.includes(chartFile)) throw new Error(`chart-registry: ${dir} has no Chart.yaml`);
  const chartYaml = (await readFile(chartFile, 'utf8'))
    .replace(/^version:.*$/m, `version: ${version}`)
    .replace(/^appVersion:.*$/m, `appVersion: "${version}"`);
  const metadata = load(chartYaml) as Record<string, unknown>;
  if (metadata.name !== name) throw new Error(`chart-registry: ${chartFile} names chart ${String(metadata.name)}, not ${name}`);

  const archive = pack();
  const chunks: Buffer[] = [];
  archive.on('data', (chunk: unknown) => chunks.push(Buffer.from(chunk as Uint8Array)));
  const finished = new Promise<void>((resolve, reject) => {
    archive.on('end', () => resolve());
    archive.on('error', reject);
  });
  const entry = (path: string, content: Buffer) =>
    new Promise<void>((resolve, reject) => archive.entry({ name: `${name}/${path}`, size: content.length, mode: 0o644, mtime: ARCHIVE_MTIME }, content, (error) => (error ? reject(error) : resolve())));
  await entry('Chart.yaml', Buffer.from(chartYaml));
  for (const file of files) {
    if (file === chartFile) continue;
    await entry(relative(dir, file).split(sep).join('/'), await readFile(file));
  }
  archive.finalize();
  await finished;
  const tgz = gzipSync(Buffer.concat(chunks));

  // The OCI form: Helm's config blob (Chart.yaml as JSON) and the archive as the one layer.
  const config = Buffer.from(JSON.stringify(metadata));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.manifest,
      config: { mediaType: MEDIA_TYPES.helmConfig, digest: `sha256:${sha256(config)}`, size: config.length },
      layers: [{ mediaType: MEDIA_TYPES.helmChart, digest: `sha256:${sha256(tgz)}`, size: tgz.length }],
      annotations: {
        // Fixed, like the mtimes, so that the manifest digest is the same on every start.
        'org.opencontainers.image.created': ARCHIVE_MTIME.toISOString(),
        'org.opencontainers.image.description': String(metadata.description ?? ''),
        'org.opencontainers.image.title': name,
        'org.opencontainers.image.version': version,
      },
    }),
  );
  return {
    name,
    version,
    metadata,
    tgz,
    digest: sha256(tgz),
    created: new Date().toISOString(),
    manifest,
    manifestDigest: `sha256:${sha256(manifest)}`,
    blobs: new Map([
      [`sha256:${sha256(config)}`, { mediaType: MEDIA_TYPES.helmConfig, bytes: config }],
      [`sha256:${sha256(tgz)}`, { mediaType: MEDIA_TYPES.helmChart, bytes: tgz }],
    ]),
  };
}

const isLoopback = (host: string): boolean => host === 'localhost' || (isIP(host) === 4 && host.startsWith('127.')) || host === '::1';

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function startChartRegistry(options: ChartRegistryOptions = {}): Promise<ChartRegistry> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host)) throw new Error(`chart-registry: serves loopback only, not ${host}`);
  const auth = options.auth;

  /** name → version → package */
  const published = new Map<string, Map<string, ChartPackage>>();
  let indexYaml = Buffer.alloc(0);
  const tokens = new Map<string, { repositories: Set<string>; expiresAt: number }>();

  const rebuildIndex = () => {
    const entries: Record<string, unknown[]> = {};
    for (const [name, versions] of [...published].sort(([a], [b]) => a.localeCompare(b))) {
      entries[name] = [...versions.values()]
        .sort((a, b) => compareVersions(b.version, a.version))
        .map((p) => ({ ...p.metadata, created: p.created, digest: p.digest, urls: [`charts/${p.name}-${p.version}.tgz`] }));
    }
    indexYaml = Buffer.from(dump({ apiVersion: 'v1', entries, generated: new Date().toISOString() }));
  };

  const publish = async (name: string, version: string) => {
    const chart = await packageChart(name, version);
    let versions = published.get(name);
    if (!versions) published.set(name, (versions = new Map()));
    versions.set(version, chart);
    rebuildIndex();
  };
  for (const chart of options.charts ?? DEFAULT_CHARTS) for (const version of chart.versions) await publish(chart.name, version);

  const findPackage = (file: string): ChartPackage | undefined => {
    for (const versions of published.values()) for (const p of versions.values()) if (`${p.name}-${p.version}.tgz` === file) return p;
    return undefined;
  };

  const basicCredentials = (req: IncomingMessage): { username: string; password: string } | undefined => {
    const header = req.headers.authorization ?? '';
    if (!/^basic /i.test(header)) return undefined;
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon < 0 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  };
  const basicAccepted = (req: IncomingMessage): boolean => {
    if (!auth) return true;
    const given = basicCredentials(req);
    return given !== undefined && sameSecret(given.username, auth.username) && sameSecret(given.password, auth.password);
  };

  const send = (res: ServerResponse, code: number, body: Buffer | string, headers: Record<string, string> = {}, head = false) => {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    res.writeHead(code, { 'Content-Length': String(bytes.length), ...headers });
    res.end(head ? undefined : bytes);
  };
  const distributionError = (res: ServerResponse, code: number, error: string, message: string, headers: Record<string, string> = {}) =>
    send(res, code, JSON.stringify({ errors: [{ code: error, message, detail: null }] }), { 'Content-Type': 'application/json', ...headers });

  const url = () => `http://${host.includes(':') ? `[${host}]` : host}:${(server.address() as AddressInfo).port}`;
  const challenge = (scope?: string) => `Bearer realm="${url()}/token",service="${SERVICE}"${scope ? `,scope="${scope}"` : ''}`;

  const issueToken = (req: IncomingMessage, res: ServerResponse, query: URLSearchParams) => {
    if (!basicAccepted(req)) {
      distributionError(res, 401, 'UNAUTHORIZED', 'authentication required', { 'WWW-Authenticate': `Basic realm="${SERVICE}"` });
      return;
    }
    // Pull only: this registry takes no pushes, so other actions are not granted.
    const repositories = new Set(
      query
        .getAll('scope')
        .flatMap((scope) => scope.split(' '))
        .map((scope) => /^repository:([^:]+):(.+)$/.exec(scope))
        .filter((match): match is RegExpExecArray => match !== null && (match[2] ?? '').split(',').includes('pull'))
        .map((match) => match[1] ?? ''),
    );
    const token = randomBytes(24).toString('base64url');
    const now = Date.now();
    for (const [old, grant] of tokens) if (grant.expiresAt < now) tokens.delete(old);
    tokens.set(token, { repositories, expiresAt: now + TOKEN_SECONDS * 1000 });
    send(res, 200, JSON.stringify({ token, access_token: token, expires_in: TOKEN_SECONDS, issued_at: new Date(now).toISOString() }), { 'Content-Type': 'application/json' });
  };

  const grantOf = (req: IncomingMessage) => {
    const match = /^bearer (.+)$/i.exec(req.headers.authorization ?? '');
    const grant = match ? tokens.get(match[1]?.trim() ?? '') : undefined;
    return grant && grant.expiresAt >= Date.now() ? grant : undefined;
  };

  const serveDistribution = (req: IncomingMessage, res: ServerResponse, path: string, head: boolean) => {
    const grant = grantOf(req);
    if (path === '/v2/' || path === '/v2') {
      if (!grant) distributionError(res, 401, 'UNAUTHORIZED', 'authentication required', { 'WWW-Authenticate': challenge() });
      else send(res, 200, '{}', { 'Content-Type': 'application/json', 'Docker-Distribution-API-Version': 'registry/2.0' }, head);
      return;
    }
    const match = /^\/v2\/(.+)\/(tags\/list|manifests\/[^/]+|blobs\/[^/]+)$/.exec(path);
    if (!match) {
      distributionError(res, 404, 'NOT_FOUND', 'not found');
      return;
    }
    const repository = match[1] ?? '';
    const [operation = '', reference = ''] = (match[2] ?? '').split('/');
    const scope = `repository:${repository}:pull`;
    if (!grant || !grant.repositories.has(repository)) {
      distributionError(res, 401, 'UNAUTHORIZED', 'authentication required', { 'WWW-Authenticate': challenge(scope) });
      return;
    }
    const versions = repository.startsWith(OCI_REPOSITORY_PREFIX) ? published.get(repository.slice(OCI_REPOSITORY_PREFIX.length)) : undefined;
    if (!versions) {
      distributionError(res, 404, 'NAME_UNKNOWN', `repository name not known to registry: ${repository}`);
      return;
    }
    if (operation === 'tags') {
      const tags = [...versions.keys()].sort(compareVersions);
      send(res, 200, JSON.stringify({ name: repository, tags }), { 'Content-Type': 'application/json' }, head);
      return;
    }
    if (operation === 'manifests') {
      const chart = reference.startsWith('sha256:') ? [...versions.values()].find((p) => p.manifestDigest === reference) : versions.get(reference);
      if (!chart) {
        distributionError(res, 404, 'MANIFEST_UNKNOWN', `manifest unknown: ${reference}`);
        return;
      }
      send(res, 200, chart.manifest, { 'Content-Type': MEDIA_TYPES.manifest, 'Docker-Content-Digest': chart.manifestDigest }, head);
      return;
    }
    const blob = [...versions.values()].map((p) => p.blobs.get(reference)).find((b) => b !== undefined);
    if (!blob) {
      distributionError(res, 404, 'BLOB_UNKNOWN', `blob unknown to registry: ${reference}`);
      return;
    }
    send(res, 200, blob.bytes, { 'Content-Type': 'application/octet-stream', 'Docker-Content-Digest': reference }, head);
  };

  const server = createServer((req, res) => {
    const requestUrl = new URL(req.url ?? '/', 'http://registry');
    const path = requestUrl.pathname;
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      send(res, 405, 'method not allowed\n', { 'Content-Type': 'text/plain; charset=utf-8', Allow: 'GET, HEAD' });
      return;
    }
    if (path === '/token') {
      issueToken(req, res, requestUrl.searchParams);
      return;
    }
    if (path === '/v2' || path.startsWith('/v2/')) {
      serveDistribution(req, res, path, head);
      return;
    }
    const chart = path.startsWith('/charts/') ? findPackage(path.slice('/charts/'.length)) : undefined;
    if (path !== '/index.yaml' && !chart) {
      send(res, 404, '404 page not found\n', { 'Content-Type': 'text/plain; charset=utf-8' });
      return;
    }
    if (!basicAccepted(req)) {
      send(res, 401, 'Unauthorized\n', { 'Content-Type': 'text/plain; charset=utf-8', 'WWW-Authenticate': `Basic realm="${SERVICE}"` });
      return;
    }
    if (chart) send(res, 200, chart.tgz, { 'Content-Type': 'application/gzip' }, head);
    else send(res, 200, indexYaml, { 'Content-Type': 'application/x-yaml' }, head);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = `${host.includes(':') ? `[${host}]` : host}:${(server.address() as AddressInfo).port}`;

  return {
    url: `http://${address}`,
    ociHost: address,
    get charts() {
      return [...published]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, versions]) => ({ name, versions: [...versions.keys()].sort((a, b) => compareVersions(b, a)) }));
    },
    publish,
    unpublish(name, version) {
      const versions = published.get(name);
      if (!versions?.delete(version)) return false;
      if (versions.size === 0) published.delete(name);
      rebuildIndex();
      return true;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

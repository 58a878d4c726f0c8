/**
 * What the emulated Flux source-controller asks of chart registries, over HTTP from the
 * emulator process: a Helm repository's `index.yaml` (basic auth), and an OCI
 * registry's distribution API (the Bearer token flow, tags, manifests and blobs). Also
 * the chart version selection Flux does with semver constraints. Errors carry the
 * registry's answer in the words Flux and Helm use for them.
 */
import { createHash } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { load } from 'js-yaml';
import { isObject } from '../json.ts';
import type { JsonObject } from '../json.ts';

/** The emulator answers its clients synchronously, so a slow registry must not hold a source for long. */
export const FETCH_TIMEOUT_MS = 5000;

export interface Credentials {
  username: string;
  password: string;
}

export interface ChartVersionEntry {
  name: string;
  version: string;
  appVersion?: string;
  digest?: string;
}

export interface HelmIndex {
  /** sha256 hex of the index as fetched. */
  digest: string;
  size: number;
  entries: Map<string, ChartVersionEntry[]>;
}

export class FetchError extends Error {}

/** A fetched index that is not a Helm repository index. */
export class IndexError extends FetchError {}

const sha256 = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex');
const statusLine = (response: Response): string => `${response.status} ${response.statusText || STATUS_CODES[response.status] || ''}`.trim();
const basicHeader = (credentials: Credentials): string => `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;

async function get(url: string, headers: Record<string, string>, signal: AbortSignal, method = 'GET'): Promise<Response> {
  try {
    return await fetch(url, { method, headers, redirect: 'follow', signal: AbortSignal.any([signal, AbortSignal.timeout(FETCH_TIMEOUT_MS)]) });
  } catch (error) {
    const cause = (error as { cause?: { message?: string; code?: string } }).cause;
    const reason = (error as Error).name === 'TimeoutError' ? `context deadline exceeded (no answer within ${FETCH_TIMEOUT_MS / 1000}s)` : (cause?.code ?? cause?.message ?? (error as Error).message);
    throw new FetchError(`${method} ${url}: ${reason}`);
  }
}

/** Fetches and parses `<url>/index.yaml`, as Helm's repository client does. */
export async function fetchHelmIndex(repositoryUrl: string, credentials: Credentials | undefined, signal: AbortSignal): Promise<HelmIndex> {
  const indexUrl = `${repositoryUrl.replace(/\/+$/, '')}/index.yaml`;
  let response: Response;
  try {
    response = await get(indexUrl, { Accept: 'application/x-yaml, */*', ...(credentials ? { Authorization: basicHeader(credentials) } : {}) }, signal);
  } catch (error) {
    throw new FetchError(`failed to fetch Helm repository index: failed to cache index to temporary file: ${(error as Error).message}`);
  }
  if (!response.ok) throw new FetchError(`failed to fetch Helm repository index: failed to cache index to temporary file: failed to fetch ${indexUrl} : ${statusLine(response)}`);
  const bytes = Buffer.from(await response.arrayBuffer());
  let parsed: unknown;
  try {
    parsed = load(bytes.toString('utf8'));
  } catch (error) {
    throw new IndexError(`failed to load Helm repository from index YAML: ${(error as Error).message.split('\n')[0] ?? ''}`);
  }
  if (!isObject(parsed) || !isObject(parsed.entries)) throw new IndexError('failed to load Helm repository from index YAML: no API version specified');
  const entries = new Map<string, ChartVersionEntry[]>();
  for (const [name, list] of Object.entries(parsed.entries)) {
    if (!Array.isArray(list)) continue;
    entries.set(
      name,
      list.filter(isObject).map((entry) => ({
        name,
        version: String(entry.version ?? ''),
        ...(entry.appVersion !== undefined ? { appVersion: String(entry.appVersion) } : {}),
        ...(typeof entry.digest === 'string' ? { digest: entry.digest } : {}),
      })),
    );
  }
  return { digest: sha256(bytes), size: bytes.length, entries };
}


// ---------------------------------------------------------------------------
// OCI distribution
// ---------------------------------------------------------------------------

export interface OciReference {
  /** `host[:port]` */
  host: string;
  /** The repository path, `charts/hello`. */
  repository: string;
}

/** `oci://host/path` → host and repository; undefined when it is not one. */
export function parseOciUrl(url: string): OciReference | undefined {
  const match = /^oci:\/\/([^/]+)\/(.+?)\/*$/.exec(url);
  return match ? { host: match[1] ?? '', repository: match[2] ?? '' } : undefined;
}

/** The credentials a `.dockerconfigjson` holds for `host` (auths keyed by host, or by a URL of it). */
export function dockerConfigCredentials(dockerConfigJson: string, host: string): Credentials | undefined {
  let config: unknown;
  try {
    config = JSON.parse(dockerConfigJson);
  } catch {
    return undefined;
  }
  const auths = isObject(config) && isObject(config.auths) ? config.auths : {};
  const key = Object.keys(auths).find((k) => k === host || k.replace(/^https?:\/\//, '').replace(/\/.*$/, '') === host);
  const entry = key ? auths[key] : undefined;
  if (!isObject(entry)) return undefined;
  if (typeof entry.username === 'string' && typeof entry.password === 'string') return { username: entry.username, password: entry.password };
  if (typeof entry.auth === 'string') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  return undefined;
}

/** The distribution error body's first error, as go-containerregistry prints it: `CODE: message`. */
async function distributionErrorOf(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { errors?: Array<{ code?: string; message?: string }> };
    const first = body.errors?.[0];
    if (first?.code) return `${first.code}: ${first.message ?? ''}`;
  } catch {
    // Not a distribution error body: the status line and text say it.
  }
  return `unexpected status code ${statusLine(response)}${text ? `: ${text.trim().slice(0, 200)}` : ''}`;
}

/** One repository of an OCI registry, authenticated the way the registry's `/v2/` challenge asks. */
export class OciRepositoryClient {
  private authorization: string | undefined;
  private readonly base: string;

  constructor(
    private readonly reference: OciReference,
    private readonly credentials: Credentials | undefined,
    insecure: boolean,
    private readonly signal: AbortSignal,
  ) {
    this.base = `${insecure ? 'http' : 'https'}://${reference.host}`;
  }

  /** The `/v2/` ping and, for a Bearer challenge, a pull token for the repository. */
  private async authenticate(): Promise<void> {
    const ping = await get(`${this.base}/v2/`, {}, this.signal);
    await ping.body?.cancel();
    if (ping.ok) return;
    const challenge = ping.headers.get('www-authenticate') ?? '';
    if (ping.status !== 401 || !challenge) throw new FetchError(`GET ${this.base}/v2/: unexpected status code ${statusLine(ping)}`);
    if (/^basic/i.test(challenge)) {
      if (this.credentials) this.authorization = basicHeader(this.credentials);
      return;
    }
    const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1] ?? '', m[2] ?? '']));
    if (!params.realm) throw new FetchError(`GET ${this.base}/v2/: a Bearer challenge without a realm`);
    const tokenUrl = new URL(params.realm);
    if (params.service) tokenUrl.searchParams.set('service', params.service);
    tokenUrl.searchParams.set('scope', `repository:${this.reference.repository}:pull`);
    const response = await get(tokenUrl.toString(), this.credentials ? { Authorization: basicHeader(this.credentials) } : {}, this.signal);
    if (!response.ok) throw new FetchError(`GET ${tokenUrl.toString()}: ${await distributionErrorOf(response)}`);
    const body = (await response.json().catch(() => ({}))) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new FetchError(`GET ${tokenUrl.toString()}: the token endpoint answered no token`);
    this.authorization = `Bearer ${token}`;
  }

  private async request(path: string, accept: string, method = 'GET'): Promise<Response> {
    if (this.authorization === undefined) await this.authenticate();
    const url = `${this.base}/v2/${this.reference.repository}/${path}`;
    const response = await get(url, { Accept: accept, ...(this.authorization ? { Authorization: this.authorization } : {}) }, this.signal, method);
    if (!response.ok) throw new FetchError(`${method} ${url}: ${await distributionErrorOf(response)}`);
    return response;
  }

  async tags(): Promise<string[]> {
    const body = (await (await this.request('tags/list', 'application/json')).json()) as { tags?: unknown };
    return Array.isArray(body.tags) ? body.tags.map(String) : [];
  }

  async manifest(reference: string): Promise<{ digest: string; manifest: JsonObject }> {
    const response = await this.request(`manifests/${reference}`, 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json');
    const bytes = Buffer.from(await response.arrayBuffer());
    const manifest = JSON.parse(bytes.toString('utf8')) as unknown;
    if (!isObject(manifest)) throw new FetchError(`GET manifests/${reference}: not an image manifest`);
    return { digest: response.headers.get('docker-content-digest') ?? `sha256:${sha256(bytes)}`, manifest };
  }

  async blob(digest: string): Promise<Buffer> {
    return Buffer.from(await (await this.request(`blobs/${digest}`, '*/*')).arrayBuffer());
  }
}

// ---------------------------------------------------------------------------
// Chart versions (semver constraints, as Flux reads `spec.chart.spec.version`)
// ---------------------------------------------------------------------------

interface Version {
  major: number;
  minor: number;
  patch: number;
  prerelease: string;
}

const VERSION = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

function parseVersion(text: string): Version | undefined {
  const match = VERSION.exec(text.trim());
  if (!match) return undefined;
  return { major: Number(match[1]), minor: Number(match[2] ?? 0), patch: Number(match[3] ?? 0), prerelease: match[4] ?? '' };
}

function comparePrerelease(a: string, b: string): number {
  if (a === b) return 0;
  if (!a) return 1;
  if (!b) return -1;
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i];
    const q = y[i];
    if (p === undefined) return -1;
    if (q === undefined) return 1;
    const numeric = /^\d+$/.test(p) && /^\d+$/.test(q);
    const order = numeric ? Number(p) - Number(q) : p.localeCompare(q);
    if (order !== 0) return order;
  }
  return 0;
}

export function compareSemver(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  if (!x || !y) return a.localeCompare(b);
  return x.major - y.major || x.minor - y.minor || x.patch - y.patch || comparePrerelease(x.prerelease, y.prerelease);
}

type Check = (version: Version) => boolean;

const cmp = (v: Version, w: Version): number => v.major - w.major || v.minor - w.minor || v.patch - w.patch || comparePrerelease(v.prerelease, w.prerelease);

/** One comparator (`>=1.2.0`, `~1.2`, `^0.3`, `1.2.x`, `*`) as a range check. */
function comparator(text: string): Check | undefined {
  const match = /^(=|!=|>=|<=|>|<|~>|~|\^)?\s*v?([0-9xX*]+(?:\.[0-9xX*]+){0,2}(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)$/.exec(text);
  if (!match) return undefined;
  const op = match[1] ?? '=';
  const body = match[2] ?? '';
  const [core = '', prerelease = ''] = body.split('+')[0]?.split(/-(.*)/s) ?? [];
  const parts = core.split('.');
  const wild = (p: string | undefined) => p === undefined || p === 'x' || p === 'X' || p === '*';
  const fixed = parts.findIndex(wild) === -1 ? parts.length : parts.findIndex(wild);
  const n = (i: number) => (i < fixed ? Number(parts[i]) : 0);
  const floor: Version = { major: n(0), minor: n(1), patch: n(2), prerelease };
  const bump = (level: number): Version => (level <= 0 ? { major: floor.major + 1, minor: 0, patch: 0, prerelease: '' } : level === 1 ? { major: floor.major, minor: floor.minor + 1, patch: 0, prerelease: '' } : { major: floor.major, minor: floor.minor, patch: floor.patch + 1, prerelease: '' });
  const within = (low: Version, high: Version | undefined): Check => (v) => cmp(v, low) >= 0 && (high === undefined || cmp(v, high) < 0);
  if (fixed === 0) return op === '!=' || op === '<' || op === '>' ? () => false : () => true;
  switch (op) {
    case '=':
      return fixed === 3 ? (v) => cmp(v, floor) === 0 : within(floor, bump(fixed - 1));
    case '!=':
      return fixed === 3 ? (v) => cmp(v, floor) !== 0 : (v) => !within(floor, bump(fixed - 1))(v);
    case '>':
      return fixed === 3 ? (v) => cmp(v, floor) > 0 : (v) => cmp(v, bump(fixed - 1)) >= 0;
    case '>=':
      return (v) => cmp(v, floor) >= 0;
    case '<':
      return (v) => cmp(v, floor) < 0;
    case '<=':
      return fixed === 3 ? (v) => cmp(v, floor) <= 0 : (v) => cmp(v, bump(fixed - 1)) < 0;
    case '~':
    case '~>':
      return within(floor, bump(fixed >= 2 ? 1 : 0));
    case '^': {
      const level = floor.major > 0 || fixed === 1 ? 0 : floor.minor > 0 || fixed === 2 ? 1 : 2;
      return within(floor, bump(level));
    }
    default:
      return undefined;
  }
}

/**
 * A semver constraint as Flux (Masterminds semver) reads a chart version: comparators
 * joined by spaces or commas, alternatives by `||`, hyphen ranges. Prereleases match only
 * a constraint that names a prerelease. Throws for an improper constraint.
 */
export function semverConstraint(text: string): (version: string) => boolean {
  const constraint = text.trim() || '*';
  const alternatives = constraint.split('||').map((alternative) => {
    const normalized = alternative.trim().replace(/^(\S+)\s+-\s+(\S+)$/, '>=$1 <=$2').replace(/(=|!=|>=|<=|>|<|~>|~|\^)\s+/g, '$1');
    const checks = normalized
      .split(/[\s,]+/)
      .filter(Boolean)
      .map((part) => {
        const check = comparator(part);
        if (!check) throw new FetchError(`improper constraint: ${text}`);
        return check;
      });
    return { checks, allowsPrerelease: normalized.includes('-') };
  });
  return (candidate) => {
    const version = parseVersion(candidate);
    if (!version) return false;
    return alternatives.some((a) => (version.prerelease === '' || a.allowsPrerelease) && a.checks.every((check) => check(version)));
  };
}

/** The latest of `versions` the constraint accepts. */
export function latestMatching(versions: string[], constraint: string): string | undefined {
  const accepts = semverConstraint(constraint);
  return versions.filter(accepts).sort(compareSemver).at(-1);
}

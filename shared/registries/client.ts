/**
 * Reading a registry the way Helm and Flux do: a Helm repository's `index.yaml`, and
 * for an OCI registry the distribution API (`/v2/`, its Bearer token challenge, the
 * tags list of a repository). Answers are cached for a short while per registry, so a
 * console listing charts does not fetch the index on every keystroke.
 */
import { load } from '../kube/yaml.ts';
import { compareSemver, SEMVER } from '../app-profiles/semver.ts';
import type { RegistryEndpoint } from './items.ts';
import { httpBase } from './url.ts';

const TIMEOUT_MS = 8000;
const MAX_INDEX_BYTES = 16 * 1024 * 1024;
const CACHE_MS = 30_000;

export interface Chart {
  name: string;
  /** Newest first. */
  versions: string[];
}

/** Why a registry could not answer: who is to blame decides what the caller is told. */
export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  constructor(
    readonly kind: 'unauthorized' | 'unreachable' | 'not_found' | 'invalid',
    message: string,
  ) {
    super(message);
  }
}

const basic = (username: string, password: string) => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

async function get(url: URL, headers: Record<string, string>): Promise<Response> {
  try {
    return await fetch(url, { headers, redirect: 'follow', signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new RegistryError('unreachable', `${url.host} could not be reached: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
  }
}

async function readBody(response: Response, max: number): Promise<string> {
  const length = Number(response.headers.get('content-length') ?? 0);
  if (length > max) throw new RegistryError('invalid', `the registry's answer is larger than ${max / 1024 / 1024} MiB`);
  const text = await response.text();
  if (text.length > max) throw new RegistryError('invalid', `the registry's answer is larger than ${max / 1024 / 1024} MiB`);
  return text;
}

const refused = (response: Response, what: string) =>
  response.status === 401 || response.status === 403
    ? new RegistryError('unauthorized', `the registry refused the credentials for ${what} (HTTP ${response.status})`)
    : response.status === 404
      ? new RegistryError('not_found', `${what}: not found (HTTP 404)`)
      : new RegistryError('invalid', `${what}: HTTP ${response.status} ${response.statusText}`);

const byNewest = (versions: string[]) => [...new Set(versions)].sort((a, b) => (SEMVER.test(a) && SEMVER.test(b) ? compareSemver(b, a) : b.localeCompare(a)));

// ---------------------------------------------------------------------------------
// Helm repositories
// ---------------------------------------------------------------------------------

async function helmIndex(endpoint: RegistryEndpoint): Promise<Chart[]> {
  const base = httpBase(endpoint);
  const url = new URL(`${base.pathname.replace(/\/?$/, '/')}index.yaml`, base);
  const headers: Record<string, string> = { accept: 'application/yaml, text/yaml, */*' };
  if (endpoint.auth && 'username' in endpoint.auth) headers.authorization = basic(endpoint.auth.username, endpoint.auth.password);
  if (endpoint.auth && 'token' in endpoint.auth) headers.authorization = `Bearer ${endpoint.auth.token}`;
  const response = await get(url, headers);
  if (!response.ok) throw refused(response, 'index.yaml');
  let index: unknown;
  try {
    index = load(await readBody(response, MAX_INDEX_BYTES));
  } catch (error) {
    if (error instanceof RegistryError) throw error;
    throw new RegistryError('invalid', `index.yaml is not valid YAML: ${(error as Error).message}`);
  }
  const entries = (index as { entries?: unknown } | null)?.entries;
  if (!entries || typeof entries !== 'object') throw new RegistryError('invalid', 'index.yaml has no entries: this is not a Helm repository');
  return Object.entries(entries as Record<string, unknown>)
    .map(([name, list]) => ({
      name,
      versions: byNewest((Array.isArray(list) ? list : []).map((v) => String((v as { version?: unknown }).version ?? '')).filter(Boolean)),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

// ---------------------------------------------------------------------------------
// OCI registries (the distribution API)
// ---------------------------------------------------------------------------------

/** `Bearer realm="…",service="…",scope="…"` → its parameters. */
function challenge(header: string | null): Record<string, string> | undefined {
  if (!header || !/^bearer\s/i.test(header)) return undefined;
  const params: Record<string, string> = {};
  for (const match of header.slice(7).matchAll(/(\w+)="([^"]*)"/g)) params[match[1]!.toLowerCase()] = match[2]!;
  return params.realm ? params : undefined;
}

/** A GET of the distribution API, answering a Bearer challenge with the registry's token service. */
async function ociGet(endpoint: RegistryEndpoint, path: string, scope: string): Promise<Response> {
  const base = httpBase(endpoint);
  const url = new URL(path, `${base.protocol}//${base.host}`);
  const first = await get(url, { accept: 'application/json' });
  if (first.status !== 401) return first;
  const params = challenge(first.headers.get('www-authenticate'));
  if (!params) {
    // Basic auth straight to the registry (some registries take it without a token service).
    if (!endpoint.auth) return first;
    const password = 'token' in endpoint.auth ? endpoint.auth.token : endpoint.auth.password;
    const username = 'token' in endpoint.auth ? 'token' : endpoint.auth.username;
    return get(url, { accept: 'application/json', authorization: basic(username, password) });
  }
  const realm = new URL(params.realm!);
  if (params.service) realm.searchParams.set('service', params.service);
  realm.searchParams.set('scope', params.scope ?? scope);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (endpoint.auth) headers.authorization = 'token' in endpoint.auth ? basic('token', endpoint.auth.token) : basic(endpoint.auth.username, endpoint.auth.password);
  const tokenResponse = await get(realm, headers);
  if (!tokenResponse.ok) throw refused(tokenResponse, 'a registry token');
  const answer = JSON.parse(await readBody(tokenResponse, 64 * 1024)) as { token?: string; access_token?: string };
  const token = answer.token ?? answer.access_token;
  if (!token) throw new RegistryError('invalid', 'the registry\'s token service answered without a token');
  return get(url, { accept: 'application/json', authorization: `Bearer ${token}` });
}

const repositoryOf = (endpoint: RegistryEndpoint, chart: string) => `${httpBase(endpoint).pathname.replace(/^\/|\/$/g, '')}/${chart}`.replace(/^\//, '');

async function ociTags(endpoint: RegistryEndpoint, chart: string): Promise<Chart | undefined> {
  const repository = repositoryOf(endpoint, chart);
  const response = await ociGet(endpoint, `/v2/${repository}/tags/list`, `repository:${repository}:pull`);
  if (response.status === 404) return undefined;
  if (!response.ok) throw refused(response, `the tags of ${repository}`);
  const list = JSON.parse(await readBody(response, MAX_INDEX_BYTES)) as { tags?: unknown };
  return { name: chart, versions: byNewest(Array.isArray(list.tags) ? list.tags.map(String) : []) };
}

async function ociCatalog(endpoint: RegistryEndpoint): Promise<Chart[]> {
  const response = await ociGet(endpoint, '/v2/_catalog', 'registry:catalog:*');
  if (response.status === 404 || response.status === 401 || response.status === 403) {
    throw new RegistryError('invalid', 'this OCI registry does not list its repositories; ask for one chart with ?name=');
  }
  if (!response.ok) throw refused(response, 'the catalog');
  const prefix = repositoryOf(endpoint, '');
  const repositories = ((JSON.parse(await readBody(response, MAX_INDEX_BYTES)) as { repositories?: unknown }).repositories ?? []) as string[];
  const charts = repositories.filter((r) => r.startsWith(prefix) && !r.slice(prefix.length).includes('/')).map((r) => r.slice(prefix.length));
  const found = await Promise.all(charts.map((name) => ociTags(endpoint, name)));
  return found.filter((c): c is Chart => c !== undefined).sort((a, b) => a.name.localeCompare(b.name));
}

// ---------------------------------------------------------------------------------
// What callers use
// ---------------------------------------------------------------------------------

/** Asks the registry whether the credentials work: the index, or the distribution API's base. */
export async function checkRegistry(endpoint: RegistryEndpoint): Promise<void> {
  if (endpoint.type === 'helm') {
    await helmIndex(endpoint);
    return;
  }
  const response = await ociGet(endpoint, '/v2/', 'registry:catalog:*');
  if (!response.ok) throw refused(response, 'the distribution API (/v2/)');
}

const cache = new Map<string, { at: number; charts: Promise<Chart[]> }>();

/** The charts of a registry (`name`: only that one), read from the registry itself, cached for 30 s under `cacheKey`. */
export function listCharts(endpoint: RegistryEndpoint, cacheKey: string, name?: string): Promise<Chart[]> {
  const key = `${cacheKey}|${name ?? ''}`;
  const hit = cache.get(key);
  if (hit && Date.now() - hit.at < CACHE_MS) return hit.charts;
  const charts = (async () => {
    if (endpoint.type === 'helm') {
      const all = await helmIndex(endpoint);
      return name ? all.filter((c) => c.name === name) : all;
    }
    if (name) {
      const chart = await ociTags(endpoint, name);
      return chart ? [chart] : [];
    }
    return ociCatalog(endpoint);
  })();
  if (cache.size >= 200) cache.delete(cache.keys().next().value!);
  cache.set(key, { at: Date.now(), charts });
  // A failure is not cached: the next call asks again.
  charts.catch(() => cache.delete(key));
  return charts;
}

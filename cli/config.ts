/**
 * Where the CLI finds the API and its key: flags over environment over the file
 * `palette login` wrote. The file holds a secret, so it is written owner-only.
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { paletteClient, type PaletteClient } from '../client/index.ts';
import { ApiUnreachable, CliFailure, UsageError } from './errors.ts';

export interface StoredConfig {
  url: string;
  key: string;
}

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.PALETTE_CONFIG || join(homedir(), '.config', 'palette', 'config.json');
}

export async function readStoredConfig(path = configPath()): Promise<Partial<StoredConfig>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<StoredConfig>;
    return { ...(typeof parsed.url === 'string' ? { url: parsed.url } : {}), ...(typeof parsed.key === 'string' ? { key: parsed.key } : {}) };
  } catch {
    throw new CliFailure(`${path} is not valid JSON; run palette login again`);
  }
}

export async function writeStoredConfig(config: StoredConfig, path = configPath()): Promise<string> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  // writeFile's mode only applies to a new file; an older one may have been wider.
  await chmod(path, 0o600);
  return path;
}

export interface ConnectionFlags {
  url?: string;
  key?: string;
}

/** The API origin and key this invocation uses: --url/--key, then PALETTE_URL/PALETTE_API_KEY, then the stored login. */
export async function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): Promise<StoredConfig> {
  const stored = flags.url && flags.key ? {} : await readStoredConfig(configPath(env));
  const url = flags.url ?? (env.PALETTE_URL || undefined) ?? stored.url;
  const key = flags.key ?? (env.PALETTE_API_KEY || undefined) ?? storedKeyFor(stored, url);
  if (!url) throw new UsageError('no API URL: run palette login --url <url> --key <key>, or set PALETTE_URL');
  if (!key) {
    const elsewhere = stored.url && stored.key ? ` (the stored key is for ${stored.url})` : '';
    throw new UsageError(`no API key for ${url}${elsewhere}: run palette login --url <url> --key <key>, or set PALETTE_API_KEY`);
  }
  return { url: checkedUrl(url), key };
}

/** The stored key, only for the API it was stored with: a key is never sent to another origin than its login's. */
export function storedKeyFor(stored: Partial<StoredConfig>, url: string | undefined): string | undefined {
  if (!stored.key || !stored.url || !url) return undefined;
  return sameOrigin(stored.url, url) ? stored.key : undefined;
}

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

export function checkedUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--url ${url} is not a URL (e.g. http://127.0.0.1:3000)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError(`--url ${url} must be http:// or https://`);
  return url.replace(/\/+$/, '');
}

/** One request may take this long before the CLI gives up on the API. */
const REQUEST_TIMEOUT_MS = 60_000;

/** The typed client, with network failures turned into an error that names the API. */
export function clientFor(connection: StoredConfig): PaletteClient {
  const reachingFetch: typeof fetch = async (input, init) => {
    try {
      return await fetch(input, { ...init, signal: init?.signal ?? AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    } catch (error) {
      throw new ApiUnreachable(connection.url, error);
    }
  };
  return paletteClient({ baseUrl: connection.url, apiKey: connection.key, fetch: reachingFetch });
}

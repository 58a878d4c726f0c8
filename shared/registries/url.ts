/**
 * Which registry URLs the platform will call. A registry is fetched by the API (chart
 * listing, version checks) and by every cluster's Flux, so an address inside the
 * platform's own network is refused: https (or oci) to a public name or address only.
 * The local runtime also allows loopback, where its own Helm repository listens.
 */
import { isIP } from 'node:net';
import type { RegistryType } from './items.ts';

export const loopbackAllowed = (env: NodeJS.ProcessEnv = process.env) => env.PALETTE_ALLOW_LOOPBACK_REGISTRIES === '1';

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || /^127\./.test(host);

/** Private, link-local, shared and unspecified ranges (IPv4, and IPv6 unique-local and link-local). */
function isInternal(host: string): boolean {
  if (isIP(host) === 4) {
    const [a = 0, b = 0] = host.split('.').map(Number);
    return a === 10 || a === 0 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127);
  }
  if (isIP(host) === 6) return /^(fc|fd|fe8|fe9|fea|feb)/i.test(host) || host === '::';
  return false;
}

/** The problem with `raw` as a registry URL of `type`, or undefined when it is fine. */
export function registryUrlProblem(type: RegistryType, raw: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL';
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const loopback = isLoopback(host);
  const scheme = url.protocol.slice(0, -1);
  const schemes = type === 'helm' ? ['https', ...(loopback && loopbackAllowed(env) ? ['http'] : [])] : ['oci'];
  if (!schemes.includes(scheme)) return type === 'helm' ? 'must be an https:// URL' : 'must be an oci://host/path URL';
  if (url.username || url.password) return 'must not carry credentials: give them in auth';
  if (url.search || url.hash) return 'must not have a query or fragment';
  if (loopback && !loopbackAllowed(env)) return 'must not be a loopback address';
  if (isInternal(host)) return 'must not be a private or link-local address';
  return undefined;
}

/** The registry's base for HTTP calls: https, or http on loopback in the local runtime. */
export function httpBase(endpoint: { type: RegistryType; url: string }): URL {
  const url = new URL(endpoint.url);
  if (endpoint.type === 'oci') {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    return new URL(`${isLoopback(host) && loopbackAllowed() ? 'http' : 'https'}://${url.host}${url.pathname}`);
  }
  return url;
}

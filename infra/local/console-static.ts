/**
 * The web console as `npm start` serves it: console/dist at /console/ (`/console` redirects
 * there), index.html for any /console/* path that is not a file (the console routes in the
 * browser), and strict security headers on every response. On AWS CloudFront serves the
 * same files from S3 with the same headers.
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CONSOLE_DIR = fileURLToPath(new URL('../../console/dist', import.meta.url));
const CONSOLE_CONFIG = fileURLToPath(new URL('../../console/vite.config.ts', import.meta.url));

/**
 * Shoelace's components style themselves through adopted stylesheets and the CSSOM, so no
 * 'unsafe-inline' is needed for styles or scripts; icons are same-origin files (the
 * console's build puts them there), so nothing is fetched from anywhere else.
 */
export const CONSOLE_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** True when the request is the console's: `/console` or below it. */
export const isConsolePath = (pathname: string) => pathname === '/console' || pathname.startsWith('/console/');

/** Builds the console (vite's JS API) unless console/dist is there already. */
export async function ensureConsoleBuilt(options: { dir?: string; log?: (line: string) => void } = {}): Promise<void> {
  const dir = options.dir ?? CONSOLE_DIR;
  if (existsSync(join(dir, 'index.html'))) return;
  options.log?.('building the console (console/dist is missing)…');
  const { build } = await import('vite');
  await build({ configFile: CONSOLE_CONFIG, logLevel: 'warn' });
}

export function consoleHandler(dir = CONSOLE_DIR) {
  const root = resolve(dir);
  const send = (res: ServerResponse, status: number, headers: Record<string, string>, body?: Buffer | string, head = false) => {
    res.writeHead(status, { ...CONSOLE_HEADERS, ...headers });
    res.end(head ? undefined : body);
  };
  const fileAt = async (relative: string): Promise<string | undefined> => {
    const path = normalize(join(root, relative));
    if (path !== root && !path.startsWith(root + sep)) return undefined;
    try {
      return (await stat(path)).isFile() ? path : undefined;
    } catch {
      return undefined;
    }
  };

  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    if (url.pathname === '/console') return send(res, 308, { location: `/console/${url.search}` });
    if (method !== 'GET' && method !== 'HEAD') return send(res, 405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }, 'method not allowed\n');
    const head = method === 'HEAD';
    let relative: string;
    try {
      relative = decodeURIComponent(url.pathname.slice('/console/'.length));
    } catch {
      return send(res, 400, { 'content-type': 'text/plain; charset=utf-8' }, 'bad path\n', head);
    }
    if (relative.includes('\0')) return send(res, 400, { 'content-type': 'text/plain; charset=utf-8' }, 'bad path\n', head);
    const index = await fileAt('index.html');
    if (!index) {
      return send(res, 503, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }, 'The console is not built: run `npm run console:build` (npm start builds it when console/dist is missing).\n', head);
    }
    const file = relative ? await fileAt(relative) : undefined;
    // Built assets are content-hashed: a missing one is a 404, never the page in its place.
    if (!file && relative.startsWith('assets/')) return send(res, 404, { 'content-type': 'text/plain; charset=utf-8' }, 'not found\n', head);
    const path = file ?? index;
    const body = await readFile(path);
    const hashed = path.startsWith(join(root, 'assets') + sep);
    return send(
      res,
      200,
      {
        'content-type': TYPES[extname(path)] ?? 'application/octet-stream',
        'content-length': String(body.length),
        'cache-control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
      },
      body,
      head,
    );
  };
}

/**
 * The web console's first load: the console built (vite, console/vite.config.ts) and the
 * JavaScript its index.html loads before anything else (the entry script and every
 * modulepreload), each file gzipped (level 9, as a CDN would serve it) and summed, against
 * the goal. Pages load later, on demand, as chunks of their own.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** The goal: at most this much gzipped JavaScript before the console can show anything. */
export const CONSOLE_FIRST_LOAD_GOAL_BYTES = 200 * 1024;

const consoleDir = fileURLToPath(new URL('../../console/', import.meta.url));

export interface ConsoleBundleResult {
  buildMs: number;
  /** The JavaScript index.html loads: its module script and its modulepreloads. */
  firstLoad: Array<{ file: string; how: 'script' | 'modulepreload'; bytes: number; gzipBytes: number }>;
  firstLoadBytes: number;
  firstLoadGzipBytes: number;
  /** Every JavaScript file of the build (pages included), for comparison. */
  allJs: { files: number; bytes: number; gzipBytes: number };
  css: { bytes: number; gzipBytes: number };
  goalBytes: number;
  met: boolean;
}

const gz = (data: Buffer) => gzipSync(data, { level: 9 }).length;

/** Builds the console and measures its first-load JavaScript. */
export async function measureConsoleBundle(): Promise<ConsoleBundleResult> {
  const started = performance.now();
  const { build } = await import('vite');
  await build({ configFile: join(consoleDir, 'vite.config.ts'), logLevel: 'warn' });
  const buildMs = performance.now() - started;
  const dist = join(consoleDir, 'dist');
  const html = await readFile(join(dist, 'index.html'), 'utf8');
  const local = (url: string) => join(dist, url.replace(/^\/console\//, ''));
  const wanted: Array<{ url: string; how: 'script' | 'modulepreload' }> = [];
  for (const tag of html.match(/<script\b[^>]*>/g) ?? []) {
    const src = /\bsrc="([^"]+)"/.exec(tag)?.[1];
    if (src && /type="module"/.test(tag)) wanted.push({ url: src, how: 'script' });
  }
  for (const tag of html.match(/<link\b[^>]*>/g) ?? []) {
    const href = /\bhref="([^"]+)"/.exec(tag)?.[1];
    if (href && /rel="modulepreload"/.test(tag)) wanted.push({ url: href, how: 'modulepreload' });
  }
  const firstLoad = await Promise.all(
    wanted.map(async ({ url, how }) => {
      const data = await readFile(local(url));
      return { file: url, how, bytes: data.length, gzipBytes: gz(data) };
    }),
  );
  const assets = join(dist, 'assets');
  const all = { files: 0, bytes: 0, gzipBytes: 0 };
  const css = { bytes: 0, gzipBytes: 0 };
  for (const name of await readdir(assets)) {
    const data = await readFile(join(assets, name));
    if (name.endsWith('.js')) {
      all.files++;
      all.bytes += data.length;
      all.gzipBytes += gz(data);
    } else if (name.endsWith('.css')) {
      css.bytes += data.length;
      css.gzipBytes += gz(data);
    }
  }
  const firstLoadGzipBytes = firstLoad.reduce((n, f) => n + f.gzipBytes, 0);
  return {
    buildMs,
    firstLoad,
    firstLoadBytes: firstLoad.reduce((n, f) => n + f.bytes, 0),
    firstLoadGzipBytes,
    allJs: all,
    css,
    goalBytes: CONSOLE_FIRST_LOAD_GOAL_BYTES,
    met: firstLoadGzipBytes <= CONSOLE_FIRST_LOAD_GOAL_BYTES,
  };
}

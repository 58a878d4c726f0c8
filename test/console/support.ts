/**
 * The console tests' shared pieces: the console built once (when console/dist is missing or
 * older than its sources), one headless Chromium per test file (Debian's package, driven by
 * playwright-core), every console error and every request outside the origin recorded, an
 * axe-core check, and screenshots under .palette/screenshots/.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';

export const CHROMIUM = '/usr/bin/chromium';
const repo = fileURLToPath(new URL('../../', import.meta.url));
const dist = join(repo, 'console/dist/index.html');
export const SCREENSHOTS = join(repo, '.palette/screenshots');
export const DOCS = join(repo, 'docs');

function newestSource(): number {
  let newest = 0;
  const visit = (path: string) => {
    const s = statSync(path);
    if (s.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
    else newest = Math.max(newest, s.mtimeMs);
  };
  for (const path of ['console/src', 'console/public', 'console/index.html', 'console/vite.config.ts', 'client/index.ts', 'client/operations.ts', 'client/api-types.ts']) visit(join(repo, path));
  return newest;
}

/** Builds the console unless an up-to-date build is there; test files running at once take turns (a lock directory). */
export async function ensureConsoleBuilt(): Promise<void> {
  const fresh = () => existsSync(dist) && statSync(dist).mtimeMs >= newestSource();
  if (fresh()) return;
  await mkdir(join(repo, '.palette'), { recursive: true });
  const lock = join(repo, '.palette/console-build.lock');
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch {
      // A lock older than two minutes is left from a killed run.
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 120_000) await rmdir(lock).catch(() => undefined);
      if (Date.now() > deadline) throw new Error('timed out waiting for another test file to build the console');
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    if (!fresh()) {
      const { build } = await import('vite');
      await build({ configFile: join(repo, 'console/vite.config.ts'), logLevel: 'warn' });
    }
  } finally {
    await rmdir(lock).catch(() => undefined);
  }
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Console errors, page errors and failed requests since the last `takeProblems()`. */
  takeProblems(): string[];
  /** Requests to anywhere but the runtime's origin (all of them, for the whole file). */
  outside: string[];
  /** Console messages matching these are expected in the current test (a refusal the test provokes). */
  allow(pattern: RegExp): void;
  close(): Promise<void>;
}

export async function launchBrowser(origin: string): Promise<Browser> {
  expect(existsSync(CHROMIUM), `${CHROMIUM} (Debian's chromium package, which .ci/run installs)`).toBe(true);
  const userDataDir = await mkdtemp(join(tmpdir(), 'palette-console-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  let problems: string[] = [];
  let allowed: RegExp[] = [];
  const outside: string[] = [];
  page.on('console', (message) => {
    if (message.type() !== 'error' && message.type() !== 'warning') return;
    const text = `console ${message.type()}: ${message.text()}`;
    if (message.type() === 'warning' && !/Content Security Policy|Refused/i.test(text)) return;
    if (!allowed.some((a) => a.test(text))) problems.push(text);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => {
    // A download's blob: URL and polls cut short by a navigation are not failures of the console.
    const failure = request.failure()?.errorText ?? '';
    if (request.url().startsWith('blob:') || /ERR_ABORTED/.test(failure)) return;
    problems.push(`failed request: ${request.url()} ${failure}`);
  });
  page.on('request', (request) => {
    const url = request.url();
    if (url.startsWith(`${origin}/`) || url.startsWith(`blob:${origin}/`) || url.startsWith('data:')) return;
    outside.push(url);
  });
  return {
    context,
    page,
    outside,
    takeProblems: () => {
      const taken = problems;
      problems = [];
      allowed = [];
      return taken;
    },
    allow: (pattern) => allowed.push(pattern),
    close: async () => {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Signs in on the sign-in page with an API key; resolves once the shell shows. */
export async function signIn(page: Page, origin: string, key: string) {
  await page.goto(`${origin}/console/`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('header.top .mode').waitFor();
}

export async function signOut(page: Page) {
  await openUserMenu(page);
  await page.getByRole('menuitem', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in to Palette' }).waitFor();
}

export async function openUserMenu(page: Page) {
  await page.locator('.user-menu sl-button').click();
  await page.getByRole('menu').waitFor();
}

/** Waits until the page and its lists have loaded (each paged-table says so; no "Loading…" left). */
export async function settled(page: Page) {
  await page.locator('main h1').first().waitFor();
  await expect
    .poll(async () => (await page.locator('paged-table:not([data-state=ready]):not([data-state=error])').count()) + (await page.getByText('Loading…').count()), { timeout: 10_000 })
    .toBe(0);
  // What the page loads beside its lists (a quota, a usage summary) lands within a moment.
  await page.waitForTimeout(250);
}

/** The mode badge in the header. */
export const modeOf = (page: Page) => page.locator('header.top .mode').textContent();

let axeSource: string | undefined;

/**
 * axe-core over the page as it is: the serious and critical violations (none expected).
 * The script goes in through the DevTools protocol (page.evaluate): the console's CSP
 * (script-src 'self') refuses an inline <script>, which is what addScriptTag would add.
 */
export async function axeViolations(page: Page): Promise<string[]> {
  axeSource ??= await readFile(join(repo, 'node_modules/axe-core/axe.min.js'), 'utf8');
  if (!(await page.evaluate("typeof axe === 'object'"))) await page.evaluate(axeSource);
  const result = (await page.evaluate("axe.run(document, { resultTypes: ['violations'] })")) as { violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[]; failureSummary?: string }> }> };
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id} (${v.help}): ${v.nodes.slice(0, 3).map((n) => `${JSON.stringify(n.target)} ${n.failureSummary ?? ''}`).join(' | ')}`);
}

/** Saves a screenshot under .palette/screenshots/ (and, with `docs`, a copy under docs/). */
export async function screenshot(page: Page, name: string, docs?: string) {
  await mkdir(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  if (docs) await copyFile(path, join(DOCS, docs));
  return path;
}

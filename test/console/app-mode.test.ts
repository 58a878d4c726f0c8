/**
 * The web console in App Mode, in headless Chromium against the local runtime: served
 * with its security headers, signed in with the admin key, switched to App Mode from the
 * user menu (kept over a reload), a virtual cluster created and watched to Running with
 * the quota meter moving, a two-tier app made in the tiers editor (its refusals shown at
 * their fields) deployed to both tiers Ready and upgraded with one click, a webhook's
 * secret shown once, pause and resume; every page checked with axe-core at 1280 and
 * 390 px, screenshots taken, and no console error or request outside the origin.
 */
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/local-api.ts';
import { axeViolations, ensureConsoleBuilt, launchBrowser, modeOf, openUserMenu, screenshot, settled, signIn, type Browser } from './support.ts';

let rt: TestRuntime;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  await ensureConsoleBuilt();
  rt = await startTestRuntime({ simSpeed: 50 });
  browser = await launchBrowser(rt.url);
  page = browser.page;
}, 120_000);
afterEach(() => {
  expect(browser.takeProblems()).toEqual([]);
});
afterAll(async () => {
  await browser?.close();
  await rt?.stop();
});

const vcRow = (name: string) => page.locator('paged-table tr[data-key]', { hasText: name });

describe('the console at /console/', () => {
  it('is served with a strict Content-Security-Policy, nosniff and no referrer; /console redirects and routes fall back to index.html', async () => {
    const redirect = await fetch(`${rt.url}/console`, { redirect: 'manual' });
    expect(redirect.status).toBe(308);
    expect(redirect.headers.get('location')).toBe('/console/');
    const index = await fetch(`${rt.url}/console/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = index.headers.get('content-security-policy')!;
    for (const directive of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"]) expect(csp).toContain(directive);
    expect(csp).not.toContain('unsafe');
    expect(index.headers.get('x-content-type-options')).toBe('nosniff');
    expect(index.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await index.text();
    const deep = await fetch(`${rt.url}/console/cluster/clusters/cl_123`);
    expect(deep.status).toBe(200);
    expect(await deep.text()).toBe(html);
    const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)![1]!;
    const asset = await fetch(`${rt.url}${script}`);
    expect(asset.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${rt.url}/console/assets/missing.js`)).status).toBe(404);
    const escape = await fetch(`${rt.url}/console/..%2f..%2fpackage.json`);
    expect(await escape.text()).not.toContain('"devDependencies"');
    expect((await fetch(`${rt.url}/console/`, { method: 'POST' })).status).toBe(405);
  }, 90_000);
});

describe('signing in and the mode switch', () => {
  it('signs in with the admin key, kept in sessionStorage only, and starts in Cluster Mode', async () => {
    await signIn(page, rt.url, rt.seeded.adminKey!);
    expect(await modeOf(page)).toBe('Cluster Mode');
    expect(page.url()).toBe(`${rt.url}/console/cluster/clusters`);
    expect(page.url()).not.toContain(rt.seeded.adminKey!);
    expect(await page.evaluate(() => Object.values(sessionStorage))).toContain(rt.seeded.adminKey);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
  }, 90_000);

  it('switches to App Mode from the user menu, which then offers Cluster Mode, and a reload keeps App Mode', async () => {
    await openUserMenu(page);
    await page.getByRole('menuitem', { name: 'Switch to App Mode' }).click();
    await expect.poll(() => modeOf(page)).toBe('App Mode');
    expect((await rt.admin.get('/v1/me/preferences')).body).toEqual({ mode: 'app' });
    await openUserMenu(page);
    await expect.poll(() => page.getByRole('menuitem', { name: 'Switch to Cluster Mode' }).isVisible()).toBe(true);
    expect(await page.getByRole('menuitem', { name: 'Switch to App Mode' }).count()).toBe(0);
    await page.keyboard.press('Escape');
    await page.reload();
    await page.locator('header.top .mode').waitFor();
    expect(await modeOf(page)).toBe('App Mode');
    await page.goto(`${rt.url}/console/`);
    await page.locator('header.top .mode').waitFor();
    expect(await modeOf(page)).toBe('App Mode');
    expect(page.url()).toBe(`${rt.url}/console/app/virtual-clusters`);
  }, 90_000);
});

describe('App Mode', () => {
  it('creates a virtual cluster from a size preset, watches it reach Running, sees the quota meters move and downloads its kubeconfig', async () => {
    await settled(page);
    const clusters = page.locator('[data-meter=virtualClusters] .meter-value');
    await expect.poll(() => clusters.textContent()).toBe('0 of 2');
    await page.getByRole('button', { name: 'Create virtual cluster' }).click();
    const dialog = page.locator('sl-dialog.vc-dialog');
    await dialog.getByLabel('Name', { exact: true }).fill('dev-1');
    await dialog.getByRole('radio', { name: /^Medium/ }).click();
    await dialog.getByRole('button', { name: 'Create' }).click();
    await expect.poll(() => vcRow('dev-1').count()).toBe(1);
    await expect.poll(() => vcRow('dev-1').locator('[data-phase]').first().getAttribute('data-phase'), { timeout: 30_000 }).toBe('Running');
    await expect.poll(() => clusters.textContent()).toBe('1 of 2');
    expect(await page.locator('[data-meter=cpu] .meter-value').textContent()).toBe('4 of 12');
    expect(await page.locator('[data-meter=memoryMiB] .meter-value').textContent()).toBe('8 GiB of 16 GiB');
    const [download] = await Promise.all([page.waitForEvent('download'), vcRow('dev-1').getByRole('button', { name: 'Kubeconfig' }).click()]);
    expect(download.suggestedFilename()).toBe('dev-1.kubeconfig.yaml');
    expect(await readFile((await download.path())!, 'utf8')).toMatch(/^apiVersion: v1/m);
  }, 90_000);

  it('shows the API\'s messages at the fields of the tiers editor, then deploys a two-tier app to both tiers Ready and upgrades it with one click', async () => {
    await page.getByRole('link', { name: 'App profiles' }).click();
    await settled(page);
    await page.getByRole('button', { name: 'Create app profile' }).click();
    const dialog = page.locator('sl-dialog.profile-dialog');
    const tierField = (tier: number, field: string) => dialog.locator(`[data-tier="${tier}"][data-field="${field}"]`);
    await dialog.getByLabel('Name', { exact: true }).fill('shop');
    await dialog.getByLabel('Version', { exact: true }).fill('v1');
    await tierField(0, 'version').locator('input').fill('16');
    await tierField(1, 'image').locator('input').fill('nginx:1.27');
    await tierField(1, 'port').locator('input').fill('8080');
    await tierField(1, 'env').locator('textarea').fill('DB_HOST={{tiers.db.HOST}}\nDB_PASSWORD={{tiers.cache.PASSWORD}}');
    browser.allow(/status of 400/);
    await dialog.getByRole('button', { name: 'Create version' }).click();
    await expect.poll(() => dialog.locator('sl-input[name=version]').getAttribute('class')).toContain('invalid');
    expect(await dialog.locator('error-banner').textContent()).toContain('body.version');
    await dialog.getByLabel('Version', { exact: true }).fill('1.0.0');
    await dialog.getByRole('button', { name: 'Create version' }).click();
    await expect.poll(() => tierField(1, 'env').getAttribute('class')).toContain('invalid');
    expect(await tierField(1, 'env').getAttribute('help-text')).toContain('DB_PASSWORD');
    await tierField(1, 'env').locator('textarea').fill('DB_HOST={{tiers.db.HOST}}\nDB_PASSWORD={{tiers.db.PASSWORD}}');
    await dialog.getByRole('button', { name: 'Create version' }).click();
    await expect.poll(() => page.locator('paged-table tr', { hasText: 'shop' }).count()).toBe(1);
    const v1 = (await rt.admin.get('/v1/projects/default/appprofiles?name=shop')).body.items[0];
    expect(v1.tiers.map((t: { name: string; type: string }) => `${t.name}:${t.type}`)).toEqual(['db:database', 'web:container']);
    const v2 = await rt.admin.post('/v1/projects/default/appprofiles', { name: 'shop', version: '1.1.0', tiers: [v1.tiers[0], { ...v1.tiers[1], image: 'nginx:1.28' }] });
    expect(v2.status, v2.text).toBe(201);

    await page.getByRole('link', { name: 'Apps' }).click();
    await settled(page);
    await page.getByRole('button', { name: 'Deploy app' }).click();
    const deploy = page.locator('form-dialog sl-dialog');
    await deploy.getByLabel('Name', { exact: true }).fill('shop');
    await deploy.getByRole('combobox', { name: 'App profile' }).click();
    await page.getByRole('option', { name: 'shop 1.0.0' }).click();
    await deploy.getByRole('combobox', { name: 'Virtual cluster' }).click();
    await page.getByRole('option', { name: /dev-1/ }).click();
    await deploy.getByRole('button', { name: 'Deploy' }).click();
    const app = page.locator('paged-table.apps tr[data-key]', { hasText: 'shop' });
    await expect.poll(() => app.count()).toBe(1);
    const tiers = () => app.locator('[data-tier] [data-phase]').evaluateAll((els) => els.map((e) => e.textContent));
    await expect.poll(tiers, { timeout: 30_000 }).toEqual(['db: Ready', 'web: Ready']);
    await expect.poll(() => app.locator('td[data-label=Status] > [data-phase]').textContent()).toBe('Deployed');
    await expect.poll(() => app.locator('.update-available').textContent()).toContain('Update available: 1.1.0');
    await app.getByRole('button', { name: 'Upgrade to 1.1.0' }).click();
    await expect.poll(() => app.textContent(), { timeout: 30_000 }).toContain('Up to date');
    await expect.poll(() => app.textContent(), { timeout: 30_000 }).toContain('revision 2');
    await expect.poll(tiers, { timeout: 30_000 }).toEqual(['db: Ready', 'web: Ready']);
    expect(await app.locator('td[data-label=Profile]').textContent()).toBe('shop 1.1.0');
  }, 90_000);

  it('shows a new webhook\'s URL and secret once', async () => {
    const app = page.locator('paged-table.apps tr[data-key]', { hasText: 'shop' });
    await app.getByRole('button', { name: 'Add webhook' }).click();
    const created = page.locator('sl-dialog.webhook-created');
    await created.locator('sl-input[name=webhook-secret]').waitFor();
    const secret = await created.locator('sl-input[name=webhook-secret]').evaluate((el) => (el as unknown as { value: string }).value);
    const url = await created.locator('sl-input[name=webhook-url]').evaluate((el) => (el as unknown as { value: string }).value);
    expect(secret.length).toBeGreaterThan(20);
    expect(url).toMatch(/\/v1\/hooks\/wh_/);
    await created.getByRole('button', { name: 'Done' }).click();
    await expect.poll(() => page.locator('paged-table.webhooks').textContent()).toContain(url);
    await expect.poll(() => page.locator('sl-dialog.webhook-created sl-input').count()).toBe(0);
    expect(await page.content()).not.toContain(secret);
  }, 90_000);

  it('pauses and resumes a virtual cluster', async () => {
    await page.getByRole('link', { name: 'Virtual clusters' }).click();
    await settled(page);
    const phase = () => vcRow('dev-1').locator('[data-phase]').first().getAttribute('data-phase');
    await vcRow('dev-1').getByRole('button', { name: 'Pause' }).click();
    await expect.poll(phase, { timeout: 30_000 }).toBe('Paused');
    // A paused cluster still counts against the quota.
    expect(await page.locator('[data-meter=virtualClusters] .meter-value').textContent()).toBe('1 of 2');
    await vcRow('dev-1').getByRole('button', { name: 'Resume' }).click();
    await expect.poll(phase, { timeout: 30_000 }).toBe('Running');
  }, 90_000);

  it('passes axe-core (no serious or critical violation) on every App Mode page at 1280 and 390 px, and is screenshotted', async () => {
    for (const path of ['app/virtual-clusters', 'app/apps', 'app/app-profiles']) {
      await page.goto(`${rt.url}/console/${path}`);
      await settled(page);
      expect(await axeViolations(page), path).toEqual([]);
      await screenshot(page, `console-${path.replace('/', '-')}-1280`);
    }
    await page.goto(`${rt.url}/console/app/virtual-clusters`);
    await settled(page);
    await page.getByRole('button', { name: 'Create virtual cluster' }).click();
    await page.locator('sl-dialog.vc-dialog[open]').waitFor();
    await page.waitForTimeout(300);
    expect(await axeViolations(page), 'create dialog').toEqual([]);
    await page.keyboard.press('Escape');
    await page.reload();
    await settled(page);
    await screenshot(page, 'console-app-1280', 'console-app-mode.png');
    await page.setViewportSize({ width: 390, height: 844 });
    for (const path of ['app/apps', 'app/virtual-clusters']) {
      await page.goto(`${rt.url}/console/${path}`);
      await settled(page);
      expect(await axeViolations(page), `${path} at 390 px`).toEqual([]);
    }
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await screenshot(page, 'console-app-390');
    await page.setViewportSize({ width: 1280, height: 900 });
  }, 90_000);

  it('made no request outside its origin', () => {
    expect(browser.outside).toEqual([]);
  }, 90_000);
});

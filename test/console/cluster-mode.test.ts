/**
 * The web console in Cluster Mode, in headless Chromium against the local runtime: a sim
 * cloud account added and validated, a cluster profile made with its layers, a host
 * cluster created in the wizard (instance types from the API) and its operation's steps
 * watched as they run to Running; a project viewer shown no create button; every Cluster
 * Mode page checked with axe-core, screenshots at 1280 and 390 px, and no console error
 * or request outside the origin.
 */
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/local-api.ts';
import { axeViolations, ensureConsoleBuilt, launchBrowser, modeOf, screenshot, settled, signIn, signOut, type Browser } from './support.ts';

let rt: TestRuntime;
let browser: Browser;
let page: Page;
let clusterUrl: string;

beforeAll(async () => {
  await ensureConsoleBuilt();
  rt = await startTestRuntime({ simSpeed: 50 });
  browser = await launchBrowser(rt.url);
  page = browser.page;
  await signIn(page, rt.url, rt.seeded.adminKey!);
}, 120_000);
afterEach(() => {
  expect(browser.takeProblems()).toEqual([]);
});
afterAll(async () => {
  await browser?.close();
  await rt?.stop();
});

const row = (text: string) => page.locator('paged-table tr[data-key]', { hasText: text });

describe('Cluster Mode', () => {
  it('starts in Cluster Mode for a tenant admin, adds a sim cloud account and validates it', async () => {
    expect(await modeOf(page)).toBe('Cluster Mode');
    await page.getByRole('link', { name: 'Cloud accounts' }).click();
    await settled(page);
    await page.getByRole('button', { name: 'Add cloud account' }).click();
    const dialog = page.locator('form-dialog sl-dialog');
    await dialog.getByLabel('Name', { exact: true }).fill('sim-slow');
    await dialog.getByLabel('Provisioning time (seconds)').fill('150');
    await dialog.getByRole('button', { name: 'Add' }).click();
    await expect.poll(() => row('sim-slow').count()).toBe(1);
    expect(await row('sim-slow').textContent()).toContain('provisions in 150 s');
    await row('sim-slow').getByRole('button', { name: 'Validate' }).click();
    await expect.poll(() => row('sim-slow').locator('.validation').textContent()).toContain('Valid');
  }, 90_000);

  it('creates a cluster profile version with its layers', async () => {
    await page.getByRole('link', { name: 'Cluster profiles' }).click();
    await settled(page);
    await page.getByRole('button', { name: 'Create cluster profile' }).click();
    const dialog = page.locator('sl-dialog.profile-dialog');
    await dialog.getByLabel('Name', { exact: true }).fill('sim-base');
    await dialog.getByRole('button', { name: 'Create version' }).click();
    await expect.poll(() => row('sim-base').count()).toBe(1);
    expect(await row('sim-base').textContent()).toContain('k8s: kubernetes 1.31');
  }, 90_000);

  it('creates a sim host cluster in the wizard and shows its operation\'s steps as they run, to Running', async () => {
    await page.getByRole('link', { name: 'Clusters' }).click();
    await settled(page);
    // It navigates, so it is a link that looks like a button.
    await page.getByRole('link', { name: 'Create cluster' }).click();
    await page.getByRole('heading', { name: 'Create a cluster' }).waitFor();
    await page.getByLabel('Cluster name').fill('host-1');
    await page.getByRole('combobox', { name: 'Cloud account' }).click();
    await page.getByRole('option', { name: 'sim-slow (sim)' }).click();
    expect(await page.getByLabel('Region').inputValue()).toBe('sim-local-1');
    await page.getByRole('button', { name: 'Next' }).click();
    await expect.poll(() => page.getByRole('combobox', { name: 'Profile' }).inputValue()).toContain('sim-base 1.0.0');
    await page.getByRole('button', { name: 'Next' }).click();
    // The node pool's instance types come from GET /v1/instancetypes?provider=sim.
    await expect.poll(() => page.getByRole('combobox', { name: 'Instance type' }).inputValue()).toMatch(/sim\.\w+: \d+ CPU/);
    await page.getByRole('button', { name: 'Next' }).click();
    expect(await page.locator('dl.review').textContent()).toContain('workers: 2 ×');
    await page.getByRole('button', { name: 'Create cluster' }).click();
    await page.getByRole('heading', { name: 'host-1' }).waitFor();
    clusterUrl = page.url();
    expect(clusterUrl).toMatch(/\/console\/cluster\/clusters\/cl_/);

    // Watch the steps: some done while others wait, then all done and the cluster Running.
    const snapshots: string[][] = [];
    const steps = page.locator('ol.steps li');
    const deadline = Date.now() + 40_000;
    for (;;) {
      const statuses = await steps.evaluateAll((els) => els.map((e) => e.getAttribute('data-status') ?? ''));
      if (statuses.length) snapshots.push(statuses);
      const phase = await page.locator('.cluster-phase [data-phase]').getAttribute('data-phase');
      if (phase === 'Running' && statuses.length && statuses.every((s) => s === 'Succeeded' || s === 'Skipped')) break;
      if (Date.now() > deadline) throw new Error(`cluster not Running: ${phase}, steps ${JSON.stringify(snapshots.at(-1))}`);
      await page.waitForTimeout(100);
    }
    expect(snapshots.some((s) => s.includes('Succeeded') && s.some((x) => x === 'Pending' || x === 'Running')), JSON.stringify(snapshots)).toBe(true);
    expect(new Set(snapshots.map((s) => s.filter((x) => x === 'Succeeded').length)).size).toBeGreaterThanOrEqual(2);
    expect(await page.locator('operation-progress .op-status').textContent()).toMatch(/^Done: (\d+) of \1 steps$/);
    expect(await page.locator('operation-progress progress').evaluate((p) => (p as unknown as { value: number }).value)).toBe(100);
    expect(await page.locator('td[data-label=Nodes]').first().textContent()).toContain('2');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download kubeconfig' }).click()]);
    expect(await readFile((await download.path())!, 'utf8')).toMatch(/^apiVersion: v1/m);
    await expect.poll(() => page.locator('paged-table').textContent()).toContain('cluster.create');
  }, 90_000);

  it('shows a project viewer no create button (the API would refuse them anyway)', async () => {
    const user = await rt.admin.post('/v1/users', { email: 'viewer@example.com', name: 'Vera Viewer', role: 'tenant.member' });
    const key = await rt.admin.post(`/v1/users/${user.body.id}/apikeys`, { name: 'console' });
    expect((await rt.admin.put(`/v1/projects/default/members/${user.body.id}`, { role: 'project.viewer' })).status).toBe(200);
    await signOut(page);
    await signIn(page, rt.url, key.body.key);
    expect(await modeOf(page)).toBe('App Mode');
    const pages: Array<[string, string]> = [
      ['app/virtual-clusters', 'Create virtual cluster'],
      ['app/apps', 'Deploy app'],
      ['app/app-profiles', 'Create app profile'],
      ['cluster/clusters', 'Create cluster'],
      ['cluster/cloud-accounts', 'Add cloud account'],
      ['cluster/cluster-profiles', 'Create cluster profile'],
      ['cluster/workspaces', 'Create workspace'],
    ];
    for (const [path, button] of pages) {
      await page.goto(`${rt.url}/console/${path}`);
      await settled(page);
      expect(await page.getByRole('button', { name: button }).count(), path).toBe(0);
      expect(await page.getByRole('link', { name: button }).count(), path).toBe(0);
    }
    // The viewer sees the cluster made above, read only.
    await page.goto(clusterUrl);
    await page.getByRole('heading', { name: 'host-1' }).waitFor();
    for (const button of ['Delete', 'Scale', 'Download kubeconfig']) expect(await page.getByRole('button', { name: button }).count(), button).toBe(0);
    expect(await page.getByRole('link', { name: 'Audit log' }).count()).toBe(0);
    await signOut(page);
    await signIn(page, rt.url, rt.seeded.adminKey!);
  }, 90_000);

  it('passes axe-core (no serious or critical violation) on every Cluster Mode page, and is screenshotted at 1280 and 390 px', async () => {
    const paths = ['cluster/clusters', 'cluster/clusters/new', 'cluster/cluster-profiles', 'cluster/cloud-accounts', 'cluster/cluster-groups', 'cluster/workspaces', 'cluster/projects', 'cluster/members', 'cluster/registries', 'cluster/usage', 'cluster/reports', 'cluster/audit'];
    for (const path of paths) {
      await page.goto(`${rt.url}/console/${path}`);
      await settled(page);
      expect(await axeViolations(page), path).toEqual([]);
    }
    await page.goto(clusterUrl);
    await page.getByRole('heading', { name: 'host-1' }).waitFor();
    await settled(page);
    expect(await axeViolations(page), 'cluster page').toEqual([]);
    await screenshot(page, 'console-cluster-1280', 'console-cluster-mode.png');
    await page.goto(`${rt.url}/console/cluster/clusters`);
    await settled(page);
    await screenshot(page, 'console-cluster-list-1280');
    await page.setViewportSize({ width: 390, height: 844 });
    for (const path of ['cluster/clusters', 'cluster/cluster-groups']) {
      await page.goto(`${rt.url}/console/${path}`);
      await settled(page);
      expect(await axeViolations(page), `${path} at 390 px`).toEqual([]);
      const wide = await page.locator('main *').evaluateAll((els) =>
        els.filter((e) => e.getBoundingClientRect().right > 391).slice(0, 5).map((e) => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`),
      );
      expect(await page.evaluate('document.documentElement.scrollWidth'), `${path}: ${wide.join(', ')}`).toBeLessThanOrEqual(390);
    }
    await page.goto(clusterUrl);
    await page.getByRole('heading', { name: 'host-1' }).waitFor();
    await settled(page);
    await screenshot(page, 'console-cluster-390');
    await page.setViewportSize({ width: 1280, height: 900 });
  }, 90_000);

  it('made no request outside its origin', () => {
    expect(browser.outside).toEqual([]);
  }, 90_000);
});

import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardCommand } from '../../../cli/commands/dashboard.js';
import type { LoadedConfig } from '../../../core/config.js';
import type { CutoverReport } from '../../../serve/dashboard/cutover-report.js';
import { buildServer, openServeDeps, type OpenedServeDeps } from '../../../serve/server.js';
import { demoClients } from '../../../shadow/demo/dual-run-demo.js';
import { makeTempDir, REPO_ROOT, runCli } from '../../helpers/cli.js';
import { ADMIN_KEY, workspaceWithKeys } from './factories.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = join(REPO_ROOT, 'test-artifacts', 'dashboard.png');
const hasChromium = existsSync(CHROMIUM);

/**
 * The dashboard as people use it: Debian's Chromium opens the page `bosco serve` would serve for a demo workspace,
 * reads the stages, signs in with an admin key and rolls a client back.
 */
describe.skipIf(!hasChromium)(hasChromium ? 'the cutover dashboard in a real browser' : `the cutover dashboard in a real browser (skipped: ${CHROMIUM} is missing; apt-get install -y chromium)`, () => {
  const dir = makeTempDir('bosco-dashboard-');
  let loaded: LoadedConfig;
  let staticReport: CutoverReport;
  let opened: OpenedServeDeps | undefined;
  let app: FastifyInstance | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let base: string;
  const problems: string[] = [];

  const row = (clientId: string) => page.locator(`#clients tr[data-client="${clientId}"]`);
  const tile = (stage: string) => page.locator(`[data-stage-count="${stage}"] .n`);

  beforeAll(async () => {
    loaded = await workspaceWithKeys(dir.path, { clients: demoClients() });
    const demo = await runCli(['demo', '--days', '3'], { cwd: dir.path, timeoutMs: 100_000 });
    expect(demo.code, demo.stderr).toBe(0);
    // The static file, written while the workspace is free (the server holds it from here on).
    let json = '';
    await dashboardCommand({ config: loaded.file, out: join(dir.path, 'cutover.html'), format: 'json', write: (text) => (json += text) });
    staticReport = JSON.parse(json) as CutoverReport;

    opened = await openServeDeps(loaded);
    app = await buildServer(opened.deps);
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    // A blocked inline script or style (CSP) or a script error shows up here.
    page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(`${base}/dashboard`);
  }, 150_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await opened?.close();
    dir.cleanup();
  });

  it('shows the stage counts and a client’s row, with the same numbers as the CLI', async () => {
    expect(await tile('shadow').textContent()).toBe('20');
    expect(await tile('legacy').textContent()).toBe('0');
    const kestrel = row('kestrel-home');
    expect(await kestrel.locator('[data-field="stage"]').textContent()).toBe('shadow');
    expect(await kestrel.locator('[data-field="gate"]').textContent()).toMatch(/^Closed to live/);
    expect(await kestrel.locator('[data-field="last-reconcile"]').textContent()).toMatch(/differ.*spend ✗/);
    // The gate's own count: none of the demo's 3 days is final yet (Meta and TikTok restate 7 days).
    expect(await kestrel.locator('[data-field="clean-streak"]').textContent()).toBe('0 of 7 final days3 pending');
    const served = (await (await fetch(`${base}/v1/cutover`)).json()) as CutoverReport;
    expect(served.stage_counts).toEqual(staticReport.stage_counts);
    expect(served.trend).toEqual(staticReport.trend);
    expect(served.clients.map((c) => [c.client_id, c.stage, c.clean_streak, c.gate?.open])).toEqual(staticReport.clients.map((c) => [c.client_id, c.stage, c.clean_streak, c.gate?.open]));
    // Support controls stay hidden until someone signs in.
    expect(await row('acme-retail').locator('form.act').isVisible()).toBe(false);
  });

  it('turns a key that is not an admin’s away', async () => {
    await page.fill('#login input[name="key"]', 'bosco_sk_not-a-key');
    await page.click('#login button');
    await expect.poll(() => page.locator('#support-message').textContent()).toBe('That key is not an admin key.');
    expect(await row('acme-retail').locator('form.act').isVisible()).toBe(false);
    // The browser logs the refused whoami; nothing else may have gone wrong.
    expect(problems.splice(0)).toEqual([expect.stringMatching(/status of 401/)]);
  });

  it('signs in with an admin key and rolls a client back with a reason; the stage and the timeline change', async () => {
    await page.fill('#login input[name="key"]', ADMIN_KEY);
    await page.click('#login button');
    await expect.poll(() => page.locator('#signed-in-as').textContent()).toBe('ops-alice');
    expect(await page.locator('#login').isVisible()).toBe(false);
    const acme = row('acme-retail');
    await acme.locator('input[name="reason"]').fill('legacy numbers needed for the quarterly close');
    await Promise.all([page.waitForEvent('load'), acme.locator('button[value="rollback"]').click()]);

    expect(await row('acme-retail').locator('[data-field="stage"]').textContent()).toBe('legacy');
    expect([await tile('legacy').textContent(), await tile('shadow').textContent()]).toEqual(['1', '19']);
    const latest = page.locator('#timeline li').first();
    expect(await latest.getAttribute('data-client')).toBe('acme-retail');
    expect(await latest.textContent()).toMatch(/acme-retail rollback shadow → legacy by ops-alice — “legacy numbers needed for the quarterly close”/);
    expect(await page.locator('#support-message').textContent()).toMatch(/^acme-retail: shadow → legacy \(rollback\), recorded as fl-/);
    // Still signed in after the reload; the key went in a header, never into the URL or a cookie.
    await expect.poll(() => page.locator('#signed-in-as').textContent()).toBe('ops-alice');
    expect(page.url()).toBe(`${base}/dashboard`);
    expect(await page.context().cookies()).toEqual([]);

    mkdirSync(join(REPO_ROOT, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(problems).toEqual([]);
  });

  it('reads the static file without JavaScript', async () => {
    const context = await browser!.newContext({ javaScriptEnabled: false });
    try {
      const staticPage = await context.newPage();
      await staticPage.goto(`file://${join(dir.path, 'cutover.html')}`);
      expect(await staticPage.locator('[data-stage-count="shadow"] .n').textContent()).toBe('20');
      expect(await staticPage.locator('#trend svg').count()).toBe(2);
      expect(await staticPage.locator('#trend svg').first().isVisible()).toBe(true);
      expect(await staticPage.locator('form, button').count()).toBe(0);
    } finally {
      await context.close();
    }
  });
});

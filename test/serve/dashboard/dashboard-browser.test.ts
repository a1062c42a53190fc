import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardCommand } from '../../../cli/commands/dashboard.js';
import type { CutoverReport } from '../../../serve/dashboard/cutover-report.js';
import { demoClients } from '../../../shadow/demo/dual-run-demo.js';
import { makeTempDir, REPO_ROOT, runCli } from '../../helpers/cli.js';
import { ADMIN_KEY, CLIENT_KEY, workspaceWithKeys } from './factories.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = join(REPO_ROOT, 'test-artifacts', 'dashboard.png');
const hasChromium = existsSync(CHROMIUM);

/** `bosco serve --port 0` as a user starts it, in `cwd`; resolves with the child and the URL it prints once listening. */
async function startBoscoServe(cwd: string, timeoutMs: number): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/bosco.js'), 'serve', '--port', '0'], {
    cwd,
    env: { ...process.env, BOSCO_LOG_LEVEL: 'warn', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.on('data', (chunk) => (text += chunk));
  child.stderr!.on('data', (chunk) => (text += chunk));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const url = /bosco serve listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(text)?.[1];
    if (url) return { child, url, output: () => text };
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`bosco serve did not start (exit ${child.exitCode}):\n${text}`);
    }
    await sleep(100);
  }
}

/** Asks the server to stop as an operator would (SIGTERM), then kills it if it has not exited within `graceMs`. */
async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const stopped = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
  if (!stopped) {
    child.kill('SIGKILL');
    await Promise.race([exited, sleep(2000)]);
  }
}

/**
 * The dashboard as people use it: Debian's Chromium opens the page served by a real `bosco serve` child process on
 * a demo workspace, signs in through the browser's own HTTP Basic prompt with an admin key, reads the stages and
 * rolls a client back through the support view.
 */
describe.skipIf(!hasChromium)(hasChromium ? 'the cutover dashboard in a real browser' : `the cutover dashboard in a real browser (skipped: ${CHROMIUM} is missing; apt-get install -y chromium)`, () => {
  const dir = makeTempDir('bosco-dashboard-');
  let staticReport: CutoverReport;
  let server: { child: ChildProcess; url: string; output: () => string } | undefined;
  let browser: Browser | undefined;
  let admin: BrowserContext;
  let page: Page;
  let base: string;
  const problems: string[] = [];

  const row = (clientId: string) => page.locator(`#clients tr[data-client="${clientId}"]`);
  const tile = (stage: string) => page.locator(`[data-stage-count="${stage}"] .n`);

  beforeAll(async () => {
    const loaded = await workspaceWithKeys(dir.path, { clients: demoClients() });
    const demo = await runCli(['demo', '--days', '3'], { cwd: dir.path, timeoutMs: 100_000 });
    expect(demo.code, demo.stderr).toBe(0);
    // The static file, written while the workspace is free (the server holds it from here on).
    let json = '';
    await dashboardCommand({ config: loaded.file, out: join(dir.path, 'cutover.html'), format: 'json', write: (text) => (json += text) });
    staticReport = JSON.parse(json) as CutoverReport;

    server = await startBoscoServe(dir.path, 60_000);
    base = server.url;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    // What a person types into the browser's sign-in prompt: any user name, the admin key as the password.
    admin = await browser.newContext({ viewport: { width: 1400, height: 1000 }, httpCredentials: { username: 'leadership', password: ADMIN_KEY } });
    page = await admin.newPage();
    // A blocked inline script or style (CSP) or a script error shows up here.
    page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
    page.on('pageerror', (error) => problems.push(error.message));
    const response = await page.goto(`${base}/dashboard`);
    expect(response?.status()).toBe(200);
  }, 180_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    if (server) await stopChild(server.child, 10_000);
    dir.cleanup();
  }, 30_000);

  it('asks a browser without a key to sign in, and refuses a client key', async () => {
    const anonymous = await fetch(`${base}/dashboard`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Basic realm="bosco cutover", charset="UTF-8"');
    expect(await anonymous.text()).not.toContain('kestrel-home');
    expect((await fetch(`${base}/v1/cutover`)).status).toBe(401);
    // A browser given no key meets the Basic prompt (headless, nobody answers it) and shows nothing of the page.
    const nobody = await browser!.newContext();
    try {
      await expect((await nobody.newPage()).goto(`${base}/dashboard`)).rejects.toThrow(/ERR_INVALID_AUTH_CREDENTIALS/);
    } finally {
      await nobody.close();
    }
    const client = await browser!.newContext({ httpCredentials: { username: 'acme', password: CLIENT_KEY } });
    try {
      const response = await (await client.newPage()).goto(`${base}/dashboard`);
      expect(response!.status()).toBe(403);
      expect(await response!.text()).not.toContain('kestrel-home');
    } finally {
      await client.close();
    }
  });

  it('shows the stage counts and a client’s row, with the same numbers as the CLI', async () => {
    expect(await page.locator('#signed-in-as').textContent()).toBe('ops-alice');
    expect(await tile('shadow').textContent()).toBe('20');
    expect(await tile('legacy').textContent()).toBe('0');
    const kestrel = row('kestrel-home');
    expect(await kestrel.locator('[data-field="stage"]').textContent()).toBe('shadow');
    expect(await kestrel.locator('[data-field="gate"]').textContent()).toMatch(/^Closed to live/);
    expect(await kestrel.locator('[data-field="last-reconcile"]').textContent()).toMatch(/differ.*spend ✗/);
    // The gate's own count: none of the demo's 3 days is final yet (Meta and TikTok restate 7 days).
    expect(await kestrel.locator('[data-field="clean-streak"]').textContent()).toBe('0 of 7 final days3 pending');
    const served = (await (await fetch(`${base}/v1/cutover`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).json()) as CutoverReport;
    expect(served.stage_counts).toEqual(staticReport.stage_counts);
    expect(served.trend).toEqual(staticReport.trend);
    expect(served.clients.map((c) => [c.client_id, c.stage, c.clean_streak, c.gate?.open])).toEqual(staticReport.clients.map((c) => [c.client_id, c.stage, c.clean_streak, c.gate?.open]));
  });

  it('rolls a client back with a reason through the support view; the stage and the timeline change', async () => {
    const acme = row('acme-retail');
    await acme.locator('input[name="reason"]').fill('legacy numbers needed for the quarterly close');
    await Promise.all([page.waitForEvent('load'), acme.locator('button[value="rollback"]').click()]);

    expect(await row('acme-retail').locator('[data-field="stage"]').textContent()).toBe('legacy');
    expect([await tile('legacy').textContent(), await tile('shadow').textContent()]).toEqual(['1', '19']);
    const latest = page.locator('#timeline li').first();
    expect(await latest.getAttribute('data-client')).toBe('acme-retail');
    expect(await latest.textContent()).toMatch(/acme-retail rollback shadow → legacy by ops-alice — “legacy numbers needed for the quarterly close”/);
    expect(await page.locator('#support-message').textContent()).toMatch(/^acme-retail: shadow → legacy \(rollback\), recorded as fl-/);
    // The key went as the browser's Basic credentials: never into the URL, a cookie or the page's storage.
    expect(page.url()).toBe(`${base}/dashboard`);
    expect(await admin.cookies()).toEqual([]);
    expect(await page.evaluate(() => JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage }))).not.toContain(ADMIN_KEY);

    mkdirSync(join(REPO_ROOT, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
    expect(problems).toEqual([]);
  });

  it('reads the served page without JavaScript', async () => {
    const context = await browser!.newContext({ javaScriptEnabled: false, httpCredentials: { username: 'leadership', password: ADMIN_KEY } });
    try {
      const served = await context.newPage();
      await served.goto(`${base}/dashboard`);
      expect(await served.locator('[data-stage-count="legacy"] .n').textContent()).toBe('1');
      expect(await served.locator('#clients tr[data-client="kestrel-home"] [data-field="stage"]').textContent()).toBe('shadow');
      expect(await served.locator('#trend svg').first().isVisible()).toBe(true);
      expect(await served.locator('#timeline li').first().getAttribute('data-client')).toBe('acme-retail');
    } finally {
      await context.close();
    }
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

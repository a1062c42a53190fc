import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../core/metric-row.js';
import { SIMULATED_PLATFORM_NAMES as SIMULATED } from '../../new-pipeline/simulator/platforms/index.js';
import { partitionPath } from '../../new-pipeline/landing/raw-landing.js';
import { startSimulator, type RunningSimulator } from '../../new-pipeline/simulator/server.js';
import { makeTempDir, runCli } from '../helpers/cli.js';

const DATE = '2026-11-20';
/** A token that looks like a real one, to prove no output ever shows it. */
const TOKEN = 'sim-secret-7f3a9c2e51';

const ACCOUNTS: Record<string, Partial<Record<Platform, string>>> = {
  acme: { google_ads: '1234567890', meta_ads: '1001', ga4: '2001', shopify: 'acme-store', tiktok_ads: '3001' },
  bolt: { google_ads: '2345678901', meta_ads: '1002', ga4: '2002', shopify: 'bolt-store', tiktok_ads: '3002' },
};

const tokenEnv = (token: string) => Object.fromEntries(SIMULATED.map((p) => [`BOSCO_${p.toUpperCase()}_TOKEN`, token]));

describe('bosco pipeline fetch against the simulator', () => {
  const dir = makeTempDir();
  let sim: RunningSimulator;

  beforeAll(async () => {
    sim = await startSimulator({ token: TOKEN });
    const fast = { requestsPerSecond: 200, burst: 50, timeoutMs: 5_000, backoffBaseMs: 5, backoffMaxMs: 50 };
    const platforms = Object.fromEntries(SIMULATED.map((p) => [p, { baseUrl: sim.url, limits: fast }]));
    // Meta's token comes from a secret file, the others from BOSCO_<PLATFORM>_TOKEN.
    platforms.meta_ads = { ...platforms.meta_ads!, credential: { file: 'meta.token' } } as (typeof platforms)[string];
    writeFileSync(join(dir.path, 'meta.token'), `${TOKEN}\n`);
    const clients = Object.entries(ACCOUNTS).map(([id, accounts]) => ({ id, accounts: SIMULATED.map((platform) => ({ platform, accountId: accounts[platform]! })) }));
    writeFileSync(join(dir.path, 'bosco.config.json'), JSON.stringify({ workspace: '.bosco', clients, platforms }, null, 2));
  });
  afterEach(() => sim.setFaults({}));
  afterAll(async () => {
    await sim.close();
    dir.cleanup();
  });

  const fetchCli = (args: string[], env: Record<string, string> = tokenEnv(TOKEN)) => runCli(['pipeline', 'fetch', '--date', DATE, ...args], { cwd: dir.path, env });

  it('lands every client × platform and ends with a per-platform summary, exit 0', async () => {
    const result = await fetchCli([]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Fetch 2026-11-20 · run fx-/);
    for (const platform of SIMULATED) expect(result.stdout).toMatch(new RegExp(`│ ${platform} +│ \\d+ +│ 0 +│ 0 +│ 0 +│ 2 +│ 0 +│ \\d+`));
    expect(result.stdout).toContain('OK: 10 partitions landed');
    for (const [clientId, accounts] of Object.entries(ACCOUNTS)) {
      for (const platform of Object.keys(accounts) as Platform[]) expect(existsSync(partitionPath(join(dir.path, '.bosco'), { date: DATE, platform, clientId }))).toBe(true);
    }
    expect(result.stdout).not.toContain(TOKEN);
  });

  it('fetches only the chosen clients and platforms, with a JSON summary', async () => {
    const result = await fetchCli(['--client', 'bolt', '--platform', 'meta_ads,shopify', '--format', 'json']);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as { date: string; partitions: Array<{ clientId: string; platform: string; status: string; records: number }>; platforms: Record<string, { calls: number; landed: number }> };
    expect(summary.date).toBe(DATE);
    expect(summary.partitions.map((p) => `${p.clientId}/${p.platform}/${p.status}`).sort()).toEqual(['bolt/meta_ads/landed', 'bolt/shopify/landed']);
    expect(Object.keys(summary.platforms).sort()).toEqual(['meta_ads', 'shopify']);
    expect(summary.platforms.meta_ads!.calls).toBeGreaterThanOrEqual(2);
  });

  it('exits 1 and names the field when a platform\'s payload drifted, landing the rest', async () => {
    sim.setFaults({ drift: { platform: 'tiktok_ads', kind: 'type' } });
    const result = await fetchCli([]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/FAILED tiktok_ads acme: tiktok_ads payload: data\.list\[0\]\.metrics\.\w+: /);
    expect(result.stdout).toContain('FAIL: 2 of 10 partitions failed and were not landed');
  });

  it('exits 1 on a rejected token without ever printing it', async () => {
    const wrong = 'wrong-secret-d41d8cd98f';
    const result = await fetchCli(['--platform', 'google_ads,tiktok_ads'], tokenEnv(wrong));
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/FAILED google_ads acme: google_ads: not authenticated/);
    expect(result.stdout).toMatch(/FAILED tiktok_ads acme: tiktok_ads: access token or app credentials rejected/);
    expect(result.stdout + result.stderr).not.toContain(wrong);
  });

  /** Bad input: exit 2, one `bosco:` line naming the fault and one hint, nothing fetched. */
  async function expectRejected(args: string[], mentions: string[], env?: Record<string, string>) {
    const result = await fetchCli(args, env);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^bosco: /);
    expect(lines[1]).toMatch(/^ {2}hint: \S/);
    for (const text of mentions) expect(lines[0]).toContain(text);
    return result;
  }

  it('rejects an unknown platform, an unknown client and a missing credential with one clear line, exit 2', async () => {
    const withoutTiktok = { ...tokenEnv(TOKEN), BOSCO_TIKTOK_ADS_TOKEN: '' };
    const [, , missing] = await Promise.all([
      expectRejected(['--platform', 'myspace'], ["unknown platform 'myspace'"]),
      expectRejected(['--client', 'nobody'], ["client 'nobody' is not in the config"]),
      expectRejected([], ['tiktok_ads: environment variable BOSCO_TIKTOK_ADS_TOKEN is not set'], withoutTiktok),
    ]);
    expect(missing.stderr).not.toContain(TOKEN);
  });
});

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../core/metric-row.js';
import { SIMULATED_PLATFORM_NAMES as SIMULATED } from '../../new-pipeline/simulator/platforms/index.js';
import { CONNECTORS } from '../../new-pipeline/connectors/index.js';
import type { Connector } from '../../new-pipeline/connectors/types.js';
import { runFetch } from '../../new-pipeline/fetch/run-fetch.js';
import { readLandedPartition, type LandedPage } from '../../new-pipeline/landing/raw-landing.js';
import { simulatedGoogleAds } from '../../new-pipeline/simulator/platforms/google-ads.js';
import { startSimulator, type RunningSimulator } from '../../new-pipeline/simulator/server.js';
import { makeTempDir, runCli } from '../helpers/cli.js';

const DATE = '2026-11-20';
const ACCOUNTS: Partial<Record<Platform, string>> = { google_ads: '1234567890', meta_ads: '1001', ga4: '2001', shopify: 'acme-store', tiktok_ads: '3001' };

describe('bosco pipeline parse on saved response bodies', () => {
  const dir = makeTempDir();
  let sim: RunningSimulator;
  /** Every page the real fetch landed, per platform, with the request it answered. */
  const pages = new Map<Platform, LandedPage[]>();

  beforeAll(async () => {
    sim = await startSimulator();
    const connectors = new Map<Platform, Connector>(CONNECTORS.map((c) => [c.platform, c]));
    const endpoints = new Map(SIMULATED.map((p) => [p, { baseUrl: sim.url, credential: sim.token }] as const));
    const clients = [{ id: 'acme', currency: 'USD', accounts: SIMULATED.map((platform) => ({ platform, accountId: ACCOUNTS[platform]! })) }];
    const summary = await runFetch({ runId: 'fx-parse', date: DATE, clients, connectors, endpoints, workspaceDir: dir.path, sockets: 8, partitionConcurrency: 5 });
    for (const partition of summary.partitions) {
      expect(partition.status, partition.error).toBe('landed');
      pages.set(partition.platform, readLandedPartition(partition.path!).pages);
    }
  });
  afterAll(async () => {
    await sim.close();
    dir.cleanup();
  });

  function saved(name: string, body: unknown): string {
    const path = join(dir.path, name);
    writeFileSync(path, JSON.stringify(body, null, 2));
    return path;
  }

  const parseCli = (args: string[]) => runCli(['pipeline', 'parse', ...args], { cwd: dir.path });

  it.each(SIMULATED)('replays the first saved %s body of each request kind into the records the fetch parsed from it', async (platform) => {
    const connector = CONNECTORS.find((c) => c.platform === platform)!;
    const recordsPurpose = connector.purposes.at(-1)!;
    const firsts = connector.purposes.map((purpose) => pages.get(platform)!.find((page) => page.request.purpose === purpose)!);
    const results = await Promise.all(
      firsts.map(async (page) => {
        const purpose = page.request.purpose!;
        const file = saved(`${platform}-${purpose}.json`, page.body);
        // The records' request kind is the default; another must be named, with the account it is about.
        const args = purpose === recordsPurpose ? [] : ['--purpose', purpose, '--account', page.account_id];
        return { page, purpose, result: await parseCli(['--platform', platform, file, ...args]) };
      }),
    );
    for (const { page, purpose, result } of results) {
      expect(result.code, result.stderr).toBe(0);
      // What the fetch itself made of the body, knowing its day and account: the replay must agree.
      const expected = connector.parse(page.body, { account: { clientId: 'acme', platform, accountId: page.account_id }, date: DATE }, page.request);
      expect(result.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as unknown)).toEqual(JSON.parse(JSON.stringify(expected.records)));
      expect(result.stderr).toMatch(new RegExp(`^${platform} ${purpose} answer: ${expected.records.length} records?`));
      // Account-info answers carry no records but the account's currency and time zone.
      if (purpose !== recordsPurpose) expect(result.stderr).toMatch(/account currency [A-Z]{3}, timeZone \S+/);
    }
    expect(results.some(({ result }) => result.stdout !== '')).toBe(true);
  });

  it('exits 2 naming the field path when a saved body does not match the API\'s schema', async () => {
    const meta = structuredClone(pages.get('meta_ads')!.find((page) => page.request.purpose === 'insights')!.body) as { data: Array<Record<string, unknown>> };
    meta.data[1]!.spend = 12.5;
    const google = structuredClone(pages.get('google_ads')![0]!.body) as Array<{ results: Array<{ metrics: Record<string, unknown> }> }>;
    delete google[0]!.results[0]!.metrics.costMicros;
    const [metaResult, googleResult, wrongPurpose] = await Promise.all([
      parseCli(['--platform', 'meta_ads', saved('meta-drift.json', meta)]),
      parseCli(['--platform', 'google_ads', saved('google-drift.json', google)]),
      // An account-info body read as a report page: it is not one.
      parseCli(['--platform', 'tiktok_ads', saved('tiktok-info.json', pages.get('tiktok_ads')![0]!.body)]),
    ]);
    expect(metaResult.code).toBe(2);
    expect(metaResult.stderr).toMatch(/^bosco: meta_ads payload: data\[1\]\.spend: /);
    expect(googleResult.code).toBe(2);
    expect(googleResult.stderr).toMatch(/^bosco: google_ads payload: \[0\]\.results\[0\]\.metrics\.costMicros: /);
    expect(wrongPurpose.code).toBe(2);
    expect(wrongPurpose.stderr).toMatch(/^bosco: tiktok_ads payload: data\.\w+/);
    for (const result of [metaResult, googleResult, wrongPurpose]) {
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/\n {2}hint: \S/);
    }
  });

  it("exits 2 naming the platform's own error (code and message) when the saved body is an error answer", async () => {
    const bodies: Partial<Record<Platform, { body: unknown; names: RegExp }>> = {
      meta_ads: {
        body: { error: { message: '(#17) User request limit reached', type: 'OAuthException', code: 17, error_subcode: 2446079, is_transient: true, fbtrace_id: 'AbCdEf' } },
        names: /^bosco: meta_ads error answer: \(#17\) User request limit reached \(code 17, subcode 2446079, fbtrace_id AbCdEf\)/,
      },
      google_ads: {
        body: simulatedGoogleAds.unauthorized().body,
        names: /^bosco: google_ads error answer: Oauth token is invalid\. \(HTTP 401, UNAUTHENTICATED, authenticationError: OAUTH_TOKEN_INVALID/,
      },
      ga4: {
        body: { error: { code: 403, message: 'User does not have sufficient permissions for this property.', status: 'PERMISSION_DENIED' } },
        names: /^bosco: ga4 error answer: User does not have sufficient permissions for this property\. \(HTTP 403, PERMISSION_DENIED\)/,
      },
      shopify: {
        body: { errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED' } }], extensions: { cost: { requestedQueryCost: 903, actualQueryCost: null } } },
        names: /^bosco: shopify error answer: Throttled \(THROTTLED\)/,
      },
      tiktok_ads: {
        body: { code: 40105, message: 'Access token is incorrect or has been revoked.', request_id: '2026112012345', data: {} },
        names: /^bosco: tiktok_ads error answer: Access token is incorrect or has been revoked\. \(code 40105, request_id 2026112012345\)/,
      },
    };
    const results = await Promise.all(SIMULATED.map((platform) => parseCli(['--platform', platform, saved(`${platform}-error.json`, bodies[platform]!.body)])));
    SIMULATED.forEach((platform, i) => {
      const result = results[i]!;
      expect(result.code, platform).toBe(2);
      expect(result.stderr, platform).toMatch(bodies[platform]!.names);
      expect(result.stderr, platform).toMatch(/\n {2}hint: the body is the platform's error answer/);
      expect(result.stdout).toBe('');
    });
  });

  it('exits 2 on an unknown platform, an unknown purpose, a missing file or a body that is not JSON', async () => {
    const notJson = join(dir.path, 'cut.json');
    writeFileSync(notJson, '{"data": [{"spend": "1');
    const body = saved('google.json', pages.get('google_ads')![0]!.body);
    const results = await Promise.all([
      parseCli(['--platform', 'myspace', body]),
      parseCli(['--platform', 'meta_ads', '--purpose', 'report', body]),
      parseCli(['--platform', 'google_ads', join(dir.path, 'missing.json')]),
      parseCli(['--platform', 'meta_ads', notJson]),
    ]);
    const mentions = ["unknown platform 'myspace'", "--purpose 'report' is not a request meta_ads makes", 'missing.json', 'cut.json is not JSON'];
    results.forEach((result, i) => {
      expect(result.code).toBe(2);
      expect(result.stderr.split('\n')[0]).toContain(mentions[i]);
    });
    expect(results[1]!.stderr).toContain("meta_ads's requests are account-info, insights (default insights)");
  });
});

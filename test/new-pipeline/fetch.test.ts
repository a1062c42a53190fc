import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ClientConfig, PlatformSettings } from '../../core/config.js';
import { PLATFORMS, type Platform } from '../../core/metric-row.js';
import { CONNECTORS } from '../../new-pipeline/connectors/index.js';
import type { Connector } from '../../new-pipeline/connectors/types.js';
import { runFetch } from '../../new-pipeline/fetch/run-fetch.js';
import { partitionPath, readLandedPartition } from '../../new-pipeline/landing/raw-landing.js';
import { startSimulator, type RunningSimulator } from '../../new-pipeline/simulator/server.js';
import type { SimFaults } from '../../new-pipeline/simulator/types.js';
import { makeTempDir } from '../helpers/cli.js';

const DATE = '2026-11-20';
const FAST: PlatformSettings['limits'] = { requestsPerSecond: 200, burst: 50, perAccountRequestsPerSecond: 200, timeoutMs: 2_000, backoffBaseMs: 5, backoffMaxMs: 50, maxRetries: 4 };

function clientFactory(index: number): ClientConfig {
  const id = `client-${index}`;
  return { id, currency: 'USD', accounts: PLATFORMS.map((platform) => ({ platform, accountId: platform === 'shopify' ? `shop${index}` : `${index}00${PLATFORMS.indexOf(platform)}` })) };
}

function recordCount(sim: RunningSimulator, platform: Platform, accountId: string): number {
  return platform === 'shopify' ? sim.world.orders(accountId, DATE).length : sim.world.dailyStats(platform, accountId, DATE).length;
}

describe('fetching a day from the simulator', () => {
  let sim: RunningSimulator;
  const dirs: Array<{ cleanup: () => void }> = [];
  beforeAll(async () => {
    sim = await startSimulator({ spikeAccounts: ['2001'] });
  });
  afterAll(() => sim.close());
  afterEach(() => {
    sim.setFaults({});
    dirs.splice(0).forEach((dir) => dir.cleanup());
  });

  async function fetchDay(
    faults: SimFaults,
    clients = [1, 2, 3].map(clientFactory),
    limits: PlatformSettings['limits'] = FAST,
    options: { partitionConcurrency?: number; baseUrl?: (platform: Platform) => string; keepFaults?: boolean } = {},
  ) {
    // Setting faults starts a fresh scenario (counters, pulls); a later pull of the same scenario keeps them.
    if (!options.keepFaults) sim.setFaults(faults);
    const dir = makeTempDir();
    dirs.push(dir);
    const connectors = new Map<Platform, Connector>(CONNECTORS.map((c) => [c.platform, c]));
    const endpoints = new Map(PLATFORMS.map((p) => [p, { baseUrl: options.baseUrl?.(p) ?? sim.url, credential: sim.token, settings: { limits } }] as const));
    const summary = await runFetch({ runId: 'fx-test', date: DATE, clients, connectors, endpoints, workspaceDir: dir.path, sockets: 16, partitionConcurrency: options.partitionConcurrency ?? 8 });
    return { summary, dir: dir.path };
  }

  it('lands every partition with exactly the records the platforms hold', async () => {
    const { summary, dir } = await fetchDay({});
    expect(summary.partitions).toHaveLength(15);
    for (const partition of summary.partitions) {
      expect(partition.status, partition.error).toBe('landed');
      const client = clientFactory(Number(partition.clientId.split('-')[1]));
      const account = client.accounts.find((a) => a.platform === partition.platform)!;
      expect(partition.records).toBe(recordCount(sim, partition.platform, account.accountId));
      expect(existsSync(partitionPath(dir, partition))).toBe(true);
    }
  });

  it('pulls ten times the rows for an account in a launch spike', async () => {
    const { summary } = await fetchDay({}, [clientFactory(2)]);
    const meta = summary.partitions.find((p) => p.platform === 'meta_ads')!;
    expect(meta.records).toBe(recordCount(sim, 'meta_ads', '2001'));
    expect(meta.records).toBeGreaterThanOrEqual(40);
  });

  it('never lands personal data or the credential', async () => {
    const { summary } = await fetchDay({ drift: { platform: 'shopify', kind: 'add' } });
    for (const partition of summary.partitions) {
      const text = gunzipSync(readFileSync(partition.path!)).toString('utf8');
      expect(text).not.toMatch(/@example\.com|"email"|"phone"|"firstName"|"lastName"|address1/);
      expect(text).not.toContain(sim.token);
    }
  });

  it('retries through 5xx bursts and truncated bodies and still lands everything', async () => {
    const { summary } = await fetchDay({ serverErrors: { every: 7, burst: 2 }, truncate: { every: 11 } });
    expect(summary.partitions.every((p) => p.status === 'landed')).toBe(true);
    const retries = Object.values(summary.platforms).reduce((sum, s) => sum + s.retries, 0);
    expect(retries).toBeGreaterThan(0);
  });

  it('waits out throttle answers for as long as each platform\'s own signal says', async () => {
    // Every 2nd request to a platform is throttled; one partition at a time, so each retry is an odd request and goes
    // through. The schedule counts requests, not time, so a slow machine sees exactly the same answers.
    const { summary } = await fetchDay({ throttle: { every: 2, retryAfterMs: 30 } }, [1, 2].map(clientFactory), FAST, { partitionConcurrency: 1 });
    expect(summary.partitions.every((p) => p.status === 'landed')).toBe(true);
    for (const platform of PLATFORMS) {
      const stats = summary.platforms[platform]!;
      expect(stats.throttles, platform).toBeGreaterThan(0);
      expect(stats.throttles, platform).toBe(sim.counters[platform]!.throttled);
      // A throttle is a wait, not a failure: nothing was retried.
      expect(stats.retries, platform).toBe(0);
    }
    // Google Ads (quotaErrorDetails.retryDelay), GA4 (RetryInfo) and Shopify (the cost block) say how long: exactly that.
    for (const platform of ['google_ads', 'ga4', 'shopify'] as const) {
      expect(summary.platforms[platform]!.throttleWaitMs, platform).toBe(summary.platforms[platform]!.throttles * 30);
    }
    // Meta (0 minutes to regain access) and TikTok (code 40100 alone) do not: the client's backoff decides.
    for (const platform of ['meta_ads', 'tiktok_ads'] as const) {
      expect(summary.platforms[platform]!.throttleWaitMs, platform).toBeLessThanOrEqual(summary.platforms[platform]!.throttles * FAST!.backoffMaxMs!);
    }
  });

  it('times out a hanging request and retries it', async () => {
    // Every 2nd request hangs for a minute; the simulator lets go as soon as the client hangs up. One client, so
    // each platform's requests come one after another and the schedule is fixed.
    const { summary } = await fetchDay({ slow: { every: 2, ms: 60_000 } }, [clientFactory(1)], { ...FAST, timeoutMs: 500 });
    expect(summary.partitions.every((p) => p.status === 'landed')).toBe(true);
    for (const platform of PLATFORMS) {
      const stats = summary.platforms[platform]!;
      // At least every hung request timed out (a very loaded machine may time out another one too) and was retried.
      expect(stats.timeouts, platform).toBeGreaterThanOrEqual(sim.counters[platform]!.slowed);
      expect(stats.retries, platform).toBe(stats.timeouts);
    }
    // Google Ads and GA4 make one call per day, which is never a 2nd; the others make two or more.
    for (const platform of ['meta_ads', 'shopify', 'tiktok_ads'] as const) expect(sim.counters[platform]!.slowed, platform).toBeGreaterThan(0);
  });

  it('addresses Shopify through a {shop} base URL template just as through one host with shop paths', async () => {
    const clients = [clientFactory(1)];
    const byPath = await fetchDay({}, clients);
    const byTemplate = await fetchDay({}, clients, FAST, { baseUrl: (platform) => (platform === 'shopify' ? `${sim.url}/shops/{shop}` : sim.url) });
    const shopify = (summary: typeof byPath.summary) => summary.partitions.find((p) => p.platform === 'shopify')!;
    expect(shopify(byTemplate.summary).status).toBe('landed');
    expect(shopify(byTemplate.summary).records).toBe(shopify(byPath.summary).records);
    expect(shopify(byTemplate.summary).records).toBe(recordCount(sim, 'shopify', 'shop1'));
  });

  it('fails only the drifted platform\'s partitions, naming the field, and lands nothing for them', async () => {
    const { summary, dir } = await fetchDay({ drift: { platform: 'meta_ads', kind: 'rename' } });
    for (const partition of summary.partitions) {
      if (partition.platform === 'meta_ads') {
        expect(partition.status).toBe('failed');
        expect(partition.error).toMatch(/meta_ads payload: .+/);
        expect(existsSync(partitionPath(dir, partition))).toBe(false);
      } else {
        expect(partition.status).toBe('landed');
      }
    }
  });

  it('reports an added field as drift and still lands the partition', async () => {
    const { summary, dir } = await fetchDay({ drift: { platform: 'tiktok_ads', kind: 'add' } }, [clientFactory(1)]);
    const tiktok = summary.partitions.find((p) => p.platform === 'tiktok_ads')!;
    expect(tiktok.status).toBe('landed');
    expect(tiktok.unknownFields.length).toBeGreaterThan(0);
    expect(readLandedPartition(partitionPath(dir, tiktok)).header.unknown_fields).toEqual(tiktok.unknownFields);
  });

  it('fails a dead platform\'s partitions with a clear reason while the others land', async () => {
    const { summary } = await fetchDay({ serverErrors: { every: 1, burst: 1_000_000, platforms: ['ga4'] } }, [1, 2, 3].map(clientFactory), { ...FAST, maxRetries: 2, breakerFailures: 3 });
    const ga4 = summary.partitions.filter((p) => p.platform === 'ga4');
    expect(ga4.every((p) => p.status === 'failed' && /ga4: (gave up after|circuit open)/.test(p.error!))).toBe(true);
    expect(summary.partitions.filter((p) => p.platform !== 'ga4').every((p) => p.status === 'landed')).toBe(true);
  });

  it('lands later pulls of the same day restated with more conversions, and the same spend', async () => {
    const clients = [clientFactory(1)];
    /** Conversions and cost in the landed Google Ads answers. */
    const landed = (run: Awaited<ReturnType<typeof fetchDay>>) => {
      const partition = run.summary.partitions.find((p) => p.platform === 'google_ads')!;
      expect(partition.status, partition.error).toBe('landed');
      const rows = readLandedPartition(partitionPath(run.dir, partition)).pages.flatMap((page) => (page.body as Array<{ results?: Array<{ metrics: { conversions: number; costMicros: string } }> }>).flatMap((batch) => batch.results ?? []));
      return { conversions: rows.reduce((s, r) => s + r.metrics.conversions, 0), cost: rows.reduce((s, r) => s + Number(r.metrics.costMicros), 0) };
    };
    const first = landed(await fetchDay({ restatements: true }, clients));
    const later = landed(await fetchDay({ restatements: true }, clients, FAST, { keepFaults: true }));
    expect(later.conversions).toBeGreaterThan(first.conversions);
    expect(later.cost).toBe(first.cost);
    // restate() moves every day on at once, on top of the pulls the simulator counts.
    sim.restate();
    const restated = landed(await fetchDay({ restatements: true }, clients, FAST, { keepFaults: true }));
    expect(restated.conversions).toBeGreaterThan(later.conversions);
  });
});

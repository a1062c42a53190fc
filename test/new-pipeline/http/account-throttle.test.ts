import pLimit from 'p-limit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../../core/metric-row.js';
import { connectorFor } from '../../../new-pipeline/connectors/index.js';
import type { ApiRequest } from '../../../new-pipeline/connectors/types.js';
import { PlatformClient, platformLimits, RetryBudget } from '../../../new-pipeline/http/platform-client.js';
import { HttpTransport } from '../../../new-pipeline/http/transport.js';
import { startSimulator, type RunningSimulator } from '../../../new-pipeline/simulator/server.js';
import type { SimFaults } from '../../../new-pipeline/simulator/types.js';

const DATE = '2026-11-20';
/** How long a throttled account is told to wait: long next to the calls themselves, short for a test. */
const WAIT_MS = 1_500;

/** Sends each account's first request `times` times in a row, the accounts side by side; resolves with when each finished (ms from start). */
async function callSideBySide(sim: RunningSimulator, platform: Platform, accounts: string[], faults: SimFaults, times = 4) {
  sim.setFaults(faults);
  const connector = connectorFor(platform);
  const transport = new HttpTransport(8);
  const client = new PlatformClient(
    { connector, baseUrl: sim.url, credential: sim.token, limits: platformLimits(platform, { requestsPerSecond: 200, burst: 50, perAccountRequestsPerSecond: 200 }), transport, retryBudget: new RetryBudget() },
    pLimit(8),
  );
  const started = Date.now();
  try {
    const finished = await Promise.all(
      accounts.map(async (accountId) => {
        const request: ApiRequest = connector.firstRequest({ account: { clientId: 'c', platform, accountId }, date: DATE });
        for (let i = 0; i < times; i++) expect(connector.classify(await client.send(request, accountId)).kind).toBe('ok');
        return Date.now() - started;
      }),
    );
    return { finished: Object.fromEntries(accounts.map((account, i) => [account, finished[i]!])), stats: client.stats };
  } finally {
    transport.close();
  }
}

describe('throttles scoped to the limit they are about', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(() => sim.close());

  it("pauses only the throttled Shopify shop: the other shop's calls keep flowing", async () => {
    const { finished, stats } = await callSideBySide(sim, 'shopify', ['busy-shop', 'calm-shop'], { throttle: { every: 2, retryAfterMs: WAIT_MS, accounts: ['busy-shop'] } });
    expect(stats.throttles).toBeGreaterThan(0);
    expect(stats.throttles).toBe(sim.counters.shopify!.throttled);
    // The busy shop waited out its own bucket each time it was throttled…
    expect(finished['busy-shop']).toBeGreaterThanOrEqual(WAIT_MS);
    // …while the calm shop never waited for it.
    expect(finished['calm-shop']).toBeLessThan(WAIT_MS / 2);
  });

  it("pauses only the Meta ad account that hit its own limit (80000), not the app's other accounts", async () => {
    // Meta gives an ad account's wait in whole minutes, so a short one is the client's own backoff.
    const { finished, stats } = await callSideBySide(sim, 'meta_ads', ['1001', '1002'], { throttle: { every: 2, retryAfterMs: WAIT_MS, accounts: ['1001'] } });
    expect(stats.throttles).toBeGreaterThan(0);
    expect(finished['1002']).toBeLessThan(finished['1001']!);
  });

  it('pauses every account on a platform-wide limit (Google Ads RESOURCE_EXHAUSTED on the developer token)', async () => {
    // Every 2nd request to the platform is throttled, whichever account it was for.
    sim.setFaults({ throttle: { every: 2, retryAfterMs: WAIT_MS } });
    const connector = connectorFor('google_ads');
    const transport = new HttpTransport(8);
    const client = new PlatformClient(
      { connector, baseUrl: sim.url, credential: sim.token, limits: platformLimits('google_ads', { requestsPerSecond: 200, burst: 50 }), transport, retryBudget: new RetryBudget() },
      pLimit(8),
    );
    const requestFor = (accountId: string) => connector.firstRequest({ account: { clientId: 'c', platform: 'google_ads', accountId }, date: DATE });
    try {
      await client.send(requestFor('1111111111'), '1111111111');
      const throttledOne = client.send(requestFor('2222222222'), '2222222222');
      while (client.stats.throttles === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      // The other account's next call waits out the platform's pause too.
      const started = Date.now();
      await client.send(requestFor('1111111111'), '1111111111');
      expect(Date.now() - started).toBeGreaterThanOrEqual(WAIT_MS - 200);
      await throttledOne;
      expect(client.stats.throttles).toBe(sim.counters.google_ads!.throttled);
    } finally {
      transport.close();
    }
  });
});

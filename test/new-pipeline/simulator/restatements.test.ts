import { describe, expect, it } from 'vitest';
import { simServeCommand } from '../../../cli/commands/sim.js';
import type { RunningSimulator } from '../../../new-pipeline/simulator/server.js';

const DATE = '2026-11-20';
const CUSTOMER = '1234567890';
const AD_ACCOUNT = '1001';
const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

/** The day's conversions as Google Ads' searchStream reports them over HTTP. */
async function googleAdsConversions(sim: RunningSimulator, date = DATE): Promise<number> {
  const response = await fetch(`${sim.url}/v26/customers/${CUSTOMER}/googleAds:searchStream`, {
    method: 'POST',
    headers: { authorization: `Bearer ${sim.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query: `SELECT campaign.id, metrics.conversions FROM campaign WHERE segments.date = '${date}'` }),
  });
  const batches = (await response.json()) as Array<{ results?: Array<{ metrics: { conversions: number } }> }>;
  return sum(batches.flatMap((batch) => batch.results ?? []).map((row) => row.metrics.conversions));
}

/** One whole pull of the day's Meta insights, page by page (two rows a page), as purchases per page. */
async function metaPull(sim: RunningSimulator): Promise<number[]> {
  const pages: number[] = [];
  let after: string | undefined;
  do {
    const query = new URLSearchParams({ level: 'campaign', time_increment: '1', time_range: JSON.stringify({ since: DATE, until: DATE }), fields: 'campaign_id,actions', limit: '2' });
    if (after) query.set('after', after);
    const response = await fetch(`${sim.url}/v26.0/act_${AD_ACCOUNT}/insights?${query}`, { headers: { authorization: `Bearer ${sim.token}` } });
    const page = (await response.json()) as { data: Array<{ actions?: Array<{ action_type: string; value: string }> }>; paging?: { next?: string; cursors?: { after?: string } } };
    pages.push(sum(page.data.map((row) => Number(row.actions?.find((action) => action.action_type === 'purchase')?.value ?? 0))));
    after = page.paging?.next ? page.paging.cursors?.after : undefined;
  } while (after);
  return pages;
}

/** `bosco sim serve --faults <faults>` as a user starts it, then `use` against it over HTTP. */
async function withSimServe(faults: string, use: (sim: RunningSimulator) => Promise<void>): Promise<void> {
  let failure: unknown;
  await simServeCommand({
    faults,
    write: () => {},
    until: async (sim) => {
      try {
        await use(sim);
      } catch (error) {
        failure = error;
      }
    },
  });
  if (failure) throw failure;
}

describe('restatements in the simulator', () => {
  it('reports more conversions on each later pull of the same account and day, through `sim serve --faults`', async () => {
    await withSimServe('{"restatements":true}', async (sim) => {
      const first = await googleAdsConversions(sim);
      const second = await googleAdsConversions(sim);
      const third = await googleAdsConversions(sim);
      expect(first).toBeCloseTo(sum(sim.world.dailyStats('google_ads', CUSTOMER, DATE, 0).map((s) => s.conversions)), 6);
      expect(second).toBeGreaterThan(first);
      expect(third).toBeGreaterThan(second);
      // Pulls are counted per account and day: another day's first pull is not restated.
      const otherDay = '2026-11-19';
      expect(await googleAdsConversions(sim, otherDay)).toBeCloseTo(sum(sim.world.dailyStats('google_ads', CUSTOMER, otherDay, 0).map((s) => s.conversions)), 6);
    });
  });

  it('keeps one pull consistent across its pages, and restates the next pull as a whole', async () => {
    await withSimServe('{"restatements":true}', async (sim) => {
      const purchases = (pullsBefore: number) => sum(sim.world.dailyStats('meta_ads', AD_ACCOUNT, DATE, pullsBefore).map((s) => s.conversions));
      const first = await metaPull(sim);
      const second = await metaPull(sim);
      expect(first.length).toBeGreaterThan(1);
      expect(sum(first)).toBeCloseTo(purchases(0), 6);
      expect(sum(second)).toBeCloseTo(purchases(1), 6);
      expect(sum(second)).toBeGreaterThan(sum(first));
    });
  });

  it('serves the same numbers on every pull without the switch', async () => {
    await withSimServe('{}', async (sim) => {
      expect(await googleAdsConversions(sim)).toBe(await googleAdsConversions(sim));
    });
  });
});

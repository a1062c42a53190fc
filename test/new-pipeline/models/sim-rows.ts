import type { ClientConfig } from '../../../core/config.js';
import { PLATFORMS, type MetricRow } from '../../../core/metric-row.js';
import type { Warehouse } from '../../../core/warehouse/index.js';
import { ensurePipelineTables, SERVING_TABLES, type PipelineTables } from '../../../new-pipeline/load/pipeline-tables.js';
import { daysFrom } from '../../../new-pipeline/models/calendar.js';
import { SimWorld } from '../../../new-pipeline/simulator/world.js';

/** A client with one account on every platform, as the pipeline tests make them. */
export function simClient(index: number, overrides: Partial<ClientConfig> = {}): ClientConfig {
  return {
    id: `client-${index}`,
    currency: 'USD',
    accounts: PLATFORMS.map((platform) => ({ platform, accountId: platform === 'shopify' ? `shop${index}` : `${index}00${PLATFORMS.indexOf(platform)}` })),
    ...overrides,
  };
}

/**
 * The canonical rows the pipeline would load for `clients` over the days, written straight from the simulator's
 * ground truth (`SimWorld.dailyStats`, Shopify's orders by UTM campaign) instead of through fetch, transform and load:
 * the same numbers the pipeline end-to-end test checks it loads, in a fraction of the time. Money is left in the
 * account's currency (no FX), which changes nothing for models fitted per campaign.
 */
export function simMetricRows(clients: readonly ClientConfig[], from: string, to: string, world = new SimWorld()): MetricRow[] {
  const rows: MetricRow[] = [];
  for (const date of daysFrom(from, to)) {
    for (const client of clients) {
      for (const { platform, accountId } of client.accounts) {
        const base = { client_id: client.id, date, platform, account_id: accountId, currency: client.currency };
        if (platform === 'shopify') {
          const byCampaign = new Map<string, { orders: number; amount: number }>();
          for (const order of world.orders(accountId, date)) {
            const campaign = byCampaign.get(order.utmCampaign ?? '(not set)') ?? { orders: 0, amount: 0 };
            byCampaign.set(order.utmCampaign ?? '(not set)', { orders: campaign.orders + 1, amount: campaign.amount + order.amount });
          }
          for (const [campaignId, { orders, amount }] of byCampaign) {
            rows.push({ ...base, campaign_id: campaignId, spend: null, impressions: null, clicks: null, conversions: orders, revenue: Math.round(amount * 100) / 100 });
          }
          continue;
        }
        for (const stats of world.dailyStats(platform, accountId, date)) {
          rows.push({ ...base, campaign_id: stats.campaignId, spend: stats.spend, impressions: stats.impressions, clicks: stats.clicks, conversions: stats.conversions, revenue: stats.revenue });
        }
      }
    }
  }
  return rows;
}

/** Loads rows the way the pipeline does: one replaced partition per client, platform and day, in one transaction. */
export async function loadMetricRows(warehouse: Warehouse, rows: readonly MetricRow[], tables: PipelineTables = SERVING_TABLES): Promise<void> {
  await ensurePipelineTables(warehouse, tables);
  const partitions = new Map<string, MetricRow[]>();
  for (const row of rows) {
    const key = `${row.client_id}\u0000${row.platform}\u0000${row.date}`;
    partitions.set(key, [...(partitions.get(key) ?? []), row]);
  }
  await warehouse.transaction(async () => {
    for (const [key, partition] of partitions) {
      const [client_id, platform, date] = key.split('\u0000') as [string, string, string];
      await warehouse.replacePartition(tables.metricRows, { client_id, platform, date }, partition);
    }
  });
}

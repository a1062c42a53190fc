import { join } from 'node:path';
import { addDays } from '../../../core/dates.js';
import { METRIC_COLUMNS, type MetricRow, type Platform } from '../../../core/metric-row.js';
import { BOSCO_LEGACY_V1 } from '../../../legacy-adapter/legacy-schema.js';
import type { LegacyClient } from '../../../legacy-adapter/emulator/index.js';
import { simFxRate } from '../../../new-pipeline/simulator/fx.js';
import type { SimWorld } from '../../../new-pipeline/simulator/world.js';
import { explainClients } from '../../../reconcile/explain/index.js';
import { reconcile } from '../../../reconcile/reconcile.js';
import { buildToleranceTable } from '../../../reconcile/tolerance.js';
import type { ReconcileReport } from '../../../reconcile/types.js';
import { writeJsonl, type TestRow } from '../../helpers/factories.js';
import { memoryWarehouse } from '../../helpers/warehouse.js';

export const DAY = '2026-11-22';

/**
 * Two clients with an account on every platform. The world facts each test leans on (checked in the test file):
 * harbor-west reports in USD from New York, its Google Ads account is in EUR, its TikTok account has 22 campaigns
 * on DAY (three pages of ten) and its shop is in New York; alpine-east reports in EUR from Berlin.
 */
export const CLIENTS: LegacyClient[] = [
  {
    id: 'harbor-west',
    currency: 'USD',
    timeZone: 'America/New_York',
    accounts: [
      { platform: 'google_ads', accountId: '1000000002' },
      { platform: 'meta_ads', accountId: '200000000003' },
      { platform: 'ga4', accountId: '300002' },
      { platform: 'shopify', accountId: 'shop-5' },
      { platform: 'tiktok_ads', accountId: '7000000004' },
    ],
  },
  {
    id: 'alpine-east',
    currency: 'EUR',
    timeZone: 'Europe/Berlin',
    accounts: [
      { platform: 'google_ads', accountId: '1000000000' },
      { platform: 'meta_ads', accountId: '200000000002' },
      { platform: 'ga4', accountId: '300007' },
      { platform: 'shopify', accountId: 'shop-2' },
      { platform: 'tiktok_ads', accountId: '7000000009' },
    ],
  },
];

/** What the expected rows should reproduce of a legacy behaviour; default none: the platforms' own numbers. */
export interface Expectation {
  /** The account day the ad platforms' rows come from (labelled DAY all the same). */
  adDay?: string;
  /** Shopify orders bucketed by UTC day instead of the shop's. */
  ordersByUtcDay?: boolean;
  /** Accounts whose money stays in the account's currency. */
  unconverted?: readonly string[];
  /** Meta conversions and revenue found nowhere (the action type counted is not in the answer). */
  metaPixelPurchasesOnly?: boolean;
}

const round2 = (value: number) => Math.round(value * 100) / 100;
/** Shopify writes DateTime to the second. */
const utcDayOf = (iso: string) => new Date(Math.floor(Date.parse(iso) / 1000) * 1000).toISOString().slice(0, 10);

/**
 * The canonical rows of `client` on DAY straight from the simulator's world, as the new pipeline makes them: one row
 * per account and campaign, money converted to the client's currency at DAY's rate and rounded to cents.
 */
export function expectedRows(world: SimWorld, client: LegacyClient, expectation: Expectation = {}): MetricRow[] {
  const rows: MetricRow[] = [];
  for (const { platform, accountId } of client.accounts) {
    const account = world.account(platform, accountId);
    const unconverted = expectation.unconverted?.includes(accountId) ?? false;
    const currency = unconverted ? account.currency : client.currency;
    const rate = currency === account.currency ? 1 : simFxRate(DAY, account.currency, client.currency);
    const row = (campaignId: string, values: Pick<MetricRow, 'spend' | 'impressions' | 'clicks' | 'conversions' | 'revenue'>): MetricRow => ({
      client_id: client.id,
      date: DAY,
      platform: platform as Platform,
      account_id: accountId,
      campaign_id: campaignId,
      currency,
      ...values,
    });
    if (platform === 'shopify') {
      const orders = expectation.ordersByUtcDay
        ? [addDays(DAY, -1), DAY, addDays(DAY, 1)].flatMap((day) => world.orders(accountId, day)).filter((order) => utcDayOf(order.createdAt) === DAY)
        : world.orders(accountId, DAY);
      const campaigns = new Map<string, { orders: number; amount: number }>();
      for (const order of orders) {
        const campaign = campaigns.get(order.utmCampaign ?? '(not set)') ?? { orders: 0, amount: 0 };
        campaign.orders += 1;
        campaign.amount += order.amount;
        campaigns.set(order.utmCampaign ?? '(not set)', campaign);
      }
      for (const [campaignId, { orders: count, amount }] of campaigns) {
        rows.push(row(campaignId, { spend: null, impressions: null, clicks: null, conversions: count, revenue: round2(amount * rate) }));
      }
      continue;
    }
    // The simulator's pixel saw 85% of Meta purchases (and of their value), each rounded to the cent.
    const share = (value: number) => (platform === 'meta_ads' && expectation.metaPixelPurchasesOnly ? round2(value * 0.85) : value);
    for (const stats of world.dailyStats(platform, accountId, expectation.adDay ?? DAY)) {
      rows.push(
        row(stats.campaignId, {
          spend: round2(stats.spend * rate),
          impressions: stats.impressions,
          clicks: stats.clicks,
          conversions: share(stats.conversions),
          revenue: round2(share(stats.revenue) * rate),
        }),
      );
    }
  }
  return rows;
}

export interface Reconciled {
  report: ReconcileReport;
  /** By failing client, the explainers' one-line guesses. */
  explanations: Map<string, string[]>;
}

/** Reconciles the legacy export at `legacyUri` (through `bosco_legacy_v1`) against `expected` for DAY. */
export async function reconcileExport(legacyUri: string, expected: readonly MetricRow[], dir: string, name: string): Promise<Reconciled> {
  const newPath = writeJsonl(join(dir, `${name}.jsonl`), expected as unknown as TestRow[]);
  const warehouse = await memoryWarehouse();
  try {
    const report = await reconcile(warehouse, {
      date: DAY,
      legacy: { uri: legacyUri, mappingName: 'bosco_legacy_v1', mapping: BOSCO_LEGACY_V1 },
      next: { uri: newPath },
      tolerances: buildToleranceTable(METRIC_COLUMNS),
      differencesLimit: 1000,
      scratchDir: join(dir, 'scratch'),
    });
    return { report, explanations: explainClients(report.clients, report.differences ?? []) };
  } finally {
    await warehouse.close();
  }
}

import { addDays } from '../core/dates.js';
import type { Warehouse } from '../core/warehouse/index.js';
import { LEGACY_EXPORT_TABLE } from '../legacy-adapter/legacy-schema.js';

/** Where the new pipeline's canonical rows live in the workspace. */
export const NEW_METRICS_TABLE = 'metric_rows';

export const DEMO_CLIENTS = [
  'acme-retail', 'bluefin-travel', 'cedar-dental', 'delta-fitness', 'ember-coffee',
  'fjord-outdoor', 'granite-legal', 'harbor-pet', 'iris-fashion', 'juniper-foods',
  'kestrel-home', 'lumen-solar', 'maple-beauty', 'nimbus-saas', 'orchid-spa',
  'pioneer-auto', 'quartz-jewelry', 'river-books', 'summit-ski', 'tidal-surf',
] as const;

/** The discrepancies the demo plants, each a real failure mode of a migration, and the client that carries it. */
export const DEMO_DISCREPANCIES = {
  'fjord-outdoor': 'a campaign the new pipeline dropped',
  'bluefin-travel': 'cents-level rounding drift in legacy spend',
  'kestrel-home': 'one account on UTC days in legacy: values shifted by a day',
  'harbor-pet': 'one EUR account left unconverted in legacy',
  'maple-beauty': 'a row double-inserted by a legacy retry',
} as const;

export interface DemoSeed {
  firstDate: string;
  lastDate: string;
  clients: number;
  legacyRows: number;
  newRows: number;
}

/**
 * Seeds a workspace with the legacy export and the new pipeline's rows for `days` days ending `lastDate`:
 * 20 clients × 5 platforms × a few hundred campaigns, deterministic, with five planted discrepancies.
 */
export async function seedDemoWorkspace(warehouse: Warehouse, lastDate: string, days = 14): Promise<DemoSeed> {
  const firstDate = addDays(lastDate, -(days - 1));
  const clients = DEMO_CLIENTS.map((id, i) => `(${i}, '${id}')`).join(', ');
  await warehouse.transaction(async () => {
    // Ground truth: the client's real numbers. Hash-derived so every run seeds the same workspace.
    await warehouse.run(`CREATE OR REPLACE TEMP TABLE demo_truth AS
      WITH c(idx, client_id) AS (VALUES ${clients}),
      campaigns AS (
        SELECT c.client_id, c.idx, k AS n,
          ['google_ads','meta_ads','ga4','shopify','tiktok_ads'][(k % 5) + 1] AS platform,
          CAST(1000000000 + c.idx * 1000 + (k % 5) * 10 + (k // 5) % 2 AS VARCHAR) AS account_id,
          CAST(9000000000000000000 + hash(c.client_id, k) % 999999999999 AS VARCHAR) AS campaign_id
        FROM c, range(80 + (c.idx * 37) % 220) r(k)
      ),
      days AS (SELECT CAST(d AS DATE) AS date FROM range(DATE '${firstDate}', DATE '${addDays(lastDate, 1)}', INTERVAL 1 DAY) t(d))
      SELECT client_id, date, platform, account_id, campaign_id,
        CASE WHEN client_id = 'harbor-pet' AND account_id LIKE '%00' THEN 'EUR' ELSE 'USD' END AS account_currency,
        round((20 + hash(campaign_id, date) % 400) * (CASE WHEN dayofweek(date) IN (0, 6) THEN 0.7 ELSE 1 END), 2) AS spend_raw,
        CAST(1000 + hash(campaign_id, date, 'i') % 50000 AS BIGINT) AS impressions
      FROM campaigns, days`);
    await warehouse.run(`CREATE OR REPLACE TEMP TABLE demo_new AS
      SELECT client_id, date, platform, account_id, campaign_id, 'USD' AS currency,
        round(spend_raw * CASE account_currency WHEN 'EUR' THEN 1.08 ELSE 1 END, 2) AS spend,
        impressions,
        CAST(impressions * (0.01 + (hash(campaign_id, date, 'c') % 40) / 1000.0) AS BIGINT) AS clicks,
        round((hash(campaign_id, date, 'v') % 30) / 2.0, 1) AS conversions,
        round(spend_raw * CASE account_currency WHEN 'EUR' THEN 1.08 ELSE 1 END * (1.5 + (hash(campaign_id, 'r') % 30) / 10.0), 2) AS revenue,
        spend_raw, account_currency
      FROM demo_truth`);

    await warehouse.run(`CREATE OR REPLACE TABLE ${NEW_METRICS_TABLE} (client_id VARCHAR, date DATE, platform VARCHAR, account_id VARCHAR, campaign_id VARCHAR, currency VARCHAR, spend DOUBLE, impressions BIGINT, clicks BIGINT, conversions DOUBLE, revenue DOUBLE)`);
    // The new pipeline dropped one campaign of fjord-outdoor.
    await warehouse.run(`INSERT INTO ${NEW_METRICS_TABLE}
      SELECT client_id, date, platform, account_id, campaign_id, currency, spend, impressions, clicks, conversions, revenue FROM demo_new
      WHERE NOT (client_id = 'fjord-outdoor' AND campaign_id = (SELECT min(campaign_id) FROM demo_new WHERE client_id = 'fjord-outdoor'))`);

    await warehouse.run(`CREATE SCHEMA IF NOT EXISTS ${LEGACY_EXPORT_TABLE.split('.')[0]}`);
    await warehouse.run(`CREATE OR REPLACE TABLE ${LEGACY_EXPORT_TABLE} (client_ref VARCHAR, stat_ts TIMESTAMP, src VARCHAR, account_ref VARCHAR, campaign_ref VARCHAR, ccy VARCHAR, cost_micros BIGINT, impr BIGINT, clk BIGINT, conv DOUBLE, rev_micros BIGINT)`);
    await warehouse.run(`INSERT INTO ${LEGACY_EXPORT_TABLE}
      WITH shifted AS (
        -- kestrel-home's first account: legacy buckets by UTC day, so each day carries the previous day's numbers.
        SELECT n.*, coalesce(p.spend, n.spend) AS l_spend, coalesce(p.impressions, n.impressions) AS l_impr, coalesce(p.clicks, n.clicks) AS l_clk,
          coalesce(p.conversions, n.conversions) AS l_conv, coalesce(p.revenue, n.revenue) AS l_rev
        FROM demo_new n LEFT JOIN demo_new p
          ON n.client_id = 'kestrel-home' AND n.account_id LIKE '%00' AND p.campaign_id = n.campaign_id AND p.date = n.date - 1
      )
      SELECT client_id,
        CAST(date AS TIMESTAMP),
        CASE platform WHEN 'google_ads' THEN 'GADS' WHEN 'meta_ads' THEN 'FB' WHEN 'ga4' THEN 'GA4' WHEN 'shopify' THEN 'SHOP' ELSE 'TT' END,
        account_id, campaign_id, account_currency,
        CAST(round(CASE
          WHEN account_currency = 'EUR' THEN spend_raw
          WHEN client_id = 'bluefin-travel' AND hash(campaign_id, date, 'd') % 10 = 0 THEN l_spend + (CAST(hash(campaign_id, date) % 5 AS INTEGER) - 2) / 100.0 + 0.02
          ELSE l_spend END * 1000000) AS BIGINT),
        l_impr, l_clk, l_conv,
        CAST(round(CASE WHEN account_currency = 'EUR' THEN l_rev / 1.08 ELSE l_rev END * 1000000) AS BIGINT)
      FROM shifted`);
    // A legacy retry double-inserted one of maple-beauty's rows on the last day.
    await warehouse.run(`INSERT INTO ${LEGACY_EXPORT_TABLE}
      SELECT * FROM ${LEGACY_EXPORT_TABLE} WHERE client_ref = 'maple-beauty' AND CAST(stat_ts AS DATE) = DATE '${lastDate}'
      ORDER BY campaign_ref LIMIT 1`);
  });
  const [counts] = await warehouse.query(`SELECT (SELECT count(*) FROM ${LEGACY_EXPORT_TABLE}) AS legacy_rows, (SELECT count(*) FROM ${NEW_METRICS_TABLE}) AS new_rows`);
  return { firstDate, lastDate, clients: DEMO_CLIENTS.length, legacyRows: Number(counts?.legacy_rows), newRows: Number(counts?.new_rows) };
}

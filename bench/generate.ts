import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

/** The one reporting day every generated row belongs to. */
export const BENCH_DATE = '2025-06-30';

export const BENCH_METRICS = ['spend', 'impressions', 'clicks', 'conversions', 'revenue'] as const;
export type BenchMetric = (typeof BENCH_METRICS)[number];

/** Bumped whenever the generated data changes, so files from an older generator are rebuilt. */
const GENERATOR_VERSION = 2;
const CLIENTS = 500;
const PLATFORMS = ['google_ads', 'meta_ads', 'ga4', 'shopify', 'tiktok_ads'];

/** What the generator planted, i.e. what a correct reconcile must report, summed over clients. */
export interface Planted {
  legacyRows: number;
  newRows: number;
  matched: number;
  missingInNew: number;
  missingInLegacy: number;
  /** Rows changed by less than the tolerance: they differ, but a correct reconcile must not count them. */
  withinTolerance: number;
  mismatched: Record<BenchMetric, number>;
  /** Clients with at least one counted difference. */
  failingClients: number;
}

const list = (values: readonly string[]) => `[${values.map((value) => `'${value}'`).join(', ')}]`;

/**
 * Every row of both sides before they part ways, with `kind` saying how (if at all) the row differs.
 * One row in a thousand differs (`i % 1000 = 7`, 0.1%); the client shifts by one every thousand rows, so those
 * rows fall on every client. How a row differs cycles over 23 ways by `i // 1000` (23 is prime to the 500
 * clients, so each client gets a mix): one is missing from new, one missing from legacy, one changed within
 * tolerance, and 20 change one metric beyond its tolerance, four per metric.
 * Keys and values derive from `i` and its hash, so every run generates the same data; campaign ids are
 * 17-digit strings unique per row, so every key is unique. Metrics are cast to DOUBLE and BIGINT on purpose:
 * DuckDB types `x * 0.031` as DECIMAL, which is not what the sources hold and sums far slower.
 */
function baseRows(rows: number): string {
  const kind = `CASE WHEN i % 1000 <> 7 THEN NULL
      WHEN (i // 1000) % 23 = 0 THEN 'missing_in_new'
      WHEN (i // 1000) % 23 = 1 THEN 'missing_in_legacy'
      WHEN (i // 1000) % 23 = 2 THEN 'within_tolerance'
      ELSE 'mismatch_' || ${list(BENCH_METRICS)}[((i // 1000) % 23) % 5 + 1] END`;
  const counts = '(h >> 20) % 200000';
  return `SELECT i, kind,
      'client_' || lpad(CAST(c AS VARCHAR), 4, '0') AS client_id,
      DATE '${BENCH_DATE}' AS date,
      ${list(PLATFORMS)}[(i // ${CLIENTS}) % ${PLATFORMS.length} + 1] AS platform,
      CAST(1000000000 + c * 100 + (i // ${CLIENTS * PLATFORMS.length}) % 8 AS VARCHAR) AS account_id,
      CAST(23850000000000000 + i * 7 AS VARCHAR) AS campaign_id,
      'USD' AS currency,
      CAST(round((h % 1000000) / 100.0, 2) AS DOUBLE) AS spend,
      CAST(${counts} AS BIGINT) AS impressions,
      CAST(${counts} // 40 AS BIGINT) AS clicks,
      CAST(round((${counts} // 40) * 0.031, 2) AS DOUBLE) AS conversions,
      CAST(round((h % 1000000) / 100.0 * ((h >> 40) % 500) / 100.0, 2) AS DOUBLE) AS revenue
    FROM (SELECT i, ${kind} AS kind, (i + i // 1000) % ${CLIENTS} AS c, hash(i) AS h FROM range(${rows}) t(i))`;
}

/** Beyond tolerance: money and conversions move by far more than 0.01, counts by one. */
const CHANGED: Record<BenchMetric, string> = {
  spend: 'spend + 0.05',
  impressions: 'impressions + 1',
  clicks: 'clicks + 1',
  conversions: 'conversions + 0.5',
  revenue: 'revenue - 1.25',
};

function newValue(metric: BenchMetric): string {
  // Within-tolerance changes ride on spend: +0.004 stays under its 0.01 tolerance.
  const within = metric === 'spend' ? `WHEN 'within_tolerance' THEN spend + 0.004 ` : '';
  return `CASE kind ${within}WHEN 'mismatch_${metric}' THEN ${CHANGED[metric]} ELSE ${metric} END AS ${metric}`;
}

const KEY_AND_ATTRIBUTES = 'client_id, date, platform, account_id, campaign_id, currency';

async function readPlanted(connection: DuckDBConnection): Promise<{ version: number; planted: Planted } | undefined> {
  try {
    const reader = await connection.runAndReadAll('SELECT version, planted FROM bench_meta');
    const [row] = reader.getRowObjectsJson();
    return row ? { version: Number(row.version), planted: JSON.parse(String(row.planted)) as Planted } : undefined;
  } catch {
    return undefined;
  }
}

async function plantedCounts(connection: DuckDBConnection, rows: number): Promise<Planted> {
  const count = (kind: string) => `count(*) FILTER (WHERE kind = '${kind}')`;
  const reader = await connection.runAndReadAll(`SELECT
      ${count('missing_in_new')} AS missing_in_new, ${count('missing_in_legacy')} AS missing_in_legacy,
      ${count('within_tolerance')} AS within_tolerance,
      ${BENCH_METRICS.map((metric) => `${count(`mismatch_${metric}`)} AS ${metric}`).join(', ')},
      count(DISTINCT client_id) FILTER (WHERE kind IS NOT NULL AND kind <> 'within_tolerance') AS failing_clients
    FROM (${baseRows(rows)})`);
  const [row] = reader.getRowObjectsJson();
  const n = (name: string) => Number(row?.[name]);
  return {
    legacyRows: rows - n('missing_in_legacy'),
    newRows: rows - n('missing_in_new'),
    matched: rows - n('missing_in_legacy') - n('missing_in_new'),
    missingInNew: n('missing_in_new'),
    missingInLegacy: n('missing_in_legacy'),
    withinTolerance: n('within_tolerance'),
    mismatched: Object.fromEntries(BENCH_METRICS.map((metric) => [metric, n(metric)])) as Record<BenchMetric, number>,
    failingClients: n('failing_clients'),
  };
}

/**
 * Makes `path` a DuckDB file with tables `legacy` and `new` of `rows` generated rows (less the planted missing
 * ones), and returns what was planted. A file from an earlier run with the same size and generator is reused.
 */
export async function ensureDataset(path: string, rows: number): Promise<{ planted: Planted; generatedMs?: number }> {
  if (existsSync(path)) {
    const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
    const connection = await instance.connect();
    const meta = await readPlanted(connection);
    connection.closeSync();
    instance.closeSync();
    if (meta?.version === GENERATOR_VERSION && meta.planted.legacyRows + meta.planted.missingInLegacy === rows) return meta;
  }
  const started = performance.now();
  mkdirSync(dirname(path), { recursive: true });
  // Built under another name and renamed at the end, so an interrupted run never leaves a file that looks done.
  const partial = `${path}.partial`;
  rmSync(partial, { force: true });
  rmSync(`${partial}.wal`, { force: true });
  const instance = await DuckDBInstance.create(partial);
  const connection = await instance.connect();
  await connection.run(`CREATE TEMP VIEW base AS ${baseRows(rows)}`);
  await connection.run(`CREATE TABLE legacy AS SELECT ${KEY_AND_ATTRIBUTES}, ${BENCH_METRICS.join(', ')} FROM base WHERE kind IS DISTINCT FROM 'missing_in_legacy'`);
  await connection.run(`CREATE TABLE new AS SELECT ${KEY_AND_ATTRIBUTES}, ${BENCH_METRICS.map(newValue).join(', ')} FROM base WHERE kind IS DISTINCT FROM 'missing_in_new'`);
  const planted = await plantedCounts(connection, rows);
  await connection.run('CREATE TABLE bench_meta (version INTEGER, planted VARCHAR)');
  await connection.run('INSERT INTO bench_meta VALUES ($1, $2)', [GENERATOR_VERSION, JSON.stringify(planted)]);
  await connection.run('CHECKPOINT');
  connection.closeSync();
  instance.closeSync();
  rmSync(path, { force: true });
  renameSync(partial, path);
  return { planted, generatedMs: performance.now() - started };
}

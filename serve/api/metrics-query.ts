import { z } from 'zod';
import { addDays, isRealIsoDate } from '../../core/dates.js';
import { BoscoError } from '../../core/errors.js';
import { PLATFORMS, type Platform } from '../../core/metric-row.js';
import type { SqlDialect, SqlValue, Warehouse } from '../../core/warehouse/index.js';
import { BUILT_IN_MAPPINGS, LEGACY_EXPORT_TABLE } from '../../legacy-adapter/legacy-schema.js';
import { compileMapping } from '../../legacy-adapter/mapping.js';
import { SERVING_TABLES } from '../../new-pipeline/load/pipeline-tables.js';

/** Longest range one request may ask for, in days, both ends included. */
export const MAX_RANGE_DAYS = 366;

export const GRANULARITIES = ['day', 'total'] as const;

export interface MetricsRequest {
  clientId: string;
  from: string;
  to: string;
  platform?: Platform;
  granularity: (typeof GRANULARITIES)[number];
}

const isoDate = z.string().refine(isRealIsoDate, 'expected a real date written YYYY-MM-DD');

const QuerySchema = z
  .object({ from: isoDate, to: isoDate, platform: z.enum(PLATFORMS).optional(), granularity: z.enum(GRANULARITIES).default('day') })
  .strict();

const ClientIdSchema = z.string().min(1).max(200);

const HINTS: Record<string, string> = {
  from: 'give from and to as YYYY-MM-DD with from ≤ to, e.g. ?from=2026-03-01&to=2026-03-30',
  to: `give from and to as YYYY-MM-DD, at most ${MAX_RANGE_DAYS} days apart; ask for a longer period in several requests`,
  platform: `platform is one of ${PLATFORMS.join(', ')}; leave it out for all platforms`,
  granularity: 'granularity is day (one row per day) or total (one row for the range)',
};

/** The request's parameters, checked; a bad one is a USAGE error (400) naming the parameter and the fix. */
export function parseMetricsRequest(clientId: unknown, query: unknown): MetricsRequest {
  const id = ClientIdSchema.safeParse(clientId);
  if (!id.success) throw new BoscoError('USAGE', 'the client id in the path is empty or too long', { hint: 'ask for /v1/clients/<client id>/metrics' });
  const parsed = QuerySchema.safeParse(query ?? {});
  if (parsed.success) {
    const { from, to } = parsed.data;
    // Checked only once both are real dates: zod would run an object's refinements over unparsed fields too.
    if (from > to) throw new BoscoError('USAGE', `from ${from} is after to ${to}`, { hint: HINTS.from });
    if (addDays(from, MAX_RANGE_DAYS - 1) < to) throw new BoscoError('USAGE', `from ${from} to ${to} is longer than ${MAX_RANGE_DAYS} days`, { hint: HINTS.to });
    return { clientId: id.data, ...parsed.data };
  }
  const issue = parsed.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    throw new BoscoError('USAGE', `unknown parameter${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`, { hint: 'parameters are from, to, platform and granularity' });
  }
  const field = String(issue.path[0] ?? 'from');
  const given = (query as Record<string, unknown> | undefined)?.[field];
  const message = issue.code !== 'invalid_type' ? issue.message : given === undefined ? 'is required' : 'must be given once';
  throw new BoscoError('USAGE', `${field}: ${message}`, { hint: HINTS[field] ?? HINTS.from });
}

/** Which side's rows a client is served from. */
export type ServingSide = 'legacy' | 'new';

/** A side's rows read as canonical columns: an SQL expression per canonical column over `from`. */
export interface CanonicalRelation {
  from: string;
  columns: Record<string, string>;
}

function qualified(d: SqlDialect, table: string): string {
  return table.split('.').map((part) => d.quoteIdent(part)).join('.');
}

/**
 * The side's served rows: the new pipeline's serving table, or the legacy export read through the built-in
 * `bosco_legacy_v1` mapping (the same translation the reconciler applies). A missing table is SOURCE_NOT_FOUND.
 */
export async function servingRelation(warehouse: Warehouse, side: ServingSide): Promise<CanonicalRelation> {
  const d = warehouse.dialect;
  const table = side === 'new' ? SERVING_TABLES.metricRows : LEGACY_EXPORT_TABLE;
  const from = qualified(d, table);
  const columns = await warehouse.describe(from);
  if (columns.length === 0) {
    throw new BoscoError('SOURCE_NOT_FOUND', `the ${side} side has no rows to serve yet: ${table} does not exist`, {
      hint: side === 'new' ? 'the new pipeline loads it (bosco pipeline run, or the shadow run for live clients)' : 'the legacy export writes it (bosco legacy run)',
    });
  }
  const compiled = compileMapping(side === 'new' ? undefined : BUILT_IN_MAPPINGS.bosco_legacy_v1, columns, d);
  const [missing] = compiled.missing;
  if (missing) {
    throw new BoscoError('SOURCE_MISSING_COLUMN', `${table} has no column '${missing.column}' (for ${missing.canonical})`, { hint: `the ${side} side's table is not in the expected shape; check what wrote it` });
  }
  return { from, columns: compiled.expressions };
}

/** The aggregate query for one request, with every value the caller gave bound as a parameter. */
export function metricsStatement(relation: CanonicalRelation, request: MetricsRequest): { sql: string; params: SqlValue[] } {
  const c = relation.columns;
  const byDay = request.granularity === 'day';
  const groups = byDay ? [`${c.date} AS date`, `${c.currency} AS currency`] : [`${c.currency} AS currency`];
  const where = [`${c.client_id} = ?`, `${c.date} BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)`, ...(request.platform ? [`${c.platform} = ?`] : [])];
  const ordinals = groups.map((_, i) => i + 1).join(', ');
  const sql =
    `SELECT ${groups.join(', ')}, round(sum(${c.spend}), 6) AS spend, sum(${c.impressions}) AS impressions, sum(${c.clicks}) AS clicks, ` +
    `round(sum(${c.conversions}), 6) AS conversions, round(sum(${c.revenue}), 6) AS revenue ` +
    `FROM ${relation.from} WHERE ${where.join(' AND ')} GROUP BY ${ordinals} ORDER BY ${ordinals}`;
  return { sql, params: [request.clientId, request.from, request.to, ...(request.platform ? [request.platform] : [])] };
}

/** One row of the answer: a day's (or the range's) metrics in one currency, with the derived ratios. */
export interface MetricsRow {
  /** Absent for granularity=total. */
  date?: string;
  currency: string | null;
  spend: number | null;
  impressions: number | null;
  clicks: number | null;
  conversions: number | null;
  revenue: number | null;
  /** clicks / impressions */
  ctr: number | null;
  /** spend / clicks */
  cpc: number | null;
  /** spend / conversions */
  cpa: number | null;
  /** revenue / spend */
  roas: number | null;
}

const num = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
const ratio = (a: number | null, b: number | null): number | null => (a === null || b === null || b === 0 ? null : a / b);

/** Turns summed rows into the answer's rows; never sums across currencies (each currency is its own row). */
export function toMetricsRows(rows: ReadonlyArray<Record<string, unknown>>, granularity: MetricsRequest['granularity']): MetricsRow[] {
  return rows.map((row) => {
    const sums = { spend: num(row.spend), impressions: num(row.impressions), clicks: num(row.clicks), conversions: num(row.conversions), revenue: num(row.revenue) };
    return {
      ...(granularity === 'day' ? { date: String(row.date) } : {}),
      currency: row.currency === null || row.currency === undefined ? null : String(row.currency),
      ...sums,
      ctr: ratio(sums.clicks, sums.impressions),
      cpc: ratio(sums.spend, sums.clicks),
      cpa: ratio(sums.spend, sums.conversions),
      roas: ratio(sums.revenue, sums.spend),
    };
  });
}

// Each side's relation per open warehouse: describing the table costs about as much as the query itself.
const relations = new WeakMap<Warehouse, Map<ServingSide, CanonicalRelation>>();

/**
 * The request answered from `side`'s rows. The side's table is described once and remembered; when a query over a
 * remembered description fails, the table is described again and the query retried once, so a table dropped or
 * reshaped since is answered for as it is now.
 */
export async function queryMetrics(warehouse: Warehouse, side: ServingSide, request: MetricsRequest): Promise<MetricsRow[]> {
  const known = relations.get(warehouse) ?? relations.set(warehouse, new Map()).get(warehouse)!;
  const run = async (relation: CanonicalRelation) => {
    const { sql, params } = metricsStatement(relation, request);
    return toMetricsRows(await warehouse.query(sql, params), request.granularity);
  };
  const fresh = async () => {
    known.delete(side);
    const relation = await servingRelation(warehouse, side);
    known.set(side, relation);
    return relation;
  };
  const remembered = known.get(side);
  if (!remembered) return run(await fresh());
  try {
    return await run(remembered);
  } catch {
    return run(await fresh());
  }
}

import { METRIC_COLUMNS } from '../core/metric-row.js';
import type { MetricTolerances } from '../core/config.js';
import type { ComparisonSpec, Tolerance, ToleranceTable } from './types.js';

/** Money and conversions match to the cent; counts match exactly. */
export const DEFAULT_TOLERANCES: Record<string, Tolerance> = {
  spend: { abs: 0.01, rel: 0 },
  revenue: { abs: 0.01, rel: 0 },
  conversions: { abs: 0.01, rel: 0 },
  impressions: { abs: 0, rel: 0 },
  clicks: { abs: 0, rel: 0 },
};

/** The canonical comparison: MetricRow's key and metrics. */
export const METRIC_ROW_COMPARISON: ComparisonSpec = {
  keys: ['client_id', 'date', 'platform', 'account_id', 'campaign_id'],
  clientKey: 'client_id',
  metrics: METRIC_COLUMNS,
};

/**
 * Slack for binary floating point: 100.01 − 100 is 0.010000000000005 in doubles, which must still match a
 * 0.01 tolerance. Twelve significant digits is far below any tolerance a person would configure.
 */
export function floatSlack(legacy: number, next: number): number {
  return 1e-12 * Math.max(1, Math.abs(legacy), Math.abs(next));
}

/** The matching rule. NULL matches only NULL; NULL against 0 is a mismatch. */
export function valuesMatch(legacy: number | null, next: number | null, tolerance: Tolerance): boolean {
  if (legacy === null || next === null) return legacy === next;
  const allowed = Math.max(tolerance.abs, tolerance.rel * Math.abs(legacy));
  return Math.abs(next - legacy) <= allowed + floatSlack(legacy, next);
}

/** A value's interval: both bounds, or NULL where a side has none. */
export interface Interval {
  lower: number | null;
  upper: number | null;
}

const inside = (value: number, interval: Interval | undefined) =>
  interval !== undefined && interval.lower !== null && interval.upper !== null && interval.lower <= value && value <= interval.upper;

/**
 * The matching rule for values with intervals (forecasts): either side's value inside the other side's interval,
 * bounds included, or else `valuesMatch`. NULL still matches only NULL.
 */
export function intervalsMatch(legacy: number | null, next: number | null, tolerance: Tolerance, legacyInterval?: Interval, newInterval?: Interval): boolean {
  if (legacy !== null && next !== null && (inside(next, legacyInterval) || inside(legacy, newInterval))) return true;
  return valuesMatch(legacy, next, tolerance);
}

function merge(base: Tolerance, override: { abs?: number; rel?: number } | undefined): Tolerance {
  return { abs: override?.abs ?? base.abs, rel: override?.rel ?? base.rel };
}

/** Builds the tolerance table from config: built-in defaults, then config defaults, then per-client overrides. */
export function buildToleranceTable(
  metrics: readonly string[],
  configured: MetricTolerances = {},
  perClient: Record<string, { tolerances: MetricTolerances }> = {},
): ToleranceTable {
  const defaults: Record<string, Tolerance> = {};
  for (const metric of metrics) {
    defaults[metric] = merge(DEFAULT_TOLERANCES[metric] ?? { abs: 0, rel: 0 }, configured[metric as keyof MetricTolerances]);
  }
  const clients: ToleranceTable['clients'] = {};
  for (const [clientId, { tolerances }] of Object.entries(perClient)) {
    clients[clientId] = {};
    for (const metric of metrics) {
      const override = tolerances[metric as keyof MetricTolerances];
      if (override) clients[clientId][metric] = merge(defaults[metric]!, override);
    }
  }
  return { defaults, clients };
}

export function toleranceFor(table: ToleranceTable, clientId: string, metric: string): Tolerance {
  return table.clients[clientId]?.[metric] ?? table.defaults[metric] ?? { abs: 0, rel: 0 };
}

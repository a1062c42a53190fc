import { KEY_COLUMNS, METRIC_COLUMNS, type MetricRow } from '../../core/metric-row.js';
import { isKnownCurrency } from './currencies.js';
import { SAMPLE_SIZE, type CheckOutcome, type QualityCheck } from './partition-quality.js';

/** A rule every canonical row of a partition must keep. */
export interface RowRule {
  name: string;
  description: string;
  /** What a broken rule does to the partition. */
  severity: Exclude<CheckOutcome, 'pass'>;
  /** The row's offence, as a sample entry; undefined when the row keeps the rule. */
  test(row: MetricRow): Record<string, unknown> | undefined;
}

const where = (row: MetricRow) => ({ account_id: row.account_id, campaign_id: row.campaign_id });

export const ROW_RULES: readonly RowRule[] = [
  {
    name: 'non_negative',
    description: 'no metric is negative',
    severity: 'quarantine',
    test(row) {
      const negative = METRIC_COLUMNS.filter((metric) => (row[metric] ?? 0) < 0);
      return negative.length > 0 ? { ...where(row), negative: Object.fromEntries(negative.map((metric) => [metric, row[metric]])) } : undefined;
    },
  },
  {
    name: 'clicks_le_impressions',
    description: 'clicks do not exceed impressions',
    // A warning: platforms count clicks and impressions in separate systems, and a few rows over is real data.
    severity: 'warn',
    test: (row) => (row.clicks !== null && row.impressions !== null && row.clicks > row.impressions ? { ...where(row), clicks: row.clicks, impressions: row.impressions } : undefined),
  },
  {
    name: 'currency_known',
    description: 'the currency is an ISO 4217 code',
    severity: 'quarantine',
    test: (row) => (isKnownCurrency(row.currency) ? undefined : { ...where(row), currency: row.currency }),
  },
  {
    name: 'key_not_empty',
    description: 'every key field has a value',
    severity: 'quarantine',
    test(row) {
      const empty = KEY_COLUMNS.filter((column) => typeof row[column] !== 'string' || row[column].trim() === '');
      return empty.length > 0 ? { ...where(row), empty } : undefined;
    },
  },
];

/** One result per rule over a partition's rows: how many rows break it, and the first few of them. */
export function checkRows(rows: readonly MetricRow[], rules: readonly RowRule[] = ROW_RULES): QualityCheck[] {
  return rules.map((rule) => {
    const offences = rows.map((row) => rule.test(row)).filter((offence) => offence !== undefined);
    return {
      check: `rows.${rule.name}`,
      outcome: offences.length > 0 ? rule.severity : 'pass',
      count: offences.length,
      message: offences.length > 0 ? `${offences.length} of ${rows.length} rows break the rule: ${rule.description}` : `every row keeps the rule: ${rule.description}`,
      sample: offences.slice(0, SAMPLE_SIZE),
    };
  });
}

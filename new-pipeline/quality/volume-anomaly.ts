import type { QualitySettings } from '../../core/config.js';
import { addDays } from '../../core/dates.js';
import type { MetricRow } from '../../core/metric-row.js';
import type { QualityCheck } from './partition-quality.js';

/** How much one partition held on one day: its canonical row count and spend (in the client's currency). */
export interface PartitionVolume {
  date: string;
  rows: number;
  spend: number;
}

/** The volume of a partition's rows; a platform without spend (Shopify) has 0. */
export function volumeOf(date: string, rows: readonly MetricRow[]): PartitionVolume {
  const cents = rows.reduce((sum, row) => sum + Math.round((row.spend ?? 0) * 100), 0);
  return { date, rows: rows.length, spend: cents / 100 };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Compares a partition's row count and spend with the median of the same partition over its trailing days and
 * warns when either leaves the configured band: above `ratio` × the median or below the median / `ratio`. Never
 * quarantines: a tenfold campaign launch is real. Days without a loaded partition are absent from `history`, not
 * zero; with fewer than `minHistoryDays` of them the comparison is skipped (and passes).
 */
export function checkVolume(current: PartitionVolume, history: readonly PartitionVolume[], settings: QualitySettings): QualityCheck[] {
  const from = addDays(current.date, -settings.trailingDays);
  const trailing = history.filter((day) => day.date >= from && day.date < current.date);
  const measures = [
    { name: 'rows', ratio: settings.volumeBand.rowsRatio },
    { name: 'spend', ratio: settings.volumeBand.spendRatio },
  ] as const;
  return measures.map(({ name, ratio }): QualityCheck => {
    const check = `volume.${name}`;
    if (trailing.length < settings.minHistoryDays) {
      return { check, outcome: 'pass', count: 0, message: `not compared: ${trailing.length} of the trailing ${settings.trailingDays} days have data, ${settings.minHistoryDays} needed`, sample: [] };
    }
    const value = current[name];
    const typical = median(trailing.map((day) => day[name]));
    const outside = value > typical * ratio || value < typical / ratio;
    const times = typical === 0 ? null : Math.round((value / typical) * 100) / 100;
    const sample = [{ value, median: typical, times, days: trailing.length }];
    const against = `the trailing ${settings.trailingDays}-day median ${typical}`;
    if (!outside) return { check, outcome: 'pass', count: 0, message: `${name} ${value} is within ${ratio}× of ${against}`, sample };
    return { check, outcome: 'warn', count: 1, message: `${name} ${value} is ${times === null ? 'not zero, against' : `${times}×`} ${against} (band ${ratio}×)`, sample };
  });
}

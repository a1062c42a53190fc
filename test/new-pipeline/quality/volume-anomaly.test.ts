import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../core/config.js';
import { addDays } from '../../../core/dates.js';
import { checkVolume, volumeOf, type PartitionVolume } from '../../../new-pipeline/quality/volume-anomaly.js';
import { canonicalRow, DAY } from '../../helpers/pipeline-factories.js';

const defaults = parseConfig({}, 'bosco.config.json').quality;

/** `days` of history before DAY, each with `rows` rows and `spend` spend. */
function history(days: number, rows = 40, spend = 1000): PartitionVolume[] {
  return Array.from({ length: days }, (_, i) => ({ date: addDays(DAY, -(i + 1)), rows, spend }));
}

const outcomes = (current: Omit<PartitionVolume, 'date'>, past = history(7), settings = defaults) =>
  checkVolume({ date: DAY, ...current }, past, settings).map((check) => `${check.check}:${check.outcome}`);

describe('volume anomaly', () => {
  it('has configurable defaults: rows band 2×, spend band 3×, over 7 trailing days with at least 3', () => {
    expect(defaults).toEqual({ volumeBand: { rowsRatio: 2, spendRatio: 3 }, trailingDays: 7, minHistoryDays: 3 });
  });

  it('passes a normal day', () => {
    expect(outcomes({ rows: 42, spend: 1100 })).toEqual(['volume.rows:pass', 'volume.spend:pass']);
  });

  it('warns, never quarantines, on a tenfold campaign-launch spike', () => {
    const checks = checkVolume({ date: DAY, rows: 400, spend: 10_000 }, history(7), defaults);
    expect(checks.map((check) => check.outcome)).toEqual(['warn', 'warn']);
    expect(checks[1]!.message).toBe('spend 10000 is 10× the trailing 7-day median 1000 (band 3×)');
    expect(checks[1]!.sample).toEqual([{ value: 10_000, median: 1000, times: 10, days: 7 }]);
  });

  it('warns on a collapse below the band as well as a spike above it', () => {
    expect(outcomes({ rows: 19, spend: 300 })).toEqual(['volume.rows:warn', 'volume.spend:warn']);
    expect(outcomes({ rows: 20, spend: 334 })).toEqual(['volume.rows:pass', 'volume.spend:pass']);
  });

  it('compares with the median, so one odd day in the history does not move the band', () => {
    const past = [...history(6), { date: addDays(DAY, -7), rows: 4000, spend: 1_000_000 }];
    expect(outcomes({ rows: 40, spend: 1000 }, past)).toEqual(['volume.rows:pass', 'volume.spend:pass']);
  });

  it('uses only the trailing days before the partition\'s day', () => {
    const past = [...history(2), { date: addDays(DAY, -8), rows: 40, spend: 1000 }, { date: DAY, rows: 40, spend: 1000 }, { date: addDays(DAY, 1), rows: 40, spend: 1000 }];
    const [rows] = checkVolume({ date: DAY, rows: 400, spend: 10_000 }, past, defaults);
    expect(rows).toMatchObject({ outcome: 'pass', message: 'not compared: 2 of the trailing 7 days have data, 3 needed' });
  });

  it('warns when there was no spend at all and now there is, but not on two quiet days', () => {
    expect(outcomes({ rows: 40, spend: 5 }, history(7, 40, 0))).toEqual(['volume.rows:pass', 'volume.spend:warn']);
    expect(outcomes({ rows: 40, spend: 0 }, history(7, 40, 0))).toEqual(['volume.rows:pass', 'volume.spend:pass']);
  });

  it('follows the configured band and window', () => {
    const quality = parseConfig({ quality: { volumeBand: { spendRatio: 20 }, trailingDays: 3, minHistoryDays: 3 } }, 'bosco.config.json').quality;
    expect(quality.volumeBand).toEqual({ rowsRatio: 2, spendRatio: 20 });
    expect(outcomes({ rows: 40, spend: 10_000 }, history(3), quality)).toEqual(['volume.rows:pass', 'volume.spend:pass']);
  });

  it('refuses a band that flags every day, and a history requirement longer than the window', () => {
    expect(() => parseConfig({ quality: { volumeBand: { rowsRatio: 1 } } }, 'bosco.config.json')).toThrow(/quality\.volumeBand\.rowsRatio/);
    expect(() => parseConfig({ quality: { trailingDays: 2 } }, 'bosco.config.json')).toThrow(/quality\.minHistoryDays: must not exceed trailingDays/);
    expect(() => parseConfig({ quality: { band: 3 } }, 'bosco.config.json')).toThrow(/unknown field 'band'/);
  });

  it('measures a partition\'s rows and spend in cents, a platform without spend as 0', () => {
    expect(volumeOf(DAY, [canonicalRow({ spend: 0.1 }), canonicalRow({ spend: 0.2 }), canonicalRow({ spend: null })])).toEqual({ date: DAY, rows: 3, spend: 0.3 });
  });
});

import { existsSync } from 'node:fs';
import { BoscoError } from '../../core/errors.js';
import type { Warehouse } from '../../core/warehouse/index.js';
import type { FxRateRow } from '../transform/currency-conversion.js';
import { ensurePipelineTables, SERVING_TABLES } from './pipeline-tables.js';

const FX_RATES_TABLE = SERVING_TABLES.fxRates;


const REQUIRED = ['date', 'base', 'quote', 'rate'] as const;

/**
 * Seeds the rates table from a CSV with columns date, base, quote, rate. Validated whole before anything is
 * written; a (date, base, quote) already present is replaced, so importing the same file twice changes nothing.
 */
export async function importFxRates(warehouse: Warehouse, path: string): Promise<{ rates: number }> {
  if (!existsSync(path)) {
    throw new BoscoError('SOURCE_NOT_FOUND', `FX rates file ${path} does not exist`, { hint: 'pass a CSV with the columns date, base, quote, rate' });
  }
  await ensurePipelineTables(warehouse);
  const d = warehouse.dialect;
  const staged = 'bosco_fx_import';
  const columns = await warehouse.stageExternal(staged, { kind: 'file', path, format: 'csv' });
  const missing = REQUIRED.filter((name) => !columns.some((column) => column.name === name));
  if (missing.length > 0) {
    throw new BoscoError('SOURCE_MISSING_COLUMN', `${path}: missing column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')}`, {
      hint: `the file has ${columns.map((c) => c.name).join(', ') || 'no columns'}; FX rate files need date, base, quote, rate`,
    });
  }
  const parsed = `SELECT ${d.tryDate('date')} AS date, upper(base) AS base, upper(quote) AS quote, ${d.tryDouble('rate')} AS rate, date AS raw_date, rate AS raw_rate FROM ${staged}`;
  const [bad] = await warehouse.query(`SELECT
      ${d.countIf('date IS NULL')} AS bad_dates, min(raw_date) FILTER (WHERE date IS NULL) AS date_sample,
      ${d.countIf('rate IS NULL OR NOT rate > 0')} AS bad_rates, min(raw_rate) FILTER (WHERE rate IS NULL OR NOT rate > 0) AS rate_sample,
      (SELECT count(*) FROM (SELECT date, base, quote FROM (${parsed}) r GROUP BY date, base, quote HAVING count(*) > 1) x) AS repeated
    FROM (${parsed}) p`);
  const codes = await warehouse.query(`SELECT DISTINCT base AS code FROM (${parsed}) p UNION SELECT DISTINCT quote FROM (${parsed}) p`);
  const badCode = codes.map((row) => row.code).find((code) => typeof code !== 'string' || !/^[A-Z]{3}$/.test(code));
  const problem = (count: unknown) => Number(count ?? 0) > 0;
  if (problem(bad?.bad_dates)) {
    throw new BoscoError('SOURCE_MALFORMED', `${path}: column 'date' has ${bad!.bad_dates} value(s) that are not dates, e.g. '${bad!.date_sample}'`, { hint: 'write dates as YYYY-MM-DD' });
  }
  if (problem(bad?.bad_rates)) {
    throw new BoscoError('SOURCE_MALFORMED', `${path}: column 'rate' has ${bad!.bad_rates} value(s) that are not positive numbers, e.g. '${bad!.rate_sample}'`, { hint: 'a rate is how many units of quote buy one unit of base, e.g. 1.08' });
  }
  if (badCode !== undefined) {
    throw new BoscoError('SOURCE_MALFORMED', `${path}: '${String(badCode)}' in column 'base' or 'quote' is not a currency code`, { hint: 'use ISO 4217 codes such as USD, EUR' });
  }
  if (problem(bad?.repeated)) {
    throw new BoscoError('SOURCE_MALFORMED', `${path}: ${bad!.repeated} row(s) repeat a (date, base, quote) already in the file`, { hint: 'keep one rate per day and currency pair' });
  }
  return warehouse.transaction(async () => {
    await warehouse.run(`DELETE FROM ${FX_RATES_TABLE} f WHERE EXISTS (SELECT 1 FROM (${parsed}) p WHERE p.date = f.date AND p.base = f.base AND p.quote = f.quote)`);
    await warehouse.run(`INSERT INTO ${FX_RATES_TABLE} SELECT date, base, quote, rate FROM (${parsed}) p`);
    const [count] = await warehouse.query(`SELECT count(*) AS n FROM ${staged}`);
    return { rates: Number(count?.n ?? 0) };
  });
}

/** Every rate for the given days, for the pure currency conversion to look up. */
export async function fxRatesFor(warehouse: Warehouse, dates: readonly string[]): Promise<FxRateRow[]> {
  if (dates.length === 0) return [];
  await ensurePipelineTables(warehouse);
  const placeholders = dates.map(() => 'CAST(? AS DATE)').join(', ');
  const rows = await warehouse.query(`SELECT date, base, quote, rate FROM ${FX_RATES_TABLE} WHERE date IN (${placeholders}) ORDER BY date, base, quote`, dates);
  return rows.map((row) => ({ date: String(row.date), base: String(row.base), quote: String(row.quote), rate: Number(row.rate) }));
}

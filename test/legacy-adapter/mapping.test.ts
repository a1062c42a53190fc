import { describe, expect, it } from 'vitest';
import { duckdbDialect } from '../../core/warehouse/duckdb/duckdb-dialect.js';
import type { ColumnInfo } from '../../core/warehouse/index.js';
import { BOSCO_LEGACY_V1 } from '../../legacy-adapter/legacy-schema.js';
import { compileMapping, sourceColumnsOf } from '../../legacy-adapter/mapping.js';

const text = (name: string): ColumnInfo => ({ name, type: 'VARCHAR', kind: 'text' });
const number = (name: string): ColumnInfo => ({ name, type: 'BIGINT', kind: 'number' });
const CANONICAL_TEXT = ['client_id', 'date', 'platform', 'account_id', 'campaign_id', 'currency', 'spend', 'impressions', 'clicks', 'conversions', 'revenue'].map(text);

describe('declarative mapping', () => {
  it('reads canonical columns by their own names when nothing is mapped', () => {
    const compiled = compileMapping(undefined, CANONICAL_TEXT, duckdbDialect);
    expect(compiled.missing).toEqual([]);
    expect(compiled.expressions.client_id).toBe('"client_id"');
    expect(compiled.checks.map((c) => c.canonical)).toEqual(['date', 'spend', 'impressions', 'clicks', 'conversions', 'revenue']);
  });

  it('lists the source columns a mapping reads, once each', () => {
    expect(sourceColumnsOf(BOSCO_LEGACY_V1)).toEqual(['client_ref', 'stat_ts', 'src', 'account_ref', 'campaign_ref', 'ccy', 'cost_micros', 'impr', 'clk', 'conv', 'rev_micros']);
  });

  it('scales micros by division so cents stay exact', () => {
    const compiled = compileMapping({ columns: { spend: { column: 'cost_micros', scale: 0.000001 } } }, [...CANONICAL_TEXT, number('cost_micros')], duckdbDialect);
    expect(compiled.expressions.spend).toBe('(TRY_CAST("cost_micros" AS DOUBLE) / 1000000.0)');
    expect(compiled.checks.find((c) => c.canonical === 'spend')).toBeUndefined();
  });

  it('translates values and passes unknown ones through', () => {
    const compiled = compileMapping({ columns: { platform: { column: 'src', values: { FB: 'meta_ads' } } } }, [...CANONICAL_TEXT, text('src')], duckdbDialect);
    expect(compiled.expressions.platform).toBe(`CASE "src" WHEN 'FB' THEN 'meta_ads' ELSE "src" END`);
  });

  it('uses a fixed value for every row', () => {
    const compiled = compileMapping({ columns: { currency: { fixed: "US'D" } } }, CANONICAL_TEXT, duckdbDialect);
    expect(compiled.expressions.currency).toBe(`'US''D'`);
  });

  it('takes the calendar day of a timestamp column in the given zone', () => {
    const compiled = compileMapping({ columns: { date: { column: 'ts', type: 'timestamp', timeZone: 'Europe/Berlin' } } }, [...CANONICAL_TEXT, text('ts')], duckdbDialect);
    expect(compiled.expressions.date).toContain("timezone('Europe/Berlin'");
  });

  it('reports every mapped column the source lacks', () => {
    const compiled = compileMapping({ columns: { client_id: 'client_ref' } }, CANONICAL_TEXT.filter((c) => c.name !== 'spend'), duckdbDialect);
    expect(compiled.missing).toEqual([{ canonical: 'client_id', column: 'client_ref' }, { canonical: 'spend', column: 'spend' }]);
  });
});

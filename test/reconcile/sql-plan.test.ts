import { describe, expect, it } from 'vitest';
import { bigqueryDialect } from '../../core/warehouse/bigquery/bigquery-dialect.js';
import { duckdbDialect } from '../../core/warehouse/duckdb/duckdb-dialect.js';
import { comparisonPlan } from '../../reconcile/sql-plan.js';
import { buildToleranceTable, METRIC_ROW_COMPARISON } from '../../reconcile/tolerance.js';

const tolerances = buildToleranceTable(METRIC_ROW_COMPARISON.metrics, {}, { "o'brien": { tolerances: { spend: { abs: 1 } } } });

describe('the reconcile SQL plan', () => {
  it('speaks GoogleSQL through the BigQuery dialect', () => {
    const plan = comparisonPlan(bigqueryDialect, METRIC_ROW_COMPARISON, tolerances);
    const sql = [plan.comparison('`l`', '`n`', '`dups`'), plan.duplicateHashes('`l`'), plan.differences('`l`', '`n`', 10), plan.duplicateKeys('`l`', '`n`', '`c`')].join('\n');
    expect(sql).toContain('SAFE_CAST(');
    expect(sql).toContain('FARM_FINGERPRINT(');
    expect(sql).toContain('`client_id`');
    expect(sql).not.toContain('FILTER (WHERE');
    expect(sql).not.toMatch(/TRY_CAST|"client_id"/);
  });

  it('speaks DuckDB through the DuckDB dialect', () => {
    const sql = comparisonPlan(duckdbDialect, METRIC_ROW_COMPARISON, tolerances).comparison('l', 'n');
    expect(sql).toContain('hash(');
    expect(sql).toContain('"client_id"');
  });

  it('quotes client ids from config as literals in either dialect', () => {
    expect(comparisonPlan(duckdbDialect, METRIC_ROW_COMPARISON, tolerances).comparison('l', 'n')).toContain("WHEN 'o''brien' THEN 1");
    expect(comparisonPlan(bigqueryDialect, METRIC_ROW_COMPARISON, tolerances).comparison('l', 'n')).toContain("WHEN 'o\\'brien' THEN 1");
  });

  it('leaves duplicate filtering out when there are no duplicates', () => {
    const plan = comparisonPlan(duckdbDialect, METRIC_ROW_COMPARISON, tolerances);
    expect(plan.comparison('l', 'n')).not.toContain('LEFT JOIN');
    expect(plan.comparison('l', 'n', 'dups')).toContain('LEFT JOIN dups');
  });

  it('never lets a limit become SQL text', () => {
    const sql = comparisonPlan(duckdbDialect, METRIC_ROW_COMPARISON, tolerances).differences('l', 'n', 12.7);
    expect(sql.trim().endsWith('LIMIT 12')).toBe(true);
  });
});

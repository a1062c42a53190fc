import type { SqlDialect } from '../types.js';

export const duckdbDialect: SqlDialect = {
  name: 'duckdb',
  quoteIdent: (name) => `"${name.replaceAll('"', '""')}"`,
  quoteLiteral: (value) => `'${value.replaceAll("'", "''")}'`,
  dateLiteral: (isoDate) => `DATE '${isoDate.replaceAll("'", "''")}'`,
  countIf: (condition) => `count(*) FILTER (WHERE ${condition})`,
  minIf: (expression, condition) => `min(${expression}) FILTER (WHERE ${condition})`,
  hashOf: (expressions) => `hash(${expressions.join(', ')})`,
  tryDouble: (expression) => `TRY_CAST(${expression} AS DOUBLE)`,
  tryDate: (expression) => `TRY_CAST(${expression} AS DATE)`,
  timestampToDate: (expression, timeZone) =>
    timeZone
      ? `CAST(timezone('${timeZone.replaceAll("'", "''")}', TRY_CAST(${expression} AS TIMESTAMPTZ)) AS DATE)`
      : `CAST(TRY_CAST(${expression} AS TIMESTAMP) AS DATE)`,
  text: (expression) => `CAST(${expression} AS VARCHAR)`,
  greatest: (a, b) => `greatest(${a}, ${b})`,
  anyValue: (expression) => `any_value(${expression})`,
  columnType: (kind) => ({ text: 'VARCHAR', date: 'DATE', integer: 'BIGINT', double: 'DOUBLE', timestamp: 'TIMESTAMPTZ', json: 'JSON' })[kind],
  createTempTable: (name, select) => `CREATE OR REPLACE TEMP TABLE ${name} AS ${select}`,
  createTempView: (name, select) => `CREATE OR REPLACE TEMP VIEW ${name} AS ${select}`,
};

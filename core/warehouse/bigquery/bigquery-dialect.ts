import type { SqlDialect } from '../types.js';

/** GoogleSQL for BigQuery, as the BigQuery warehouse (bigquery-warehouse.ts) runs it. */
export const bigqueryDialect: SqlDialect = {
  name: 'bigquery',
  quoteIdent: (name) => `\`${name.replaceAll('\\', '\\\\').replaceAll('`', '\\`')}\``,
  quoteLiteral: (value) => `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`,
  dateLiteral: (isoDate) => `DATE '${isoDate.replaceAll("'", '')}'`,
  countIf: (condition) => `COUNTIF(${condition})`,
  // GoogleSQL has no aggregate FILTER clause; MIN ignores the NULLs the IF leaves.
  minIf: (expression, condition) => `MIN(IF(${condition}, ${expression}, NULL))`,
  hashOf: (expressions) => `FARM_FINGERPRINT(TO_JSON_STRING([${expressions.map((e) => `CAST(${e} AS STRING)`).join(', ')}]))`,
  tryDouble: (expression) => `SAFE_CAST(${expression} AS FLOAT64)`,
  tryDate: (expression) => `SAFE_CAST(${expression} AS DATE)`,
  timestampToDate: (expression, timeZone) =>
    timeZone
      ? `DATE(SAFE_CAST(${expression} AS TIMESTAMP), '${timeZone.replaceAll("'", '')}')`
      : `DATE(SAFE_CAST(${expression} AS TIMESTAMP))`,
  text: (expression) => `CAST(${expression} AS STRING)`,
  greatest: (a, b) => `GREATEST(${a}, ${b})`,
  anyValue: (expression) => `ANY_VALUE(${expression})`,
  columnType: (kind) => ({ text: 'STRING', date: 'DATE', integer: 'INT64', double: 'FLOAT64', timestamp: 'TIMESTAMP', json: 'JSON' })[kind],
  // OR REPLACE: a session can run several reconciles, each making the same working tables.
  createTempTable: (name, select) => `CREATE OR REPLACE TEMP TABLE ${name} AS ${select}`,
  // A session has temp tables only; this one holds what the view would have read, queried once.
  createTempView: (name, select) => `CREATE OR REPLACE TEMP TABLE ${name} AS ${select}`,
};

import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { DuckDbWarehouse } from '../../core/warehouse/duckdb/duckdb-warehouse.js';
import type { SqlValue } from '../../core/warehouse/index.js';
import { CANONICAL_COLUMNS } from '../../core/metric-row.js';

/** A cell a test writes: bigint for ids that must keep every digit, null for an empty cell. */
export type Cell = string | number | bigint | boolean | null;
export type TestRow = Record<string, Cell>;

export const TEST_DATE = '2026-03-01';

/** A canonical metric row with plausible defaults; override any column, or add extra ones. */
export function metricRow(overrides: TestRow = {}): TestRow {
  return {
    client_id: 'acme',
    date: TEST_DATE,
    platform: 'google_ads',
    account_id: 'acct-1',
    campaign_id: 'camp-1',
    currency: 'USD',
    spend: 10,
    impressions: 1000,
    clicks: 50,
    conversions: 2,
    revenue: 40,
    ...overrides,
  };
}

/** Every column of `rows`, in the order first seen. */
export function columnsOf(rows: readonly TestRow[]): string[] {
  return [...new Set(rows.flatMap((row) => Object.keys(row)))];
}

function csvCell(value: Cell | undefined): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * Writes a CSV file with a header. A null cell is written empty; other cells are written as they are (no
 * padding is trimmed, nothing is quoted unless it must be), so a test controls the bytes a user would have.
 */
export function writeCsv(path: string, rows: readonly TestRow[], columns: readonly string[] = columnsOf(rows)): string {
  const lines = [columns.map(csvCell).join(','), ...rows.map((row) => columns.map((column) => csvCell(row[column])).join(','))];
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

/** One JSON object per line. A bigint is written as a bare JSON number with every digit. */
export function jsonLine(row: TestRow): string {
  const fields = Object.entries(row).map(([key, value]) => `${JSON.stringify(key)}:${typeof value === 'bigint' ? value.toString() : JSON.stringify(value)}`);
  return `{${fields.join(',')}}`;
}

export function writeJsonl(path: string, rows: readonly TestRow[]): string {
  writeFileSync(path, rows.map(jsonLine).join('\n') + '\n');
  return path;
}

/** SQL types of the canonical columns, per engine. */
const CANONICAL_TYPES: Record<string, { duckdb: string; postgres: string }> = {
  text: { duckdb: 'VARCHAR', postgres: 'text' },
  date: { duckdb: 'DATE', postgres: 'date' },
  integer: { duckdb: 'BIGINT', postgres: 'bigint' },
  decimal: { duckdb: 'DOUBLE', postgres: 'numeric(14,2)' },
};

/**
 * Column types for a table built from `rows`: `types` first, then the canonical type of a canonical column,
 * else guessed from the first value (integers → BIGINT, other numbers → DOUBLE, else text).
 */
function columnTypes(rows: readonly TestRow[], engine: 'duckdb' | 'postgres', types: Record<string, string> = {}): Array<[string, string]> {
  return columnsOf(rows).map((column) => {
    if (types[column]) return [column, types[column]];
    const canonical = CANONICAL_COLUMNS.find((c) => c.name === column);
    if (canonical) return [column, CANONICAL_TYPES[canonical.type]![engine]];
    const sample = rows.map((row) => row[column]).find((value) => value !== null && value !== undefined);
    const kind = typeof sample === 'bigint' || (typeof sample === 'number' && Number.isInteger(sample)) ? 'integer' : typeof sample === 'number' ? 'double' : 'text';
    const names = { integer: { duckdb: 'BIGINT', postgres: 'bigint' }, double: { duckdb: 'DOUBLE', postgres: 'double precision' }, text: { duckdb: 'VARCHAR', postgres: 'text' } };
    return [column, names[kind][engine]];
  });
}

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;
const qualified = (table: string) => table.split('.').map(quoteIdent).join('.');

function toSqlValue(value: Cell | undefined): SqlValue {
  return value === undefined ? null : typeof value === 'bigint' ? value.toString() : value;
}

/** Creates `table` (schema included, if qualified) in an open DuckDB warehouse and fills it. */
async function fillDuckDbTable(warehouse: DuckDbWarehouse, table: string, rows: readonly TestRow[], types?: Record<string, string>): Promise<void> {
  const columns = columnTypes(rows, 'duckdb', types);
  const parts = table.split('.');
  if (parts.length === 2) await warehouse.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(parts[0]!)}`);
  await warehouse.run(`CREATE OR REPLACE TABLE ${qualified(table)} (${columns.map(([name, type]) => `${quoteIdent(name)} ${type}`).join(', ')})`);
  if (rows.length === 0) return;
  const values = rows.flatMap((row) => columns.map(([name]) => toSqlValue(row[name])));
  const tuples = rows.map((_, r) => `(${columns.map((_, c) => `$${r * columns.length + c + 1}`).join(', ')})`);
  await warehouse.run(`INSERT INTO ${qualified(table)} VALUES ${tuples.join(', ')}`, values);
}

/** Writes `rows` as a table in a DuckDB file (created if needed); `types` overrides column types. */
export async function writeDuckDbTable(file: string, table: string, rows: readonly TestRow[], types?: Record<string, string>): Promise<string> {
  const warehouse = await DuckDbWarehouse.open({ path: file });
  try {
    await fillDuckDbTable(warehouse, table, rows, types);
  } finally {
    await warehouse.close();
  }
  return file;
}

/** Writes `rows` as a Parquet file through DuckDB's COPY; canonical columns get their canonical types. */
export async function writeParquet(path: string, rows: readonly TestRow[], types?: Record<string, string>): Promise<string> {
  const warehouse = await DuckDbWarehouse.open({ path: ':memory:' });
  try {
    await fillDuckDbTable(warehouse, 'rows_to_write', rows, types);
    await warehouse.run(`COPY rows_to_write TO '${path.replaceAll("'", "''")}' (FORMAT parquet)`);
  } finally {
    await warehouse.close();
  }
  return path;
}

export const PG_SERVER = 'postgres://postgres@127.0.0.1:5432';

/** A scratch PostgreSQL database for one test file; `cleanup` drops it. */
export interface ScratchPostgres {
  name: string;
  /** The source URI of a table in the scratch database, as `--legacy`/`--new` take it. */
  uri(table: string): string;
  query(sql: string, params?: readonly unknown[]): Promise<pg.QueryResult>;
  /** Creates `table` (schema included, if qualified) and fills it; `types` overrides column types. */
  createTable(table: string, rows: readonly TestRow[], types?: Record<string, string>): Promise<void>;
  cleanup(): Promise<void>;
}

async function withClient<T>(connectionString: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function createScratchPostgres(): Promise<ScratchPostgres> {
  const name = `bosco_test_${randomBytes(6).toString('hex')}`;
  await withClient(`${PG_SERVER}/postgres`, (admin) => admin.query(`CREATE DATABASE ${name}`));
  const client = new pg.Client({ connectionString: `${PG_SERVER}/${name}` });
  await client.connect();
  return {
    name,
    uri: (table) => `${PG_SERVER}/${name}?table=${encodeURIComponent(table)}`,
    query: (sql, params) => client.query(sql, params as unknown[]),
    async createTable(table, rows, types) {
      const columns = columnTypes(rows, 'postgres', types);
      const parts = table.split('.');
      if (parts.length === 2) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(parts[0]!)}`);
      await client.query(`CREATE TABLE ${qualified(table)} (${columns.map(([column, type]) => `${quoteIdent(column)} ${type}`).join(', ')})`);
      if (rows.length === 0) return;
      const values = rows.flatMap((row) => columns.map(([column]) => toSqlValue(row[column])));
      const tuples = rows.map((_, r) => `(${columns.map((_, c) => `$${r * columns.length + c + 1}`).join(', ')})`);
      await client.query(`INSERT INTO ${qualified(table)} VALUES ${tuples.join(', ')}`, values);
    },
    async cleanup() {
      await client.end().catch(() => undefined);
      await withClient(`${PG_SERVER}/postgres`, (admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

export const SOURCE_KINDS = ['csv', 'parquet', 'jsonl', 'ndjson', 'duckdb', 'postgres'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

/**
 * Writes `rows` as a source of the given kind named `name` (a file in `dir`, a table in a DuckDB file in `dir`,
 * or a table in the scratch PostgreSQL database) and returns the URI `--legacy`/`--new` take.
 */
export async function writeSource(kind: SourceKind, dir: string, name: string, rows: readonly TestRow[], postgres?: ScratchPostgres): Promise<string> {
  const path = join(dir, `${name}.${kind}`);
  switch (kind) {
    case 'csv':
      return writeCsv(path, rows);
    case 'jsonl':
    case 'ndjson':
      return writeJsonl(path, rows);
    case 'parquet':
      return writeParquet(path, rows);
    case 'duckdb':
      await writeDuckDbTable(path, `main.${name}`, rows);
      return `duckdb:${path}?table=main.${name}`;
    case 'postgres':
      if (!postgres) throw new Error('writeSource: a postgres source needs a scratch database');
      await postgres.createTable(`public.${name}`, rows);
      return postgres.uri(`public.${name}`);
  }
}

/** Opens the workspace warehouse a CLI run in `dir` left behind (`<dir>/.bosco/warehouse.duckdb`), for reading after it exits. */
export async function withWorkspace<T>(dir: string, work: (warehouse: DuckDbWarehouse) => Promise<T>): Promise<T> {
  const warehouse = await DuckDbWarehouse.open({ path: join(dir, '.bosco', 'warehouse.duckdb') });
  try {
    return await work(warehouse);
  } finally {
    await warehouse.close();
  }
}

/** How many runs and result rows the history in `dir` holds (0 when there is no history yet). */
export async function historyCounts(dir: string): Promise<{ runs: number; results: number }> {
  if (!existsSync(join(dir, '.bosco', 'warehouse.duckdb'))) return { runs: 0, results: 0 };
  return withWorkspace(dir, async (warehouse) => {
    const tables = await warehouse.query(`SELECT table_name FROM duckdb_tables() WHERE table_name IN ('reconcile_runs', 'reconcile_results')`);
    if (tables.length < 2) return { runs: 0, results: 0 };
    const [counts] = await warehouse.query('SELECT (SELECT count(*) FROM reconcile_runs) AS runs, (SELECT count(*) FROM reconcile_results) AS results');
    return { runs: Number(counts?.runs), results: Number(counts?.results) };
  });
}

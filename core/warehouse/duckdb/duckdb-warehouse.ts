import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { BoscoError, messageOf } from '../../errors.js';
import type { ColumnInfo, ColumnKind, ExternalSource, Row, SqlValue, Warehouse } from '../types.js';
import { duckdbDialect } from './duckdb-dialect.js';

export interface DuckDbWarehouseOptions {
  /** Database file, or `:memory:`. */
  path: string;
  /** e.g. `1GB`; work beyond it spills to `tempDirectory`. */
  memoryLimit?: string;
  threads?: number;
  /** Where spilled work goes; default beside the database file. */
  tempDirectory?: string;
}

export function columnKind(type: string): ColumnKind {
  const upper = type.toUpperCase();
  if (upper === 'VARCHAR' || upper.startsWith('VARCHAR(')) return 'text';
  if (upper === 'DATE') return 'date';
  if (upper.startsWith('TIMESTAMP')) return 'timestamp';
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|REAL|DECIMAL)/.test(upper)) {
    return 'number';
  }
  return 'other';
}

/** DuckDB values as plain JSON-safe JavaScript. */
function toPlain(value: DuckDBValue): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString();
  }
  const constructorName = (value as object).constructor?.name ?? '';
  if (constructorName === 'DuckDBDecimalValue') return Number(String(value));
  return String(value);
}

const EXTERNAL_KINDS = new Set(['file:csv', 'file:parquet', 'file:jsonl', 'database']);

export class DuckDbWarehouse implements Warehouse {
  readonly dialect = duckdbDialect;
  readonly externalKinds: ReadonlySet<string> = EXTERNAL_KINDS;
  private attached = 0;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  static async open(options: DuckDbWarehouseOptions): Promise<DuckDbWarehouse> {
    const inMemory = options.path === ':memory:';
    if (!inMemory) mkdirSync(dirname(options.path), { recursive: true });
    const settings: Record<string, string> = {};
    if (options.memoryLimit) settings.memory_limit = options.memoryLimit;
    if (options.threads) settings.threads = String(options.threads);
    if (options.tempDirectory ?? !inMemory) {
      settings.temp_directory = options.tempDirectory ?? join(dirname(options.path), 'tmp');
    }
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(options.path, settings);
    } catch (error) {
      const message = messageOf(error);
      if (/lock/i.test(message)) {
        throw new BoscoError('WORKSPACE_LOCKED', `the warehouse ${options.path} is in use by another process`, {
          hint: 'wait for the other bosco command to finish, then run again',
          cause: error,
        });
      }
      throw new BoscoError('WAREHOUSE_FAILED', `cannot open the warehouse ${options.path}: ${message}`, {
        hint: 'check that the workspace folder is writable and the file is a DuckDB database',
        cause: error,
      });
    }
    const connection = await instance.connect();
    // Timestamps without an offset, and timestamps cast to a calendar day, are read as UTC, never in the zone of
    // whichever machine runs the reconcile (DuckDB's default), so a day holds the same rows everywhere.
    await connection.run(`SET TimeZone = 'UTC'`);
    return new DuckDbWarehouse(instance, connection);
  }

  async query<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    const reader = await this.connection.runAndReadAll(sql, params as SqlValue[]);
    const columns = reader.columnNames();
    return reader.getRows().map((values) => {
      const row: Row = {};
      columns.forEach((name, index) => {
        row[name] = toPlain(values[index] as DuckDBValue);
      });
      return row as T;
    });
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<void> {
    await this.connection.run(sql, params as SqlValue[]);
  }

  async describe(relation: string): Promise<ColumnInfo[]> {
    try {
      const rows = await this.query<{ column_name: string; column_type: string }>(`DESCRIBE ${relation}`);
      return rows.map((row) => ({ name: row.column_name, type: row.column_type, kind: columnKind(row.column_type) }));
    } catch (error) {
      if (/does not exist/i.test(messageOf(error))) return [];
      throw error;
    }
  }

  async stageExternal(name: string, source: ExternalSource): Promise<ColumnInfo[]> {
    const q = this.dialect.quoteLiteral;
    if (source.kind === 'database') {
      const alias = `bosco_src_${++this.attached}`;
      await this.run(`ATTACH ${q(source.path)} AS ${alias} (READ_ONLY)`);
      const qualified = [alias, ...source.table.split('.')].map((part) => this.dialect.quoteIdent(part)).join('.');
      const columns = await this.describe(qualified);
      if (columns.length === 0) return [];
      await this.run(`CREATE OR REPLACE TEMP VIEW ${name} AS SELECT * FROM ${qualified}`);
      return columns;
    }
    switch (source.format) {
      case 'csv': {
        // Every column as text, exactly as written: keys are compared byte for byte, metrics cast later with checks.
        const quoted = source.quotedEmptyIsText ? ', allow_quoted_nulls = false' : '';
        await this.run(
          this.dialect.createTempTable(name, `SELECT * FROM read_csv(${q(source.path)}, header = true, all_varchar = true${quoted})`),
        );
        break;
      }
      case 'parquet':
        await this.run(`CREATE OR REPLACE TEMP VIEW ${name} AS SELECT * FROM read_parquet(${q(source.path)})`);
        break;
      case 'jsonl': {
        const fields = source.fields ?? [];
        const present = await this.query<Record<string, boolean>>(
          `SELECT ${fields.map((field, i) => `bool_or(json_exists(json, ${q(`$."${field}"`)})) AS f${i}`).join(', ') || 'true AS none'} FROM read_ndjson_objects(${q(source.path)})`,
        );
        const found = fields.filter((_, i) => present[0]?.[`f${i}`] === true);
        const select = found.map((field) => `json->>${q(`$."${field}"`)} AS ${this.dialect.quoteIdent(field)}`).join(', ');
        await this.run(this.dialect.createTempTable(name, `SELECT ${select || 'NULL AS bosco_empty'} FROM read_ndjson_objects(${q(source.path)})`));
        break;
      }
    }
    return this.describe(name);
  }

  async transaction<T>(work: () => Promise<T>): Promise<T> {
    await this.run('BEGIN TRANSACTION');
    try {
      const result = await work();
      await this.run('COMMIT');
      return result;
    } catch (error) {
      await this.run('ROLLBACK');
      throw error;
    }
  }

  async close(): Promise<void> {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

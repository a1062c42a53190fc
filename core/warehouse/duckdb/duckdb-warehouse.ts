import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { BoscoError, messageOf } from '../../errors.js';
import type { ColumnInfo, ColumnKind, ExternalSource, PartitionKey, PartitionRows, Row, SqlValue, TableSpec, Warehouse } from '../types.js';
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

/** Rows per INSERT of a partition replace: a few thousand parameters per statement. */
const INSERT_BATCH = 500;

/** A row's value for each of `columns`, the partition's columns filled in; a row outside the partition is refused. */
function partitionRowValues(table: string, partition: PartitionKey, columns: readonly string[], row: Row): SqlValue[] {
  const unknown = Object.keys(row).find((key) => !columns.includes(key));
  if (unknown !== undefined) {
    throw new BoscoError('WAREHOUSE_FAILED', `${table} has no column '${unknown}'`, { hint: `rows for ${table} may only carry its columns: ${columns.join(', ')}` });
  }
  return columns.map((column) => {
    const value = row[column] ?? null;
    if (column in partition) {
      if (value === null) return partition[column]!;
      if (String(value) !== String(partition[column])) {
        throw new BoscoError('WAREHOUSE_FAILED', `a row for ${table} has ${column} = ${String(value)}, outside the partition being replaced (${column} = ${String(partition[column])})`, {
          hint: 'replace each partition with its own rows only',
        });
      }
    }
    return value === null || typeof value !== 'object' ? (value as SqlValue) : JSON.stringify(value);
  });
}

export class DuckDbWarehouse implements Warehouse {
  readonly dialect = duckdbDialect;
  readonly externalKinds: ReadonlySet<string> = EXTERNAL_KINDS;
  private attached = 0;
  private inTransaction = false;

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

  async dropTemp(name: string): Promise<void> {
    const [found] = await this.query<{ kind: string }>(
      `SELECT 'VIEW' AS kind FROM duckdb_views() WHERE temporary AND view_name = ? UNION ALL SELECT 'TABLE' FROM duckdb_tables() WHERE temporary AND table_name = ?`,
      [name, name],
    );
    if (found) await this.run(`DROP ${found.kind} ${this.dialect.quoteIdent(name)}`);
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

  async createTable(table: string, spec: TableSpec): Promise<void> {
    const parts = table.split('.');
    if (parts.length > 1) await this.run(`CREATE SCHEMA IF NOT EXISTS ${this.quoteName(parts.slice(0, -1).join('.'))}`);
    const columns = spec.columns.map((c) => `${this.dialect.quoteIdent(c.name)} ${this.dialect.columnType(c.type)}${c.required ? ' NOT NULL' : ''}`);
    // partitionBy and clusterBy are layout hints for engines that have them; a DuckDB table is one block of rows.
    await this.run(`CREATE TABLE IF NOT EXISTS ${this.quoteName(table)} (${columns.join(', ')})`);
  }

  async replacePartition(table: string, partition: PartitionKey, rows: PartitionRows): Promise<void> {
    const target = this.quoteName(table);
    const columns = (await this.describe(target)).map((column) => column.name);
    if (columns.length === 0) {
      throw new BoscoError('WAREHOUSE_FAILED', `cannot replace a partition of ${table}: the table does not exist`, { hint: 'create it with createTable first' });
    }
    const keys = Object.keys(partition);
    const badKey = keys.find((key) => !columns.includes(key) || partition[key] === null);
    if (keys.length === 0 || badKey !== undefined) {
      throw new BoscoError('WAREHOUSE_FAILED', `cannot replace a partition of ${table}: ${badKey === undefined ? 'no partition columns given' : `'${badKey}' is not a column or is NULL`}`, {
        hint: `name the partition by columns of ${table} with non-NULL values, e.g. { client_id, platform, date }`,
      });
    }
    const q = (name: string) => this.dialect.quoteIdent(name);
    const list = columns.map(q).join(', ');
    const values = 'select' in rows ? [] : rows.map((row) => partitionRowValues(table, partition, columns, row));
    const replace = async () => {
      await this.run(`DELETE FROM ${target} WHERE ${keys.map((key) => `${q(key)} = ?`).join(' AND ')}`, keys.map((key) => partition[key]!));
      if ('select' in rows) {
        await this.run(`INSERT INTO ${target} (${list}) SELECT ${list} FROM (${rows.select}) AS bosco_source`, rows.params ?? []);
        return;
      }
      const tuple = `(${columns.map(() => '?').join(', ')})`;
      for (let start = 0; start < values.length; start += INSERT_BATCH) {
        const batch = values.slice(start, start + INSERT_BATCH);
        await this.run(`INSERT INTO ${target} (${list}) VALUES ${batch.map(() => tuple).join(', ')}`, batch.flat());
      }
    };
    if (this.inTransaction) await replace();
    else await this.transaction(replace);
  }

  async transaction<T>(work: () => Promise<T>): Promise<T> {
    if (this.inTransaction) {
      throw new BoscoError('INTERNAL', 'a transaction is already open on this warehouse', { hint: 'run the work inside the open transaction instead of opening another' });
    }
    await this.run('BEGIN TRANSACTION');
    this.inTransaction = true;
    try {
      const result = await work();
      await this.run('COMMIT');
      return result;
    } catch (error) {
      await this.run('ROLLBACK');
      throw error;
    } finally {
      this.inTransaction = false;
    }
  }

  async close(): Promise<void> {
    this.connection.closeSync();
    this.instance.closeSync();
  }

  private quoteName(name: string): string {
    return name.split('.').map((part) => this.dialect.quoteIdent(part)).join('.');
  }
}

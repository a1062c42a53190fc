import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DuckDBInstance, type DuckDBAppender, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
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

/** Rows a transaction may hold back before writing them (memory stays bounded however many partitions it replaces). */
const PENDING_ROWS = 20_000;

/** Statements that cannot change which tables exist or what columns they have; any other drops the column cache. */
const KEEPS_SCHEMA = /^\s*(SELECT|INSERT|DELETE|UPDATE|WITH|VALUES|FROM|DESCRIBE|SHOW|BEGIN|COMMIT|EXPLAIN|SUMMARIZE)\b/i;

/** Partitions of one table (all named by the same columns) replaced in the open transaction and not yet written. */
interface PendingReplace {
  table: string;
  columns: readonly ColumnInfo[];
  keys: readonly string[];
  /** By partition, in `keys` order: the partition's values and its new rows, each in table column order. */
  partitions: Map<string, { key: SqlValue[]; rows: SqlValue[][] }>;
}

type AppendValue = (appender: DuckDBAppender, value: SqlValue) => void;

/**
 * How to append a value to a column so it is stored as a bound INSERT parameter would be. The appender's own casts
 * differ from the engine's for some pairs (text into TIMESTAMPTZ drops the offset), so a value goes in directly only
 * where its type is the column's; anything else goes as a value of its own type, which the engine casts.
 */
function appendValueFor(columnType: string): AppendValue {
  const asValue: AppendValue = (appender, value) => (value === null ? appender.appendNull() : appender.appendValue(value));
  switch (columnType.toUpperCase()) {
    case 'VARCHAR':
    case 'JSON':
      return (appender, value) => (typeof value === 'string' ? appender.appendVarchar(value) : asValue(appender, value));
    case 'DOUBLE':
      return (appender, value) => (typeof value === 'number' ? appender.appendDouble(value) : asValue(appender, value));
    case 'BIGINT':
      return (appender, value) => (typeof value === 'number' && Number.isInteger(value) ? appender.appendBigInt(BigInt(value)) : asValue(appender, value));
    default:
      return asValue;
  }
}

/** A row's value for each of `columns`, the partition's columns filled in; a row outside the partition is refused. */
function partitionRowValues(table: string, partition: PartitionKey, columns: readonly string[], jsonColumns: ReadonlySet<string>, row: Row): SqlValue[] {
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
    if (value !== null && typeof value === 'object') return JSON.stringify(value);
    // An INSERT would have the engine check the text; the appender stores it as given.
    if (typeof value === 'string' && jsonColumns.has(column) && !isJson(value)) {
      throw new BoscoError('WAREHOUSE_FAILED', `a row for ${table} has ${column} = '${value.slice(0, 40)}', which is not JSON`, { hint: `give ${column} an object or JSON text` });
    }
    return value as SqlValue;
  });
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

export class DuckDbWarehouse implements Warehouse {
  readonly dialect = duckdbDialect;
  readonly externalKinds: ReadonlySet<string> = EXTERNAL_KINDS;
  private attached = 0;
  private inTransaction = false;
  /** Columns of the tables replaced into, until a statement that may change them. */
  private readonly tableColumns = new Map<string, ColumnInfo[]>();
  /** Partition replaces of the open transaction not yet written, by table: written together before anything else runs. */
  private readonly pending = new Map<string, PendingReplace>();
  private heldRows = 0;

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
    await this.writePending();
    this.noteSchemaChange(sql);
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
    await this.writePending();
    this.noteSchemaChange(sql);
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

  /**
   * Inside a transaction the new rows are held back and written with the transaction's other replaces, before its
   * next statement or its commit: one DELETE and one append for them all, instead of statements per partition. An
   * engine error about them (a value that does not fit its column) then fails that statement or the commit, and the
   * whole transaction rolls back. Outside a transaction the replace is written, and committed, at once.
   */
  async replacePartition(table: string, partition: PartitionKey, rows: PartitionRows): Promise<void> {
    const columns = await this.columnsOf(table);
    if (columns.length === 0) {
      throw new BoscoError('WAREHOUSE_FAILED', `cannot replace a partition of ${table}: the table does not exist`, { hint: 'create it with createTable first' });
    }
    const names = columns.map((column) => column.name);
    const keys = Object.keys(partition);
    const badKey = keys.find((key) => !names.includes(key) || partition[key] === null);
    if (keys.length === 0 || badKey !== undefined) {
      throw new BoscoError('WAREHOUSE_FAILED', `cannot replace a partition of ${table}: ${badKey === undefined ? 'no partition columns given' : `'${badKey}' is not a column or is NULL`}`, {
        hint: `name the partition by columns of ${table} with non-NULL values, e.g. { client_id, platform, date }`,
      });
    }
    if (!this.inTransaction) {
      await this.transaction(() => this.replacePartition(table, partition, rows));
      return;
    }
    if ('select' in rows) {
      await this.writePending();
      const target = this.quoteName(table);
      const list = names.map((name) => this.dialect.quoteIdent(name)).join(', ');
      await this.deletePartitions(target, columns, keys, [keys.map((key) => partition[key]!)]);
      await this.connection.run(`INSERT INTO ${target} (${list}) SELECT ${list} FROM (${rows.select}) AS bosco_source`, (rows.params ?? []) as SqlValue[]);
      return;
    }
    const jsonColumns = new Set(columns.filter((column) => column.type.toUpperCase() === 'JSON').map((column) => column.name));
    const values = rows.map((row) => partitionRowValues(table, partition, names, jsonColumns, row));
    let pending = this.pending.get(table);
    // Partitions named by other columns may overlap these; what was replaced before them is written first.
    if (pending && pending.keys.join('\u0000') !== keys.join('\u0000')) {
      await this.writePending();
      pending = undefined;
    }
    if (!pending) {
      pending = { table, columns, keys, partitions: new Map() };
      this.pending.set(table, pending);
    }
    const key = keys.map((name) => partition[name]!);
    const id = JSON.stringify(key, (_, value: unknown) => (typeof value === 'bigint' ? `${value}n` : value));
    this.heldRows += values.length - (pending.partitions.get(id)?.rows.length ?? 0);
    pending.partitions.set(id, { key, rows: values });
    if (this.heldRows >= PENDING_ROWS) await this.writePending();
  }

  /** Writes the held-back replaces: per table, one DELETE of their partitions, then their rows through one appender. */
  private async writePending(): Promise<void> {
    this.heldRows = 0;
    for (const [table, replace] of this.pending) {
      this.pending.delete(table);
      const target = this.quoteName(table);
      const partitions = [...replace.partitions.values()];
      await this.deletePartitions(target, replace.columns, replace.keys, partitions.map((p) => p.key));
      const appender = await this.appenderFor(table);
      try {
        const append = replace.columns.map((column) => appendValueFor(column.type));
        for (const { rows } of partitions) {
          for (const row of rows) {
            for (let i = 0; i < row.length; i++) append[i]!(appender, row[i] as SqlValue);
            appender.endRow();
          }
        }
        appender.closeSync();
      } catch (error) {
        try {
          appender.clear();
          appender.closeSync();
        } catch {
          // The rows are dropped with the transaction; the appender's own error is the one to report.
        }
        throw new BoscoError('WAREHOUSE_FAILED', `cannot replace partitions of ${table}: ${messageOf(error)}`, { hint: 'check the rows against the table\'s column types', cause: error });
      }
    }
  }

  /** An appender into `table`; an unqualified name is looked for where the appender looks, then in the current schema. */
  private async appenderFor(table: string): Promise<DuckDBAppender> {
    const parts = table.split('.');
    const name = parts.at(-1)!;
    const schema = parts.length > 1 ? parts.at(-2) : undefined;
    const catalog = parts.length > 2 ? parts.slice(0, -2).join('.') : undefined;
    try {
      return await this.connection.createAppender(name, schema, catalog);
    } catch (error) {
      if (schema !== undefined) throw error;
      const reader = await this.connection.runAndReadAll('SELECT current_database(), current_schema()');
      const [database, current] = reader.getRows()[0] as [string, string];
      return this.connection.createAppender(name, current, database);
    }
  }

  /** Deletes the rows of the given partitions (values in `keys` order), in one statement. */
  private async deletePartitions(target: string, columns: readonly ColumnInfo[], keys: readonly string[], partitions: readonly SqlValue[][]): Promise<void> {
    const q = (name: string) => this.dialect.quoteIdent(name);
    if (partitions.length === 1) {
      await this.connection.run(`DELETE FROM ${target} WHERE ${keys.map((key) => `${q(key)} = ?`).join(' AND ')}`, partitions[0]!);
      return;
    }
    const typeOf = (key: string) => columns.find((column) => column.name === key)!.type;
    const tuple = `(${keys.map((key) => `CAST(? AS ${typeOf(key)})`).join(', ')})`;
    await this.connection.run(
      `DELETE FROM ${target} AS bosco_target USING (VALUES ${partitions.map(() => tuple).join(', ')}) AS bosco_keys(${keys.map(q).join(', ')})
       WHERE ${keys.map((key) => `bosco_target.${q(key)} = bosco_keys.${q(key)}`).join(' AND ')}`,
      partitions.flat(),
    );
  }

  /** A table's columns, described once until a statement that may change them. */
  private async columnsOf(table: string): Promise<ColumnInfo[]> {
    let columns = this.tableColumns.get(table);
    if (!columns) {
      columns = await this.describe(this.quoteName(table));
      if (columns.length > 0) this.tableColumns.set(table, columns);
    }
    return columns;
  }

  private noteSchemaChange(sql: string): void {
    if (!KEEPS_SCHEMA.test(sql)) this.tableColumns.clear();
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
      this.pending.clear();
      this.heldRows = 0;
      // A rolled-back CREATE or ALTER takes its columns with it.
      this.tableColumns.clear();
      await this.connection.run('ROLLBACK');
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

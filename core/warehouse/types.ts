/**
 * A value bound to a statement parameter (`?`, in order). NULL carries no type: where an engine needs one
 * (BigQuery) it is a NULL STRING, so write `CAST(? AS …)` where a NULL of another type may be bound.
 */
export type SqlValue = string | number | boolean | bigint | null;

/** A result row: numbers as numbers (or text when too large), dates as YYYY-MM-DD, timestamps as ISO text. */
export type Row = Record<string, unknown>;

export type ColumnKind = 'text' | 'number' | 'date' | 'timestamp' | 'other';

/** A logical column type for DDL; each dialect names it (`SqlDialect.columnType`). */
export type ColumnType = 'text' | 'date' | 'integer' | 'double' | 'timestamp' | 'json';

export interface ColumnInfo {
  name: string;
  /** The engine's own type name, for messages. */
  type: string;
  kind: ColumnKind;
}

/** Something outside the warehouse that a source wants read as a relation. */
export type ExternalSource =
  | {
      kind: 'file';
      path: string;
      format: 'csv' | 'parquet' | 'jsonl';
      /** For jsonl: the fields to read, each as text exactly as written. */
      fields?: readonly string[];
      /** For csv: a quoted empty cell ("") is an empty string, not NULL (PostgreSQL's COPY writes NULL unquoted). */
      quotedEmptyIsText?: boolean;
    }
  | { kind: 'database'; path: string; table: string };

/**
 * The SQL differences between engines that the plan builders need. Builders emit SQL only through these,
 * so one plan runs on every engine that has a dialect.
 */
export interface SqlDialect {
  readonly name: 'duckdb' | 'bigquery';
  quoteIdent(name: string): string;
  quoteLiteral(value: string): string;
  dateLiteral(isoDate: string): string;
  /** Number of rows in the group where `condition` holds. */
  countIf(condition: string): string;
  /** The least `expression` among the rows of the group where `condition` holds (DuckDB a FILTER, BigQuery an IF). */
  minIf(expression: string, condition: string): string;
  /** A 64-bit hash of the given expressions taken together. */
  hashOf(expressions: readonly string[]): string;
  /** `expression` as a double, NULL where it is not a number. */
  tryDouble(expression: string): string;
  /** `expression` as a date, NULL where it is not one. */
  tryDate(expression: string): string;
  /** The calendar day of a timestamp expression, in `timeZone` when given. */
  timestampToDate(expression: string, timeZone?: string): string;
  text(expression: string): string;
  greatest(a: string, b: string): string;
  /** Any one value of the group (the engines name it differently). */
  anyValue(expression: string): string;
  /** The engine's name for a logical column type, for DDL. */
  columnType(kind: ColumnType): string;
  /** A statement creating a relation that lives only as long as this connection/session. */
  createTempTable(name: string, select: string): string;
  /**
   * A statement making `select` readable as the session-scoped relation `name`, replacing a relation of that kind
   * and name: a temp view where the engine has them (DuckDB: nothing is copied), else a temp table (BigQuery has no
   * temp views). To replace a relation that may be of the other kind, `Warehouse.dropTemp` it first.
   */
  createTempView(name: string, select: string): string;
}

/** A column of a table the warehouse creates. */
export interface TableColumn {
  name: string;
  type: ColumnType;
  /** NOT NULL. Default false. */
  required?: boolean;
}

/** A table to create: its columns, and how engines that lay rows out by value should lay them out. */
export interface TableSpec {
  columns: readonly TableColumn[];
  /**
   * A `date` column whose day partitions the table (BigQuery: daily time partitioning, so a partition replace
   * rewrites one day, not the table). Engines without partitions ignore it. Default: not partitioned.
   */
  partitionBy?: string;
  /** Up to four columns rows are clustered by (BigQuery), e.g. `['client_id', 'platform']`; others ignore it. Default: none. */
  clusterBy?: readonly string[];
}

/** One partition of a table: the rows where every listed column equals its (non-NULL) value. */
export type PartitionKey = Readonly<Record<string, SqlValue>>;

/**
 * A partition's new contents. Rows: a column a row leaves out is NULL, except the partition's columns, which
 * take the partition's values; a row with another value there is refused. Select: it must return every column
 * of the table, by name in any order, and only rows of the partition (they are not filtered).
 */
export type PartitionRows = readonly Row[] | { readonly select: string; readonly params?: readonly SqlValue[] };

/**
 * The warehouse port: where canonical rows live and where comparisons run as SQL.
 * One instance serves one flow of work at a time (statements are not interleaved).
 */
export interface Warehouse {
  readonly dialect: SqlDialect;
  /** The external source kinds `stageExternal` can read (e.g. `file:csv`, `database`). */
  readonly externalKinds: ReadonlySet<string>;
  query<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  run(sql: string, params?: readonly SqlValue[]): Promise<void>;
  /** Columns of a table or view; empty when it does not exist. */
  describe(relation: string): Promise<ColumnInfo[]>;
  /** Drops the session-scoped relation `name`, table or view, if there is one: so a name can be staged again as either. */
  dropTemp(name: string): Promise<void>;
  /** Makes an external file or database table readable as the session-scoped relation `name`. */
  stageExternal(name: string, source: ExternalSource): Promise<ColumnInfo[]>;
  /**
   * Creates `table` (a dot-separated name, unquoted, e.g. `metric_rows` or `pipeline.metric_rows`) unless it
   * exists; an existing table is left as it is. Call it outside `transaction`: BigQuery creates tables outside any
   * transaction, so a rollback would not remove one.
   */
  createTable(table: string, spec: TableSpec): Promise<void>;
  /**
   * Replaces one partition of `table` (named as for `createTable`) atomically: afterwards the partition holds
   * exactly `rows`; if it fails, it holds what it held before. The same call twice leaves the same rows.
   * Inside `transaction` it is part of that transaction; outside, it is a transaction of its own.
   */
  replacePartition(table: string, partition: PartitionKey, rows: PartitionRows): Promise<void>;
  /** Runs `work` in one transaction: all of its writes land, or none do. Transactions do not nest. */
  transaction<T>(work: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { BigQuery, type BigQueryOptions, type Query } from '@google-cloud/bigquery';
import type { BigQueryWarehouseSettings } from '../../config.js';
import { BoscoError, messageOf } from '../../errors.js';
import type { ColumnInfo, ExternalSource, PartitionKey, PartitionRows, Row, SqlValue, TableSpec, Warehouse } from '../types.js';
import { bigqueryDialect } from './bigquery-dialect.js';
import {
  columnKind,
  fieldParameterType,
  fieldParameterValue,
  partitionRowStruct,
  plainRow,
  positionalParameter,
  tableNameParts,
  type BigQueryField,
} from './bigquery-values.js';

/** The part of the `@google-cloud/bigquery` client the adapter uses. */
export type BigQueryLike = Pick<BigQuery, 'query' | 'createQueryJob' | 'dataset'>;

export interface BigQueryWarehouseOptions {
  /** Project the jobs run in; also the project of tables named without one. */
  projectId: string;
  /** Dataset of tables named without one. */
  dataset: string;
  /** Where jobs and the session run, e.g. `EU`. Default: BigQuery's (`US`). */
  location?: string;
  /** The client, or a function making it on first use (so opening the warehouse makes no request). */
  client: BigQueryLike | (() => Promise<BigQueryLike>);
}

/** A bound parameter: its value as the client takes it, and its GoogleSQL type (`[{ col: type }]` for ARRAY<STRUCT>). */
interface Parameter {
  value: unknown;
  type: unknown;
}

const NO_EXTERNAL_KINDS: ReadonlySet<string> = new Set();

const UNREACHABLE = /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|EHOSTUNREACH)$/;

function statusOf(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}

function bigQueryError(error: unknown, doing: string): BoscoError {
  if (error instanceof BoscoError) return error;
  const message = messageOf(error);
  const status = statusOf(error);
  if (typeof status === 'string' && UNREACHABLE.test(status)) {
    return new BoscoError('SOURCE_UNREACHABLE', `BigQuery could not be reached while ${doing}: ${message}`, {
      hint: 'check the network, and warehouse.apiEndpoint if one is set',
      cause: error,
    });
  }
  if (status === 401 || /default credentials/i.test(message)) {
    return new BoscoError('CREDENTIALS_MISSING', `BigQuery did not accept the credentials while ${doing}: ${message}`, {
      hint: 'set warehouse.credential (a key file, or an environment variable holding the key JSON), or run `gcloud auth application-default login`',
      cause: error,
    });
  }
  return new BoscoError('WAREHOUSE_FAILED', `BigQuery failed while ${doing}: ${message}`, {
    hint:
      status === 403
        ? 'grant the account BigQuery Job User on the project and BigQuery Data Editor on the dataset'
        : "the message is BigQuery's own; check the statement, and that the dataset exists in the configured project and location",
    cause: error,
  });
}

/** What a statement is, for messages: its first words, never its parameters. */
function statementLabel(sql: string): string {
  const text = sql.replace(/\s+/g, ' ').trim();
  return `running ${text.length > 60 ? `${text.slice(0, 57)}...` : text}`;
}

function credentialOptions(settings: BigQueryWarehouseSettings, baseDir: string, env: NodeJS.ProcessEnv): Pick<BigQueryOptions, 'keyFilename' | 'credentials'> {
  const source = settings.credential;
  if (!source) return {};
  if ('file' in source) {
    const keyFilename = resolve(baseDir, source.file);
    if (!existsSync(keyFilename)) {
      throw new BoscoError('CREDENTIALS_MISSING', `the BigQuery key file ${keyFilename} does not exist`, {
        hint: 'create a service-account key for the project there, or fix warehouse.credential.file',
      });
    }
    return { keyFilename };
  }
  const text = env[source.env]?.trim();
  if (!text) {
    throw new BoscoError('CREDENTIALS_MISSING', `environment variable ${source.env} is not set`, {
      hint: `export ${source.env}='<the service-account key JSON>', or point warehouse.credential at a key file`,
    });
  }
  try {
    return { credentials: JSON.parse(text) as BigQueryOptions['credentials'] };
  } catch {
    throw new BoscoError('CREDENTIALS_MISSING', `environment variable ${source.env} does not hold a JSON key`, {
      hint: `put the whole service-account key file's JSON in ${source.env}`,
    });
  }
}

/**
 * The warehouse on BigQuery. Every statement runs in one BigQuery session, opened by the first statement and
 * ended by `close`, one statement at a time: temp tables and transactions span statements as on a connection.
 * Transactions are BEGIN/COMMIT TRANSACTION in that session. A partition is replaced by one MERGE statement,
 * atomic on its own, that deletes the partition's rows and inserts the new ones. Files and databases are not
 * staged (`externalKinds` is empty): the DuckDB warehouse reads those.
 */
export class BigQueryWarehouse implements Warehouse {
  readonly dialect = bigqueryDialect;
  readonly externalKinds = NO_EXTERNAL_KINDS;
  private client: Promise<BigQueryLike> | undefined;
  private session: Promise<string> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private inTransaction = false;
  /** Columns of the tables whose partitions were replaced: a MERGE needs them, and they do not change under a run. */
  private readonly fields = new Map<string, BigQueryField[]>();

  constructor(private readonly options: BigQueryWarehouseOptions) {}

  /** A warehouse from the config's `warehouse` section; `baseDir` is where a relative key file is found. */
  static fromConfig(settings: BigQueryWarehouseSettings, baseDir: string, env: NodeJS.ProcessEnv = process.env): BigQueryWarehouse {
    const clientOptions: BigQueryOptions = {
      projectId: settings.projectId,
      location: settings.location,
      apiEndpoint: settings.apiEndpoint,
      ...credentialOptions(settings, baseDir, env),
    };
    return new BigQueryWarehouse({
      projectId: settings.projectId,
      dataset: settings.dataset,
      location: settings.location,
      client: async () => new BigQuery(clientOptions),
    });
  }

  async query<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    const rows = await this.statement(sql, params.map(positionalParameter));
    return rows.map((row) => plainRow(row) as T);
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<void> {
    await this.statement(sql, params.map(positionalParameter));
  }

  /** Tables and views (tables.get); session temp tables are not visible to it. */
  async describe(relation: string): Promise<ColumnInfo[]> {
    const fields = await this.tableFields(relation);
    return fields.map((field) => ({ name: field.name, type: field.mode === 'REPEATED' ? `ARRAY<${field.type}>` : field.type, kind: columnKind(field) }));
  }

  /** Session temp tables live in `_SESSION`; BigQuery has no temp views. */
  async dropTemp(name: string): Promise<void> {
    await this.run(`DROP TABLE IF EXISTS _SESSION.${this.dialect.quoteIdent(name)}`);
  }

  async stageExternal(_name: string, source: ExternalSource): Promise<ColumnInfo[]> {
    const what = source.kind === 'file' ? `the ${source.format} file ${source.path}` : `the database ${source.path}`;
    throw new BoscoError('SOURCE_UNSUPPORTED', `the BigQuery warehouse cannot read ${what}`, {
      hint: 'files and databases are read by the DuckDB warehouse (warehouse.kind "duckdb"); to compare them on BigQuery, load them into a table first',
    });
  }

  /** tables.insert with the schema, daily time partitioning and clustering; a table that exists is left as it is. */
  async createTable(table: string, spec: TableSpec): Promise<void> {
    const [projectId, datasetId, tableId] = this.tableReference(table);
    const column = (name: string) => spec.columns.find((c) => c.name === name);
    const partition = spec.partitionBy === undefined ? undefined : column(spec.partitionBy);
    const unclustered = (spec.clusterBy ?? []).find((name) => !column(name));
    if ((spec.partitionBy !== undefined && partition?.type !== 'date') || unclustered !== undefined || (spec.clusterBy ?? []).length > 4) {
      throw new BoscoError('WAREHOUSE_FAILED', `cannot create ${table}: partitionBy must name a date column and clusterBy at most four columns of the table`, {
        hint: `check the partitionBy and clusterBy given for ${table}`,
      });
    }
    const client = await this.clientInstance();
    try {
      await client.dataset(datasetId, { projectId }).createTable(tableId, {
        schema: { fields: spec.columns.map((c) => ({ name: c.name, type: this.dialect.columnType(c.type), mode: c.required ? 'REQUIRED' : 'NULLABLE' })) },
        ...(spec.partitionBy === undefined ? {} : { timePartitioning: { type: 'DAY', field: spec.partitionBy } }),
        ...(spec.clusterBy?.length ? { clustering: { fields: [...spec.clusterBy] } } : {}),
      });
    } catch (error) {
      if (statusOf(error) === 409) return;
      throw bigQueryError(error, `creating ${table}`);
    }
  }

  async replacePartition(table: string, partition: PartitionKey, rows: PartitionRows): Promise<void> {
    const reference = this.tableReference(table).join('.');
    let fields = this.fields.get(reference);
    if (!fields) {
      fields = await this.tableFields(table);
      if (fields.length === 0) {
        throw new BoscoError('WAREHOUSE_FAILED', `cannot replace a partition of ${table}: the table does not exist`, { hint: 'create it with createTable first' });
      }
      this.fields.set(reference, fields);
    }
    const keys = Object.keys(partition);
    const badKey = keys.find((key) => !fields.some((field) => field.name === key) || partition[key] === null);
    if (keys.length === 0 || badKey !== undefined) {
      throw new BoscoError('WAREHOUSE_FAILED', `cannot replace a partition of ${table}: ${badKey === undefined ? 'no partition columns given' : `'${badKey}' is not a column or is NULL`}`, {
        hint: `name the partition by columns of ${table} with non-NULL values, e.g. { client_id, platform, date }`,
      });
    }
    const types = fields.map((field) => fieldParameterType(table, field));
    const typeOf = (name: string) => types[fields.findIndex((field) => field.name === name)]!;
    const source: { sql: string; params: Parameter[] } =
      'select' in rows
        ? { sql: rows.select, params: (rows.params ?? []).map(positionalParameter) }
        : {
            sql: 'SELECT * FROM UNNEST(?)',
            params: [
              {
                value: rows.map((row) => partitionRowStruct(table, partition, fields, types, row)),
                type: [Object.fromEntries(fields.map((field, index) => [field.name, types[index]]))],
              },
            ],
          };
    const q = this.dialect.quoteIdent;
    const columns = fields.map((field) => q(field.name));
    // ON FALSE matches nothing: every old row of the partition is deleted and every new row inserted, in one statement.
    const merge = [
      `MERGE INTO ${this.quoteName(table)} AS bosco_old`,
      `USING (${source.sql}) AS bosco_new`,
      'ON FALSE',
      `WHEN NOT MATCHED BY SOURCE AND ${keys.map((key) => `bosco_old.${q(key)} = ?`).join(' AND ')} THEN DELETE`,
      `WHEN NOT MATCHED THEN INSERT (${columns.join(', ')}) VALUES (${columns.map((c) => `bosco_new.${c}`).join(', ')})`,
    ].join('\n');
    const keyParams = keys.map((key) => ({ value: fieldParameterValue(typeOf(key), partition[key]), type: typeOf(key) }));
    await this.statement(merge, [...source.params, ...keyParams]);
  }

  async transaction<T>(work: () => Promise<T>): Promise<T> {
    if (this.inTransaction) {
      throw new BoscoError('INTERNAL', 'a transaction is already open on this warehouse', { hint: 'run the work inside the open transaction instead of opening another' });
    }
    await this.run('BEGIN TRANSACTION');
    this.inTransaction = true;
    try {
      const result = await work();
      await this.run('COMMIT TRANSACTION');
      return result;
    } catch (error) {
      // A statement that failed may already have ended the transaction; the first error is the one to report.
      await this.run('ROLLBACK TRANSACTION').catch(() => undefined);
      throw error;
    } finally {
      this.inTransaction = false;
    }
  }

  async close(): Promise<void> {
    if (!this.session) return;
    // Ending the session drops its temp tables now rather than after BigQuery's idle timeout; if that fails, the
    // timeout still ends it, so closing does not fail.
    await this.run('CALL BQ.ABORT_SESSION()').catch(() => undefined);
    this.session = undefined;
  }

  private clientInstance(): Promise<BigQueryLike> {
    const { client } = this.options;
    this.client ??= typeof client === 'function' ? client() : Promise.resolve(client);
    return this.client;
  }

  private openSession(): Promise<string> {
    this.session ??= (async () => {
      const client = await this.clientInstance();
      const [job] = await client.createQueryJob({ query: 'SELECT 1', createSession: true, location: this.options.location });
      await job.getQueryResults();
      const [metadata] = await job.getMetadata();
      const sessionId = (metadata as { statistics?: { sessionInfo?: { sessionId?: string } } }).statistics?.sessionInfo?.sessionId;
      if (!sessionId) {
        throw new BoscoError('WAREHOUSE_FAILED', 'BigQuery did not open a session', { hint: 'check that the project allows sessions, and the location' });
      }
      return sessionId;
    })().catch((error: unknown) => {
      this.session = undefined;
      throw bigQueryError(error, 'opening a session');
    });
    return this.session;
  }

  /** Runs one statement in the session once the statements before it are done. */
  private statement(sql: string, params: readonly Parameter[]): Promise<Row[]> {
    const result = this.queue.then(async () => {
      const [client, sessionId] = await Promise.all([this.clientInstance(), this.openSession()]);
      const query: Query = {
        query: sql,
        location: this.options.location,
        defaultDataset: { projectId: this.options.projectId, datasetId: this.options.dataset },
        connectionProperties: [{ key: 'session_id', value: sessionId }],
        // INT64 arrives as text; wrapped, it stays exact until `plainValue` decides.
        wrapIntegers: true,
      };
      if (params.length > 0) {
        query.params = params.map((param) => param.value);
        query.types = params.map((param) => param.type) as Query['types'];
      }
      try {
        const [rows] = await client.query(query);
        return rows as Row[];
      } catch (error) {
        throw bigQueryError(error, statementLabel(sql));
      }
    });
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** [project, dataset, table] of a table name, the configured project and dataset filled in. */
  private tableReference(name: string): [string, string, string] {
    const parts = tableNameParts(name);
    if (!parts) {
      throw new BoscoError('WAREHOUSE_FAILED', `'${name}' is not a BigQuery table name`, { hint: 'name a table as table, dataset.table or project.dataset.table' });
    }
    const [table, dataset = this.options.dataset, project = this.options.projectId] = [...parts].reverse() as [string, string?, string?];
    return [project, dataset, table];
  }

  private quoteName(name: string): string {
    return tableNameParts(name)!.map((part) => this.dialect.quoteIdent(part)).join('.');
  }

  /** A table's columns from tables.get; none when it does not exist. */
  private async tableFields(relation: string): Promise<BigQueryField[]> {
    const [projectId, datasetId, tableId] = this.tableReference(relation);
    const client = await this.clientInstance();
    try {
      const [metadata] = await client.dataset(datasetId, { projectId }).table(tableId).getMetadata();
      const fields = (metadata as { schema?: { fields?: Array<{ name?: string; type?: string; mode?: string }> } }).schema?.fields ?? [];
      return fields.map((field) => ({ name: field.name ?? '', type: field.type ?? 'STRING', mode: field.mode }));
    } catch (error) {
      if (statusOf(error) === 404) return [];
      throw bigQueryError(error, `describing ${relation}`);
    }
  }
}

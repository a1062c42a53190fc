import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DuckDBInstance, type DuckDBConnection, type DuckDBTimestampTZValue, type DuckDBValue } from '@duckdb/node-api';

/** One request the fake received, as the contract test inspects it. */
export interface RecordedRequest {
  method: string;
  /** Path below `/bigquery/v2`, e.g. `/projects/p/queries`. */
  path: string;
  search: URLSearchParams;
  /** The JSON body, in BigQuery's REST shapes; tests read the fields they check. */
  body: any;
  authorization: string | undefined;
  /** What the fake answered: status and JSON body. */
  response?: { status: number; body: any };
}

export interface FakeBigQuery {
  /** `http://127.0.0.1:<port>`: the client's `apiEndpoint`. */
  endpoint: string;
  requests: RecordedRequest[];
  /** Requests for a route or project the fake does not serve. */
  unexpected: RecordedRequest[];
  close(): Promise<void>;
}

interface ParameterType {
  type: string;
  arrayType?: ParameterType;
  structTypes?: Array<{ name: string; type: ParameterType }>;
}

interface ParameterValue {
  value?: unknown;
  arrayValues?: ParameterValue[];
  structValues?: Record<string, ParameterValue>;
}

interface QueryParameter {
  parameterType: ParameterType;
  parameterValue: ParameterValue;
}

interface Result {
  schema?: { fields: Array<{ name: string; type: string; mode: string }> };
  rows?: Array<{ f: Array<{ v: string | null }> }>;
  totalRows?: string;
  numDmlAffectedRows?: string;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly reason: string,
  ) {
    super(message);
  }
}

const DUCKDB_TYPE: Record<string, string> = {
  STRING: 'VARCHAR',
  INT64: 'BIGINT',
  INTEGER: 'BIGINT',
  FLOAT64: 'DOUBLE',
  FLOAT: 'DOUBLE',
  NUMERIC: 'DECIMAL(38,9)',
  BIGNUMERIC: 'DECIMAL(38,9)',
  BOOL: 'BOOLEAN',
  BOOLEAN: 'BOOLEAN',
  DATE: 'DATE',
  DATETIME: 'TIMESTAMP',
  TIMESTAMP: 'TIMESTAMPTZ',
  JSON: 'JSON',
};

function duckType(type: ParameterType): string {
  if (type.type === 'ARRAY') return `${duckType(type.arrayType!)}[]`;
  if (type.type === 'STRUCT') return `STRUCT(${type.structTypes!.map((field) => `"${field.name}" ${duckType(field.type)}`).join(', ')})`;
  const duck = DUCKDB_TYPE[type.type];
  if (!duck) throw new ApiError(400, `Unsupported query parameter type ${type.type}`, 'invalidQuery');
  return duck;
}

const text = (value: string) => `'${value.replaceAll("'", "''")}'`;

/** A parameter as a typed DuckDB literal: the fake is the one place where values may become SQL text. */
function literal(type: ParameterType, value: ParameterValue | undefined): string {
  if (type.type === 'ARRAY') {
    return `CAST([${(value?.arrayValues ?? []).map((item) => literal(type.arrayType!, item)).join(', ')}] AS ${duckType(type)})`;
  }
  if (type.type === 'STRUCT') {
    if (!value?.structValues) return `CAST(NULL AS ${duckType(type)})`;
    return `{${type.structTypes!.map((field) => `${text(field.name)}: ${literal(field.type, value.structValues![field.name])}`).join(', ')}}`;
  }
  if (value?.value === undefined || value.value === null) return `CAST(NULL AS ${duckType(type)})`;
  return `CAST(${text(String(value.value))} AS ${duckType(type)})`;
}

/** GoogleSQL spellings the reconcile's statements use, as DuckDB spells them (applied outside string literals too: test SQL has none). */
const SPELLINGS: ReadonlyArray<[RegExp, string]> = [
  [/FROM\s+UNNEST\(\?\)/gi, 'FROM (SELECT UNNEST(?, max_depth := 2))'],
  [/\bSAFE_CAST\(/g, 'TRY_CAST('],
  [/\bFLOAT64\b/g, 'DOUBLE'],
  [/\bINT64\b/g, 'BIGINT'],
  [/\b_SESSION\./g, ''],
  // GoogleSQL's JSON_VALUE answers a scalar as STRING; DuckDB's json_value answers JSON (a string still quoted).
  [/\bJSON_VALUE\(/gi, 'json_extract_string('],
];

/**
 * DuckDB spellings that DuckDB would run but BigQuery refuses, each with the kind of error BigQuery gives. The fake
 * runs statements on DuckDB, so without these it would accept SQL that fails on BigQuery. Matched outside string
 * literals and quoted names.
 */
const REFUSED: ReadonlyArray<[RegExp, string]> = [
  [/\bCREATE\s+(OR\s+REPLACE\s+)?TEMP(ORARY)?\s+VIEW\b/i, 'Syntax error: TEMP VIEW is not supported; a session has TEMP TABLEs only'],
  [/\$\d+/, 'Syntax error: Illegal input character "$"; positional parameters are written ?, named ones @name'],
  [/\bTIMESTAMPTZ\b/i, 'Type not found: TIMESTAMPTZ'],
  [/\bVARCHAR\b/i, 'Type not found: VARCHAR'],
  [/\bTRY_CAST\s*\(/i, 'Function not found: TRY_CAST; did you mean SAFE_CAST?'],
  [/::/, 'Syntax error: Unexpected ":"'],
  [/\bFILTER\s*\(\s*WHERE\b/i, 'Syntax error: Expected ")" but got keyword FILTER; aggregate FILTER clauses are not supported'],
  [/\bUNION\b(?!\s+(ALL|DISTINCT)\b)/i, 'Syntax error: Expected keyword ALL or keyword DISTINCT but got UNION'],
  [/\bfrom_json\s*\(/i, 'Function not found: from_json'],
];

/** `sql` with the contents of string literals and backquoted names blanked, for REFUSED to look at. */
function codeOnly(sql: string): string {
  return sql.replace(/'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`/g, (quoted) => quoted[0]!.repeat(2));
}

/**
 * GoogleSQL as DuckDB SQL: backquoted names double-quoted, backslash escapes in strings undone, positional
 * parameters substituted, UNNEST of an ARRAY<STRUCT> spread into columns as BigQuery does, and the few other
 * spellings in SPELLINGS. What BigQuery refuses (REFUSED: a temp view, `$1` placeholders, DuckDB type names, …)
 * is refused here too.
 */
function toDuckDb(sql: string, parameters: readonly QueryParameter[]): string {
  const code = codeOnly(sql);
  for (const [pattern, message] of REFUSED) {
    if (pattern.test(code)) throw new ApiError(400, message, 'invalidQuery');
  }
  const source = SPELLINGS.reduce((text, [pattern, spelling]) => text.replace(pattern, spelling), sql);
  let out = '';
  let next = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === "'" || c === '`') {
      let value = '';
      for (i++; i < source.length && source[i] !== c; i++) value += source[i] === '\\' ? source[++i] : source[i];
      out += c === '`' ? `"${value.replaceAll('"', '""')}"` : text(value);
    } else if (c === '?') {
      const parameter = parameters[next++];
      if (!parameter) throw new ApiError(400, 'Query has more positional parameters than queryParameters', 'invalidQuery');
      out += literal(parameter.parameterType, parameter.parameterValue);
    } else {
      out += c;
    }
  }
  if (next !== parameters.length) throw new ApiError(400, `Query has ${next} positional parameters but ${parameters.length} were given`, 'invalidQuery');
  return out;
}

/** BigQuery's legacy type name for a DuckDB column type, as tables.get and query schemas report it. */
function bigQueryType(duckdb: string): string {
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT)$/.test(duckdb)) return 'INTEGER';
  if (duckdb === 'DOUBLE' || duckdb === 'FLOAT') return 'FLOAT';
  if (duckdb.startsWith('DECIMAL')) return 'NUMERIC';
  if (duckdb === 'BOOLEAN') return 'BOOLEAN';
  if (duckdb === 'DATE') return 'DATE';
  if (duckdb.startsWith('TIMESTAMP')) return 'TIMESTAMP';
  if (duckdb === 'JSON') return 'JSON';
  return 'STRING';
}

/** A cell as the REST API writes it: every scalar as text; TIMESTAMP as int64 microseconds when asked, else seconds. */
function cell(value: DuckDBValue, type: string, int64Timestamps: boolean): string | null {
  if (value === null) return null;
  if (type === 'TIMESTAMP') {
    const micros = (value as DuckDBTimestampTZValue).micros;
    return int64Timestamps ? micros.toString() : String(Number(micros) / 1e6);
  }
  return String(value);
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString('utf8');
  return body ? JSON.parse(body) : undefined;
}

/**
 * A loopback stand-in for the BigQuery REST API v2 (jobs.query, jobs.insert, jobs.get, jobs.getQueryResults,
 * tables.insert, tables.get) for contract tests. It records every request and answers in BigQuery's shapes:
 * INT64, FLOAT64 and NUMERIC as text, DATE as text, TIMESTAMP as int64 microseconds, legacy type names in schemas,
 * sessions and `{ error: { code, message, errors, status } }` failures. Statements run on an in-memory DuckDB,
 * one connection per session, after the few GoogleSQL spellings the adapter and the shared suite use are rewritten
 * and the parameters substituted: it checks what the adapter sends and how it decodes answers, not BigQuery's SQL.
 */
export async function startFakeBigQuery(options: { projectId: string; dataset: string; location?: string }): Promise<FakeBigQuery> {
  const { projectId, dataset } = options;
  const location = options.location ?? 'US';
  const instance = await DuckDBInstance.create(':memory:');
  const setup = await instance.connect();
  await setup.run(`CREATE SCHEMA "${dataset}"`);
  const sessions = new Map<string, DuckDBConnection>();
  const jobs = new Map<string, { resource: Record<string, unknown>; result: Result }>();
  const requests: RecordedRequest[] = [];
  const unexpected: RecordedRequest[] = [];

  async function openSession(): Promise<string> {
    const connection = await instance.connect();
    await connection.run(`USE "${dataset}"`);
    // GoogleSQL functions the reconcile's duplicate check hashes keys with, as DuckDB functions of the same use.
    await connection.run('CREATE TEMP MACRO farm_fingerprint(value) AS hash(value)');
    await connection.run('CREATE TEMP MACRO to_json_string(value) AS CAST(to_json(value) AS VARCHAR)');
    const id = `session-${randomUUID()}`;
    sessions.set(id, connection);
    return id;
  }

  function sessionOf(properties: Array<{ key: string; value: string }> | undefined): [string, DuckDBConnection] {
    const id = properties?.find((property) => property.key === 'session_id')?.value;
    const connection = id === undefined ? undefined : sessions.get(id);
    if (!id || !connection) throw new ApiError(400, `Session ${id ?? '(none)'} not found; this fake runs statements only in sessions`, 'invalid');
    return [id, connection];
  }

  async function execute(connection: DuckDBConnection, sql: string, parameters: readonly QueryParameter[], int64Timestamps: boolean): Promise<Result> {
    let reader;
    try {
      reader = await connection.runAndReadAll(toDuckDb(sql, parameters));
    } catch (error) {
      if (error instanceof ApiError) throw error;
      throw new ApiError(400, (error as Error).message, 'invalidQuery');
    }
    if (!/^\s*(SELECT|WITH|VALUES|FROM)\b/i.test(sql)) {
      const counted = reader.columnNames()[0] === 'Count' ? reader.getRows()[0]?.[0] : undefined;
      return counted === undefined ? {} : { numDmlAffectedRows: String(counted) };
    }
    const types = reader.columnTypes().map((type) => bigQueryType(type.toString()));
    const fields = reader.columnNames().map((name, index) => ({ name, type: types[index]!, mode: 'NULLABLE' }));
    const rows = reader.getRows().map((values) => ({ f: values.map((value, index) => ({ v: cell(value, types[index]!, int64Timestamps) })) }));
    return { schema: { fields }, rows, totalRows: String(rows.length) };
  }

  /** Runs a query in its session; `CALL BQ.ABORT_SESSION()` ends the session, rolling back what it left open. */
  async function runQuery(
    query: { query: string; queryParameters?: QueryParameter[]; connectionProperties?: Array<{ key: string; value: string }>; createSession?: boolean },
    int64Timestamps: boolean,
  ): Promise<{ result: Result; sessionId: string; created: boolean }> {
    if (query.createSession) {
      const sessionId = await openSession();
      return { result: await execute(sessions.get(sessionId)!, query.query, query.queryParameters ?? [], int64Timestamps), sessionId, created: true };
    }
    const [sessionId, connection] = sessionOf(query.connectionProperties);
    if (/^\s*CALL\s+BQ\.ABORT_SESSION\(\)\s*$/i.test(query.query)) {
      connection.closeSync();
      sessions.delete(sessionId);
      return { result: {}, sessionId, created: false };
    }
    return { result: await execute(connection, query.query, query.queryParameters ?? [], int64Timestamps), sessionId, created: false };
  }

  async function describeTable(datasetId: string, tableId: string): Promise<Array<{ name: string; type: string; mode: string }>> {
    const reader = await setup.runAndReadAll(
      'SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position',
      [datasetId, tableId],
    );
    return reader.getRows().map(([name, type, nullable]) => ({ name: String(name), type: bigQueryType(String(type)), mode: nullable === 'YES' ? 'NULLABLE' : 'REQUIRED' }));
  }

  const layouts = new Map<string, Record<string, unknown>>();

  async function route(method: string, path: string, search: URLSearchParams, body: any): Promise<unknown> {
    const prefix = `/projects/${projectId}`;
    if (!path.startsWith(`${prefix}/`)) return undefined;
    const rest = path.slice(prefix.length);
    let match: RegExpMatchArray | null;

    if (method === 'POST' && rest === '/queries') {
      const { result, sessionId, created } = await runQuery(body, body.formatOptions?.useInt64Timestamp === true);
      const jobReference = { projectId, jobId: `job-${randomUUID()}`, location };
      return { kind: 'bigquery#queryResponse', jobReference, jobComplete: true, ...result, ...(created ? { sessionInfo: { sessionId } } : {}) };
    }
    if (method === 'POST' && rest === '/jobs') {
      const query = body.configuration?.query;
      if (!query) throw new ApiError(400, 'this fake runs query jobs only', 'invalid');
      const { result, sessionId, created } = await runQuery(query, true);
      const jobReference = { projectId, jobId: body.jobReference?.jobId ?? `job-${randomUUID()}`, location };
      const resource = {
        kind: 'bigquery#job',
        id: `${projectId}:${location}.${jobReference.jobId}`,
        jobReference,
        configuration: body.configuration,
        status: { state: 'DONE' },
        statistics: { ...(created ? { sessionInfo: { sessionId } } : {}) },
      };
      jobs.set(jobReference.jobId, { resource, result });
      return resource;
    }
    if (method === 'GET' && (match = rest.match(/^\/jobs\/([^/]+)$/))) {
      const job = jobs.get(decodeURIComponent(match[1]!));
      if (!job) throw new ApiError(404, `Not found: Job ${projectId}:${match[1]}`, 'notFound');
      return job.resource;
    }
    if (method === 'GET' && (match = rest.match(/^\/queries\/([^/]+)$/))) {
      const job = jobs.get(decodeURIComponent(match[1]!));
      if (!job) throw new ApiError(404, `Not found: Job ${projectId}:${match[1]}`, 'notFound');
      return { kind: 'bigquery#getQueryResultsResponse', jobReference: job.resource.jobReference, jobComplete: true, ...job.result };
    }
    if (method === 'POST' && (match = rest.match(/^\/datasets\/([^/]+)\/tables$/))) {
      const datasetId = decodeURIComponent(match[1]!);
      const tableId: string = body.tableReference.tableId;
      if ((await describeTable(datasetId, tableId)).length > 0) throw new ApiError(409, `Already Exists: Table ${projectId}:${datasetId}.${tableId}`, 'duplicate');
      const columns = (body.schema.fields as Array<{ name: string; type: string; mode?: string }>).map(
        (field) => `"${field.name}" ${duckType({ type: field.type })}${field.mode === 'REQUIRED' ? ' NOT NULL' : ''}`,
      );
      await setup.run(`CREATE SCHEMA IF NOT EXISTS "${datasetId}"`);
      await setup.run(`CREATE TABLE "${datasetId}"."${tableId}" (${columns.join(', ')})`);
      layouts.set(`${datasetId}.${tableId}`, { timePartitioning: body.timePartitioning, clustering: body.clustering });
      return { kind: 'bigquery#table', id: `${projectId}:${datasetId}.${tableId}`, location, ...body };
    }
    if (method === 'GET' && (match = rest.match(/^\/datasets\/([^/]+)\/tables\/([^/]+)$/))) {
      const [datasetId, tableId] = [decodeURIComponent(match[1]!), decodeURIComponent(match[2]!)];
      const fields = await describeTable(datasetId, tableId);
      if (fields.length === 0) throw new ApiError(404, `Not found: Table ${projectId}:${datasetId}.${tableId}`, 'notFound');
      return {
        kind: 'bigquery#table',
        id: `${projectId}:${datasetId}.${tableId}`,
        tableReference: { projectId, datasetId, tableId },
        schema: { fields },
        location,
        ...layouts.get(`${datasetId}.${tableId}`),
      };
    }
    return undefined;
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const recorded: RecordedRequest = {
      method: request.method ?? 'GET',
      path: url.pathname.replace(/^\/bigquery\/v2/, ''),
      search: url.searchParams,
      body: await readBody(request),
      authorization: request.headers.authorization,
    };
    requests.push(recorded);
    const send = (status: number, payload: unknown) => {
      recorded.response = { status, body: payload };
      response.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
      response.end(JSON.stringify(payload));
    };
    try {
      const answer = url.pathname.startsWith('/bigquery/v2/') ? await route(recorded.method, recorded.path, recorded.search, recorded.body) : undefined;
      if (answer === undefined) {
        unexpected.push(recorded);
        send(404, { error: { code: 404, message: `the fake serves no ${recorded.method} ${url.pathname}`, status: 'NOT_FOUND' } });
        return;
      }
      send(200, answer);
    } catch (error) {
      const api = error instanceof ApiError ? error : new ApiError(500, (error as Error).message, 'internalError');
      const status = { 400: 'INVALID_ARGUMENT', 404: 'NOT_FOUND', 409: 'ALREADY_EXISTS' }[api.status] ?? 'INTERNAL';
      send(api.status, { error: { code: api.status, message: api.message, errors: [{ message: api.message, domain: 'global', reason: api.reason }], status } });
    }
  }

  const server = createServer((request, response) => void handle(request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    unexpected,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
      for (const connection of sessions.values()) connection.closeSync();
      setup.closeSync();
      instance.closeSync();
    },
  };
}

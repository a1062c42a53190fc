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
  /** The BigQuery ML stand-in's models, by `dataset.model` (see `startFakeBigQuery`). */
  models: Map<string, FakeModel>;
  /** Every ML.FORECAST the stand-in answered, in order. */
  forecasts: FakeForecastCall[];
  close(): Promise<void>;
}

/** A model made by `CREATE [OR REPLACE] MODEL`: its OPTIONS as written, and its training rows (kept in a table of the fake's own). */
export interface FakeModel {
  /** `dataset.model`. */
  name: string;
  options: Record<string, ModelOptionValue>;
  /** The stored training rows: `"__bqml"."<dataset.model>"` in the fake's DuckDB. */
  table: string;
  trainingRows: number;
}

export type ModelOptionValue = string | number | boolean | string[];

export interface FakeForecastCall {
  model: string;
  horizon: number;
  confidenceLevel: number;
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
  // GoogleSQL's GREATEST is NULL when an argument is NULL; DuckDB's skips NULLs (bq_greatest: see openSession).
  [/\bGREATEST\(/gi, 'bq_greatest('],
  // SHA256 gives BYTES and TO_HEX their hex; DuckDB's sha256 gives the hex itself.
  [/\bTO_HEX\(SHA256\(/gi, '(sha256('],
  // STRUCT(a, b) names its fields after the columns, as struct_pack(a, b) does.
  [/\bSTRUCT\(/g, 'struct_pack('],
  // DATE_DIFF(end, start, DAY) is date_diff('day', start, end); the arguments the models module passes hold no commas.
  [/\bDATE_DIFF\(([^,()]+(?:\([^()]*\))?[^,()]*),\s*([^,()]+(?:\([^()]*\))?[^,()]*),\s*DAY\)/gi, "date_diff('day', $2, $1)"],
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
function toDuckDb(sql: string, parameters: readonly QueryParameter[], expand: (sql: string) => string = (same) => same): string {
  const code = codeOnly(sql);
  for (const [pattern, message] of REFUSED) {
    if (pattern.test(code)) throw new ApiError(400, message, 'invalidQuery');
  }
  const source = SPELLINGS.reduce((text, [pattern, spelling]) => text.replace(pattern, spelling), expand(sql));
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

/** The standard normal quantile, by bisection on the CDF (erf after Abramowitz and Stegun 7.1.26, |error| < 1.5e-7). */
export function normalQuantile(p: number): number {
  const erf = (x: number) => {
    const t = 1 / (1 + 0.3275911 * Math.abs(x));
    const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
    return x >= 0 ? y : -y;
  };
  let [low, high] = [-10, 10];
  for (let i = 0; i < 100; i++) {
    const mid = (low + high) / 2;
    if (0.5 * (1 + erf(mid / Math.SQRT2)) < p) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}

/** The part of `text` from `open` (an opening bracket) to its closing one, quotes respected; undefined when unclosed. */
function bracketed(text: string, open: number): string | undefined {
  const close = { '(': ')', '[': ']' }[text[open]!]!;
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'" || c === '`') {
      for (i++; i < text.length && text[i] !== c; i++) if (text[i] === '\\') i++;
    } else if (c === text[open]) depth++;
    else if (c === close && --depth === 0) return text.slice(open + 1, i);
  }
  return undefined;
}

/** Splits on commas outside quotes and brackets. */
function topLevel(list: string): string[] {
  const parts: string[] = [];
  let [depth, start] = [0, 0];
  for (let i = 0; i < list.length; i++) {
    const c = list[i]!;
    if (c === "'" || c === '`') {
      for (i++; i < list.length && list[i] !== c; i++) if (list[i] === '\\') i++;
    } else if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(list.slice(start, i));
      start = i + 1;
    }
  }
  return [...parts, list.slice(start)].map((part) => part.trim()).filter((part) => part !== '');
}

const unquote = (text: string) => text.slice(1, -1).replace(/\\(.)/g, '$1');

function optionValue(name: string, text: string): ModelOptionValue {
  if (/^'(?:[^'\\]|\\.)*'$/.test(text)) return unquote(text);
  if (/^(TRUE|FALSE)$/i.test(text)) return text.toUpperCase() === 'TRUE';
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (text.startsWith('[') && text.endsWith(']')) {
    const items = topLevel(text.slice(1, -1));
    if (items.every((item) => /^'(?:[^'\\]|\\.)*'$/.test(item))) return items.map(unquote);
  }
  throw new ApiError(400, `Invalid value for option ${name}: ${text}; options take literals only`, 'invalidQuery');
}

/** The options of ARIMA_PLUS's CREATE MODEL the stand-in knows; BigQuery refuses an option it does not know. */
const ARIMA_PLUS_OPTIONS = new Set([
  'model_type', 'time_series_timestamp_col', 'time_series_data_col', 'time_series_id_col', 'data_frequency', 'horizon', 'auto_arima',
  'auto_arima_max_order', 'auto_arima_min_order', 'decompose_time_series', 'holiday_region', 'clean_spikes_and_dips', 'adjust_step_changes',
  'seasonalities', 'trend_smoothing_window_size', 'forecast_limit_lower_bound', 'forecast_limit_upper_bound', 'include_drift', 'non_seasonal_order',
]);

const CREATE_MODEL = /^\s*CREATE\s+(?:OR\s+REPLACE\s+)?MODEL\s+(`(?:[^`\\]|\\.)+`|[A-Za-z0-9_.-]+)\s+OPTIONS\s*(?=\()/i;
const ML_FORECAST = /\bML\.FORECAST\(\s*MODEL\s+(`(?:[^`\\]|\\.)+`|[A-Za-z0-9_.-]+)\s*(?:,\s*STRUCT\(([^()]*)\))?\s*\)/gi;

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
 *
 * BigQuery ML stand-in (ARIMA_PLUS only; it exercises our code path, it does not model):
 * - `CREATE [OR REPLACE] MODEL <name> OPTIONS(model_type = 'ARIMA_PLUS', time_series_timestamp_col = …,
 *   time_series_data_col = …, [time_series_id_col = '…' | ['…', …]], …) AS <select>` checks the options (literals
 *   only, known names, the named columns present in the select, DAILY data, no query parameters) and stores the
 *   select's rows in a table of the fake's own (`"__bqml"."<dataset.model>"`); `models` holds what it made.
 * - `ML.FORECAST(MODEL <name>[, STRUCT(<h> AS horizon, <level> AS confidence_level)])` (constants; defaults 3 and
 *   0.95; h at most the model's `horizon` option, else 1000) is answered with BigQuery's documented columns: the id
 *   columns, `forecast_timestamp` (TIMESTAMP, midnight UTC of each of the h days after the series' last training
 *   day), `forecast_value`, `standard_error`, `confidence_level`, `prediction_interval_lower_bound` and
 *   `prediction_interval_upper_bound`, from a trivial deterministic forecaster: each series' mean over its training
 *   rows, its sample standard deviation (0 for one row) as the standard error, and mean ± z·sd where z is the
 *   normal quantile of the level. (BigQuery also returns the deprecated `confidence_interval_*` columns; the
 *   stand-in does not.) `forecasts` records each call.
 */
export async function startFakeBigQuery(options: { projectId: string; dataset: string; location?: string }): Promise<FakeBigQuery> {
  const { projectId, dataset } = options;
  const location = options.location ?? 'US';
  const instance = await DuckDBInstance.create(':memory:');
  const setup = await instance.connect();
  await setup.run(`CREATE SCHEMA "${dataset}"`);
  await setup.run('CREATE SCHEMA "__bqml"');
  const models = new Map<string, FakeModel>();
  const forecasts: FakeForecastCall[] = [];
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
    await connection.run('CREATE TEMP MACRO bq_greatest(a, b) AS CASE WHEN a IS NULL OR b IS NULL THEN NULL ELSE greatest(a, b) END');
    // BigQuery's DATE(timestamp) and forecast timestamps are UTC.
    await connection.run("SET TimeZone = 'UTC'");
    await connection.run(`CREATE TEMP MACRO bqml_midnight(day) AS CAST(strftime(day, '%Y-%m-%d') || ' 00:00:00+00' AS TIMESTAMPTZ)`);
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

  /** `dataset.model` of a model name as written, the default dataset filled in and any project dropped. */
  function modelKey(written: string): string {
    const parts = written.startsWith('`') ? unquote(written).split('.') : written.split('.');
    const [model, modelDataset = dataset] = [...parts].reverse() as [string, string?];
    return `${modelDataset}.${model}`;
  }

  async function createModel(connection: DuckDBConnection, sql: string, parameters: readonly QueryParameter[]): Promise<Result> {
    const match = sql.match(CREATE_MODEL)!;
    if (parameters.length > 0) throw new ApiError(400, 'Query parameters are not allowed in CREATE MODEL', 'invalidQuery');
    const optionsText = bracketed(sql, match[0].length);
    const select = optionsText === undefined ? undefined : sql.slice(match[0].length + optionsText.length + 2).match(/^\s*AS\s+([\s\S]+)$/i)?.[1];
    if (optionsText === undefined || select === undefined) throw new ApiError(400, 'Syntax error: expected OPTIONS(…) AS <query> in CREATE MODEL', 'invalidQuery');
    const options: Record<string, ModelOptionValue> = {};
    for (const option of topLevel(optionsText)) {
      const [, name, value] = option.match(/^([A-Za-z_]+)\s*=\s*([\s\S]+)$/) ?? [];
      if (!name || value === undefined) throw new ApiError(400, `Syntax error in OPTIONS: ${option}`, 'invalidQuery');
      options[name.toLowerCase()] = optionValue(name, value.trim());
    }
    if (String(options.model_type).toUpperCase() !== 'ARIMA_PLUS') {
      throw new ApiError(400, `this fake's BigQuery ML stand-in trains model_type 'ARIMA_PLUS' only, not ${JSON.stringify(options.model_type)}`, 'invalidQuery');
    }
    const unknown = Object.keys(options).find((name) => !ARIMA_PLUS_OPTIONS.has(name));
    if (unknown) throw new ApiError(400, `Unknown option: ${unknown}`, 'invalidQuery');
    const { time_series_timestamp_col: timestamp, time_series_data_col: data } = options;
    if (typeof timestamp !== 'string' || typeof data !== 'string') {
      throw new ApiError(400, 'ARIMA_PLUS needs time_series_timestamp_col and time_series_data_col', 'invalidQuery');
    }
    if (options.data_frequency !== undefined && String(options.data_frequency).toUpperCase() !== 'DAILY') {
      throw new ApiError(400, `this fake's BigQuery ML stand-in forecasts DAILY data only, not ${String(options.data_frequency)}`, 'invalidQuery');
    }
    const ids = options.time_series_id_col === undefined ? [] : [options.time_series_id_col].flat().map(String);
    const name = modelKey(match[1]!);
    const table = `"__bqml"."${name.replaceAll('"', '""')}"`;
    try {
      await connection.run(`CREATE OR REPLACE TABLE ${table} AS ${toDuckDb(select, [])}`);
    } catch (error) {
      if (error instanceof ApiError) throw error;
      throw new ApiError(400, (error as Error).message, 'invalidQuery');
    }
    const columns = (await connection.runAndReadAll(`DESCRIBE ${table}`)).getRows().map(([column]) => String(column));
    const absent = [timestamp, data, ...ids].find((column) => !columns.includes(column));
    if (absent !== undefined) throw new ApiError(400, `Column ${absent} not found in the training query of ${name}`, 'invalidQuery');
    const [[count]] = (await connection.runAndReadAll(`SELECT count(*) FROM ${table}`)).getRows() as [[bigint]];
    models.set(name, { name, options, table, trainingRows: Number(count) });
    return {};
  }

  /** Each ML.FORECAST call as a subquery over its model's training rows (see the stand-in above). */
  function expandForecasts(sql: string): string {
    return sql.replace(ML_FORECAST, (_, written: string, settingsText: string | undefined) => {
      const name = modelKey(written);
      const model = models.get(name);
      if (!model) throw new ApiError(404, `Not found: Model ${projectId}:${name}`, 'notFound');
      const settings: Record<string, number> = { horizon: 3, confidence_level: 0.95 };
      for (const setting of topLevel(settingsText ?? '')) {
        const [, value, field] = setting.match(/^(-?\d+(?:\.\d+)?)\s+AS\s+([A-Za-z_]+)$/i) ?? [];
        if (value === undefined || !field || !(field.toLowerCase() in settings)) {
          throw new ApiError(400, `ML.FORECAST settings take constant horizon and confidence_level only, not ${setting}`, 'invalidQuery');
        }
        settings[field.toLowerCase()] = Number(value);
      }
      const maxHorizon = typeof model.options.horizon === 'number' ? model.options.horizon : 1000;
      const { horizon, confidence_level: level } = settings as { horizon: number; confidence_level: number };
      if (!Number.isInteger(horizon) || horizon < 1 || horizon > maxHorizon) throw new ApiError(400, `horizon must be an integer from 1 to ${maxHorizon}, not ${horizon}`, 'invalidQuery');
      if (!(level >= 0 && level < 1)) throw new ApiError(400, `confidence_level must be in [0, 1), not ${level}`, 'invalidQuery');
      forecasts.push({ model: name, horizon, confidenceLevel: level });
      const z = normalQuantile((1 + level) / 2);
      const quote = (column: string) => `"${column.replaceAll('"', '""')}"`;
      const ids = [model.options.time_series_id_col ?? []].flat().map((column) => quote(String(column)));
      const [timestamp, data] = [quote(String(model.options.time_series_timestamp_col)), quote(String(model.options.time_series_data_col))];
      const series = `SELECT ${[...ids, `avg(${data}) AS bqml_mean`, `coalesce(stddev_samp(${data}), 0) AS bqml_sd`, `CAST(max(${timestamp}) AS DATE) AS bqml_last`].join(', ')}
        FROM ${model.table}${ids.length > 0 ? ` GROUP BY ${ids.join(', ')}` : ''}`;
      return `(SELECT ${[...ids.map((id) => `s.${id}`), 'bqml_midnight(s.bqml_last + CAST(bqml_steps.step AS INTEGER)) AS forecast_timestamp', 's.bqml_mean AS forecast_value',
        's.bqml_sd AS standard_error', `CAST(${level} AS DOUBLE) AS confidence_level`, `s.bqml_mean - ${z} * s.bqml_sd AS prediction_interval_lower_bound`,
        `s.bqml_mean + ${z} * s.bqml_sd AS prediction_interval_upper_bound`].join(', ')}
        FROM (${series}) s CROSS JOIN range(1, ${horizon + 1}) AS bqml_steps(step))`;
    });
  }

  async function execute(connection: DuckDBConnection, sql: string, parameters: readonly QueryParameter[], int64Timestamps: boolean): Promise<Result> {
    if (CREATE_MODEL.test(sql)) return createModel(connection, sql, parameters);
    let reader;
    try {
      reader = await connection.runAndReadAll(toDuckDb(sql, parameters, expandForecasts));
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
    models,
    forecasts,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
      for (const connection of sessions.values()) connection.closeSync();
      setup.closeSync();
      instance.closeSync();
    },
  };
}

import { BigQuery, BigQueryDate, BigQueryDatetime, BigQueryInt, BigQueryTime, BigQueryTimestamp, Geography } from '@google-cloud/bigquery';
import { BoscoError } from '../../errors.js';
import type { ColumnKind, PartitionKey, Row, SqlValue } from '../types.js';

/** A column as BigQuery's tables.get reports it: legacy (`INTEGER`) or GoogleSQL (`INT64`) type names. */
export interface BigQueryField {
  name: string;
  type: string;
  mode?: string;
}

/** The GoogleSQL type name a query parameter needs, from either spelling of a column type. */
const PARAMETER_TYPE: Record<string, string> = {
  STRING: 'STRING',
  INTEGER: 'INT64',
  INT64: 'INT64',
  FLOAT: 'FLOAT64',
  FLOAT64: 'FLOAT64',
  NUMERIC: 'NUMERIC',
  BIGNUMERIC: 'BIGNUMERIC',
  BOOLEAN: 'BOOL',
  BOOL: 'BOOL',
  DATE: 'DATE',
  DATETIME: 'DATETIME',
  TIME: 'TIME',
  TIMESTAMP: 'TIMESTAMP',
  JSON: 'JSON',
  BYTES: 'BYTES',
  GEOGRAPHY: 'GEOGRAPHY',
};

export function columnKind(field: BigQueryField): ColumnKind {
  if (field.mode === 'REPEATED') return 'other';
  switch (PARAMETER_TYPE[field.type.toUpperCase()]) {
    case 'STRING':
      return 'text';
    case 'INT64':
    case 'FLOAT64':
    case 'NUMERIC':
    case 'BIGNUMERIC':
      return 'number';
    case 'DATE':
      return 'date';
    case 'TIMESTAMP':
    case 'DATETIME':
      return 'timestamp';
    default:
      return 'other';
  }
}

/**
 * A positional value as a typed BigQuery parameter. Integers are INT64 and other numbers FLOAT64, both sent as text
 * so that 2^53 and beyond, NaN and infinities survive JSON; NULL has no type of its own and goes as a NULL STRING.
 */
export function positionalParameter(value: SqlValue): { value: unknown; type: string } {
  if (value === null) return { value: null, type: 'STRING' };
  switch (typeof value) {
    case 'bigint':
      return { value: value.toString(), type: 'INT64' };
    case 'number':
      return Number.isInteger(value) && Math.abs(value) < 2 ** 63
        ? { value: BigInt(value).toString(), type: 'INT64' }
        : { value: String(value), type: 'FLOAT64' };
    case 'boolean':
      return { value, type: 'BOOL' };
    default:
      return { value, type: 'STRING' };
  }
}

/** The parameter type of a column, for binding values to it; nested and repeated columns cannot be bound. */
export function fieldParameterType(table: string, field: BigQueryField): string {
  const type = PARAMETER_TYPE[field.type.toUpperCase()];
  if (!type || field.mode === 'REPEATED') {
    throw new BoscoError('WAREHOUSE_FAILED', `${table}.${field.name} is ${field.mode === 'REPEATED' ? 'ARRAY<' : ''}${field.type}${field.mode === 'REPEATED' ? '>' : ''}, which rows cannot be written to`, {
      hint: 'replace partitions of tables whose columns are scalar (STRING, INT64, FLOAT64, NUMERIC, BOOL, DATE, TIMESTAMP, JSON)',
    });
  }
  return type;
}

/**
 * A value bound to a column of `type`, in the shape the client sends: the client reads DATE, TIME and TIMESTAMP
 * values from a wrapper's `value`, and numbers go as text for the reason given at `positionalParameter`.
 */
export function fieldParameterValue(type: string, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'DATE':
      return BigQuery.date(String(value));
    case 'DATETIME':
      return BigQuery.datetime(String(value));
    case 'TIME':
      return BigQuery.time(String(value));
    case 'TIMESTAMP':
      return BigQuery.timestamp(String(value));
    case 'BOOL':
      return typeof value === 'boolean' ? value : String(value).toLowerCase() === 'true';
    case 'JSON':
      return typeof value === 'object' ? value : String(value);
    case 'INT64':
      return typeof value === 'number' && Number.isInteger(value) ? BigInt(value).toString() : String(value);
    default:
      return String(value);
  }
}

/**
 * A row as a STRUCT parameter with one field per column, the partition's columns filled in; a row carrying a
 * column the table lacks, or a partition column with another value, is refused.
 */
export function partitionRowStruct(table: string, partition: PartitionKey, fields: readonly BigQueryField[], types: readonly string[], row: Row): Record<string, unknown> {
  const unknown = Object.keys(row).find((key) => !fields.some((field) => field.name === key));
  if (unknown !== undefined) {
    throw new BoscoError('WAREHOUSE_FAILED', `${table} has no column '${unknown}'`, {
      hint: `rows for ${table} may only carry its columns: ${fields.map((field) => field.name).join(', ')}`,
    });
  }
  return Object.fromEntries(
    fields.map((field, index) => {
      let value = row[field.name] ?? null;
      if (field.name in partition) {
        if (value === null) value = partition[field.name]!;
        else if (String(value) !== String(partition[field.name])) {
          throw new BoscoError('WAREHOUSE_FAILED', `a row for ${table} has ${field.name} = ${String(value)}, outside the partition being replaced (${field.name} = ${String(partition[field.name])})`, {
            hint: 'replace each partition with its own rows only',
          });
        }
      }
      return [field.name, fieldParameterValue(types[index]!, value)];
    }),
  );
}

/** `text` as a number when the number reads back as the same text, else the text (too large or too precise). */
function numberOrText(text: string): number | string {
  const number = Number(text);
  return String(number) === text ? number : text;
}

/** Always six fractional digits, BigQuery's precision (the client writes three or nine): `…T10:00:00.123456Z`. */
function isoMicros(iso: string): string {
  return iso.replace(/(?:\.(\d+))?Z$/, (_, digits: string | undefined = '') => `.${digits.padEnd(6, '0').slice(0, 6)}Z`);
}

/**
 * A value the client decoded, as the port's rows carry it: INT64 (requested wrapped, since the API sends it as
 * text) and NUMERIC/BIGNUMERIC (big.js) as numbers when exact, else text; DATE, DATETIME, TIME and GEOGRAPHY
 * (wrappers holding `value`) as their text; TIMESTAMP as ISO text; BYTES as base64; STRUCT and ARRAY recursively.
 */
export function plainValue(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof BigQueryInt) return numberOrText(value.value);
  if (value instanceof BigQueryTimestamp) return isoMicros(value.value);
  if (value instanceof BigQueryDate || value instanceof BigQueryDatetime || value instanceof BigQueryTime || value instanceof Geography) {
    return value.value;
  }
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (Array.isArray(value)) return value.map(plainValue);
  // NUMERIC and BIGNUMERIC arrive as big.js instances, which the client does not export.
  if (value.constructor?.name === 'Big') return numberOrText(String(value));
  return plainRow(value as Row);
}

export function plainRow(row: Row): Row {
  return Object.fromEntries(Object.entries(row).map(([name, value]) => [name, plainValue(value)]));
}

const NAME_PART = '(?:`(?:[^`\\\\]|\\\\.)+`|[A-Za-z0-9_-]+)';
const TABLE_NAME = new RegExp(`^${NAME_PART}(?:\\.${NAME_PART})*$`);

/** `[project.]dataset.table` or `table`, each part optionally `quoted`, as its parts without quotes. */
export function tableNameParts(relation: string): string[] | undefined {
  const name = relation.trim();
  if (!TABLE_NAME.test(name)) return undefined;
  const parts = name
    .match(new RegExp(NAME_PART, 'g'))!
    .flatMap((part) => (part.startsWith('`') ? part.slice(1, -1).replace(/\\(.)/g, '$1').split('.') : [part]));
  return parts.length <= 3 ? parts : undefined;
}

import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { addDays, isRealIsoDate } from '../../../core/dates.js';
import { BoscoError, messageOf } from '../../../core/errors.js';
import { redactUri } from '../../../core/redact.js';
import type { SourceReader, StageRequest } from '../../types.js';

/** Errors that mean the server was not reached or would not let us in, rather than a bad request. */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', '28P01', '28000', '3D000']);

export function parsePostgresUri(uri: string): { connectionString: string; schema: string; table: string } {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new BoscoError('USAGE', `source ${redactUri(uri)} is not a valid URI`, {
      hint: 'write it as postgres://user@host:port/db?table=<schema.table>',
    });
  }
  const table = url.searchParams.get('table');
  if (!table) {
    throw new BoscoError('USAGE', `source ${redactUri(uri)} names no table`, {
      hint: 'add ?table=<schema.table> to the URI',
    });
  }
  url.searchParams.delete('table');
  const parts = table.split('.');
  const [schema, name] = parts.length === 2 ? parts : ['public', table];
  return { connectionString: url.toString(), schema: schema!, table: name! };
}

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

function pushdownFilter(request: StageRequest, columnTypes: Map<string, string>): string {
  const filters: string[] = [];
  const { dateColumn, date, clientColumn, clientId } = request.pushdown ?? {};
  const dateType = dateColumn ? columnTypes.get(dateColumn) : undefined;
  // A loose window around the day: time-zone conversion happens afterwards, in the warehouse, on exact rules.
  if (dateColumn && date && isRealIsoDate(date) && dateType && /^(date|timestamp)/.test(dateType)) {
    filters.push(`${quoteIdent(dateColumn)} >= DATE '${addDays(date, -1)}' AND ${quoteIdent(dateColumn)} < DATE '${addDays(date, 2)}'`);
  }
  if (clientColumn && clientId !== undefined && columnTypes.get(clientColumn)?.startsWith('character')) {
    filters.push(`${quoteIdent(clientColumn)} = '${clientId.replaceAll("'", "''")}'`);
  }
  return filters.length > 0 ? ` WHERE ${filters.join(' AND ')}` : '';
}

/**
 * A table in a legacy PostgreSQL database. Rows stream through `COPY … TO STDOUT` into a scratch CSV file that
 * the warehouse reads, so no table is ever held in JavaScript memory and nothing needs a run-time download.
 */
export const postgresSource: SourceReader = {
  name: 'postgres',
  description: 'postgres://user@host:port/db?table=<schema.table>',
  matches: (uri) => /^postgres(ql)?:\/\//.test(uri),
  async stage(request) {
    const { connectionString, schema, table } = parsePostgresUri(request.uri);
    const label = redactUri(request.uri);
    // Loaded here rather than at the top: only runs that read PostgreSQL should pay for the driver.
    const [{ default: pg }, { to: copyTo }] = await Promise.all([import('pg'), import('pg-copy-streams')]);
    const client = new pg.Client({ connectionString, connectionTimeoutMillis: 10_000 });
    try {
      await client.connect();
    } catch (error) {
      throw new BoscoError('SOURCE_UNREACHABLE', `cannot connect to PostgreSQL at ${redactUri(connectionString)}: ${messageOf(error)}`, {
        hint: 'check that the server is running and the host, port, user and database in the URI are right',
        cause: error,
      });
    }
    const scratch = join(request.scratchDir, `pg-${randomUUID()}.csv`);
    try {
      await client.query(`SET TIME ZONE 'UTC'`);
      const { rows } = await client.query<{ column_name: string; data_type: string }>(
        'SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position',
        [schema, table],
      );
      if (rows.length === 0) {
        throw new BoscoError('SOURCE_NOT_FOUND', `table ${schema}.${table} does not exist in ${redactUri(connectionString)}`, {
          hint: 'name an existing table with ?table=<schema.table>',
        });
      }
      const types = new Map(rows.map((row) => [row.column_name, row.data_type]));
      const wanted = request.columns.filter((column) => types.has(column));
      const select = wanted.length > 0 ? wanted.map(quoteIdent).join(', ') : '1 AS bosco_empty';
      const copy = `COPY (SELECT ${select} FROM ${quoteIdent(schema)}.${quoteIdent(table)}${pushdownFilter(request, types)}) TO STDOUT WITH (FORMAT csv, HEADER true)`;
      mkdirSync(request.scratchDir, { recursive: true });
      await pipeline(client.query(copyTo(copy)), createWriteStream(scratch));
      const columns = await request.warehouse.stageExternal(request.relation, {
        kind: 'file',
        path: scratch,
        format: 'csv',
        quotedEmptyIsText: true,
      });
      return { columns, label };
    } catch (error) {
      if (error instanceof BoscoError) throw error;
      const code = (error as { code?: string }).code;
      throw new BoscoError(
        code && UNREACHABLE_CODES.has(code) ? 'SOURCE_UNREACHABLE' : 'SOURCE_MALFORMED',
        `cannot read ${label}: ${messageOf(error)}`,
        { hint: 'check the table and the permissions of the user in the URI', cause: error },
      );
    } finally {
      rmSync(scratch, { force: true });
      await client.end().catch(() => undefined);
    }
  },
};

import { addDays } from '../../../core/dates.js';
import { BoscoError, messageOf } from '../../../core/errors.js';
import { redactUri } from '../../../core/redact.js';
import { LEGACY_EXPORT_COLUMNS, statTimestamp, type LegacyStore } from './legacy-store.js';

/** Rows per INSERT statement, far under PostgreSQL's 65,535 parameters. */
const STATEMENT_ROWS = 1000;

/** Errors that mean the server was not reached or would not let us in. */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', '28P01', '28000', '3D000']);

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** The legacy DDL: no primary key and no unique index, which is how a retried insert could land twice. */
function createTableSql(table: string): string {
  return `CREATE TABLE IF NOT EXISTS ${table} (
    client_ref varchar(64) NOT NULL,
    stat_ts timestamp NOT NULL,
    src varchar(8) NOT NULL,
    account_ref varchar(64) NOT NULL,
    campaign_ref varchar(64) NOT NULL,
    ccy char(3),
    cost_micros bigint,
    impr bigint,
    clk bigint,
    conv double precision,
    rev_micros bigint
  )`;
}

function failure(error: unknown, label: string): BoscoError {
  if (error instanceof BoscoError) return error;
  const code = (error as { code?: string }).code;
  if (code && UNREACHABLE_CODES.has(code)) {
    return new BoscoError('SOURCE_UNREACHABLE', `cannot reach PostgreSQL at ${label}: ${messageOf(error)}`, {
      hint: 'check that the server is running and the host, port, user and database in --target are right',
      cause: error,
    });
  }
  return new BoscoError('WAREHOUSE_FAILED', `cannot write the legacy export to ${label}: ${messageOf(error)}`, {
    hint: 'check that the user in --target may create and write the table',
    cause: error,
  });
}

/** The export in a PostgreSQL database, as the legacy system kept it, through `pg`. */
export async function postgresLegacyStore(connectionString: string, schema: string, table: string): Promise<LegacyStore> {
  const label = redactUri(connectionString);
  // Loaded here rather than at the top: only runs that write PostgreSQL should pay for the driver.
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    // Timestamps without a zone are written and compared as UTC, whatever the server's default.
    await client.query(`SET TIME ZONE 'UTC'`);
  } catch (error) {
    await client.end().catch(() => undefined);
    throw failure(error, label);
  }
  const name = `${quoteIdent(schema)}.${quoteIdent(table)}`;
  const columns = LEGACY_EXPORT_COLUMNS.map(quoteIdent).join(', ');
  const sourceUri = new URL(label);
  sourceUri.searchParams.set('table', `${schema}.${table}`);
  return {
    sourceUri: sourceUri.toString(),
    async prepare() {
      try {
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
        await client.query(createTableSql(name));
      } catch (error) {
        throw failure(error, label);
      }
    },
    async replaceClientDay(clientId, date, inserts) {
      try {
        await client.query('BEGIN');
        await client.query(`DELETE FROM ${name} WHERE client_ref = $1 AND stat_ts >= $2 AND stat_ts < $3`, [clientId, statTimestamp(date), statTimestamp(addDays(date, 1))]);
        for (const rows of inserts) {
          for (let start = 0; start < rows.length; start += STATEMENT_ROWS) {
            const batch = rows.slice(start, start + STATEMENT_ROWS);
            const tuples = batch.map((_, r) => `(${LEGACY_EXPORT_COLUMNS.map((__, c) => `$${r * LEGACY_EXPORT_COLUMNS.length + c + 1}`).join(', ')})`);
            await client.query(`INSERT INTO ${name} (${columns}) VALUES ${tuples.join(', ')}`, batch.flatMap((row) => LEGACY_EXPORT_COLUMNS.map((column) => row[column])));
          }
        }
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw failure(error, label);
      }
    },
    close: () => client.end().catch(() => undefined),
  };
}

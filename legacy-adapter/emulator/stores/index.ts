import { resolve } from 'node:path';
import { BoscoError } from '../../../core/errors.js';
import { redactUri } from '../../../core/redact.js';
import { DuckDbWarehouse } from '../../../core/warehouse/duckdb/duckdb-warehouse.js';
import type { Warehouse } from '../../../core/warehouse/index.js';
import { LEGACY_EXPORT_TABLE } from '../../legacy-schema.js';
import { parsePostgresUri } from '../../sources/postgres/postgres-source.js';
import type { LegacyStore } from './legacy-store.js';
import { postgresLegacyStore } from './postgres-legacy-store.js';
import { warehouseLegacyStore } from './warehouse-legacy-store.js';

/**
 * Where the emulator writes the legacy export: an open warehouse (the workspace's), or a URI written as the reconciler
 * reads it back, `postgres://user@host:port/db[?table=<schema.table>]` or `duckdb:<path>[?table=<schema.table>]`;
 * the table defaults to `legacy_export.daily_stats`.
 */
export type LegacyTarget = Warehouse | string;

export async function openLegacyStore(target: LegacyTarget): Promise<LegacyStore> {
  if (typeof target !== 'string') {
    return warehouseLegacyStore(target, LEGACY_EXPORT_TABLE, { sourceUri: `warehouse:${LEGACY_EXPORT_TABLE}`, ownsWarehouse: false });
  }
  if (/^postgres(ql)?:\/\//.test(target)) {
    const withTable = /[?&]table=/.test(target) ? target : `${target}${target.includes('?') ? '&' : '?'}table=${LEGACY_EXPORT_TABLE}`;
    const { connectionString, schema, table } = parsePostgresUri(withTable);
    return postgresLegacyStore(connectionString, schema, table);
  }
  if (target.startsWith('duckdb:')) {
    const [path = '', query = ''] = target.slice('duckdb:'.length).split('?', 2);
    if (!path) throw new BoscoError('USAGE', `target ${target} names no file`, { hint: 'write it as duckdb:<path>[?table=<schema.table>]' });
    const table = new URLSearchParams(query).get('table') ?? LEGACY_EXPORT_TABLE;
    const file = resolve(path);
    const warehouse = await DuckDbWarehouse.open({ path: file });
    return warehouseLegacyStore(warehouse, table, { sourceUri: `duckdb:${file}?table=${table}`, ownsWarehouse: true });
  }
  throw new BoscoError('USAGE', `target ${redactUri(target)} is not a place the legacy export can be written`, {
    hint: 'use postgres://user@host:port/db[?table=<schema.table>] or duckdb:<path>[?table=<schema.table>]',
  });
}

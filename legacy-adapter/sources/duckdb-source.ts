import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { BoscoError, messageOf } from '../../core/errors.js';
import type { SourceReader } from '../types.js';
import { firstLine } from './file-source.js';

/** Parses `duckdb:<path>?table=<name>`. */
export function parseDuckDbUri(uri: string): { path: string; table: string } {
  const body = uri.slice('duckdb:'.length);
  const [path = '', query = ''] = body.split('?', 2);
  const table = new URLSearchParams(query).get('table');
  if (!path || !table) {
    throw new BoscoError('USAGE', `source ${uri} must name a file and a table`, {
      hint: 'write it as duckdb:<path>?table=<name> (e.g. duckdb:legacy.duckdb?table=main.daily_stats)',
    });
  }
  return { path: resolve(path), table };
}

/** A table in another DuckDB file, attached read-only so the legacy file is never changed. */
export const duckdbSource: SourceReader = {
  name: 'duckdb',
  description: 'duckdb:<path>?table=<name>',
  matches: (uri) => uri.startsWith('duckdb:'),
  async stage({ warehouse, uri, relation }) {
    const { path, table } = parseDuckDbUri(uri);
    if (!existsSync(path)) {
      throw new BoscoError('SOURCE_NOT_FOUND', `DuckDB file ${path} does not exist`, { hint: 'check the path in the duckdb: URI' });
    }
    let columns;
    try {
      columns = await warehouse.stageExternal(relation, { kind: 'database', path, table });
    } catch (error) {
      throw new BoscoError('SOURCE_MALFORMED', `cannot read ${uri}: ${firstLine(messageOf(error))}`, {
        hint: 'check that the file is a DuckDB database and not open for writing by another process',
        cause: error,
      });
    }
    if (columns.length === 0) {
      throw new BoscoError('SOURCE_NOT_FOUND', `table ${table} does not exist in ${path}`, {
        hint: 'name an existing table with ?table=<schema.table>',
      });
    }
    return { columns, label: uri };
  },
};

import { existsSync, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { BoscoError, messageOf } from '../../core/errors.js';
import type { SourceReader } from '../types.js';

const FORMATS: Record<string, 'csv' | 'parquet' | 'jsonl'> = {
  '.csv': 'csv',
  '.parquet': 'parquet',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
};

export const SUPPORTED_FILE_EXTENSIONS = Object.keys(FORMATS);

/** CSV, Parquet and JSON-lines files, read by the warehouse engine itself. */
export const fileSource: SourceReader = {
  name: 'file',
  description: 'a .csv, .parquet or .jsonl/.ndjson file',
  matches: (uri) => extname(uri.replace(/^file:/, '')).toLowerCase() in FORMATS,
  async stage({ warehouse, uri, relation, columns }) {
    const path = resolve(uri.replace(/^file:/, ''));
    const format = FORMATS[extname(path).toLowerCase()]!;
    if (!existsSync(path) || !statSync(path).isFile()) {
      throw new BoscoError('SOURCE_NOT_FOUND', `source file ${uri} does not exist`, {
        hint: 'check the path (it is relative to the current folder)',
      });
    }
    try {
      const staged = await warehouse.stageExternal(relation, { kind: 'file', path, format, fields: columns });
      return { columns: staged, label: uri };
    } catch (error) {
      throw new BoscoError('SOURCE_MALFORMED', `${uri} is not a readable ${format} file: ${firstLine(messageOf(error))}`, {
        hint: `check that the file is ${format === 'jsonl' ? 'one JSON object per line' : `valid ${format}`} and not truncated`,
        cause: error,
      });
    }
  },
};

export function firstLine(message: string): string {
  return message.split('\n')[0]!.trim();
}

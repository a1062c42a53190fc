import { extname } from 'node:path';
import { BoscoError } from '../../core/errors.js';
import { redactUri } from '../../core/redact.js';
import type { SourceReader } from '../types.js';
import { duckdbSource } from './duckdb-source.js';
import { fileSource, SUPPORTED_FILE_EXTENSIONS } from './file-source.js';
import { postgresSource } from './postgres/postgres-source.js';
import { warehouseSource } from './warehouse-source.js';

/** Every source kind, in the order they are tried. Adding one is one file and one line here. */
export const SOURCE_READERS: readonly SourceReader[] = [postgresSource, duckdbSource, warehouseSource, fileSource];

export function sourceReaderFor(uri: string): SourceReader {
  const reader = SOURCE_READERS.find((candidate) => candidate.matches(uri));
  if (reader) return reader;
  const extension = extname(uri);
  throw new BoscoError('SOURCE_UNSUPPORTED', `source ${redactUri(uri)} is not a kind bosco can read${extension ? ` (extension ${extension})` : ''}`, {
    hint: `use a ${SUPPORTED_FILE_EXTENSIONS.join('/')} file, ${SOURCE_READERS.filter((r) => r !== fileSource).map((r) => r.description).join(', ')}`,
  });
}

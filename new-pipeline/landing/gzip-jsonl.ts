import { randomBytes } from 'node:crypto';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { BoscoError } from '../../core/errors.js';

export interface WrittenFile {
  path: string;
  sha256: string;
  bytes: number;
}

/**
 * Writes JSON values as gzip JSON lines to a temporary file and renames it into place, so readers see the whole
 * file or none of it, never a half-written one.
 */
export function writeJsonLinesAtomic(path: string, values: readonly unknown[]): WrittenFile {
  mkdirSync(dirname(path), { recursive: true });
  const compressed = gzipSync(values.map((value) => JSON.stringify(value)).join('\n') + '\n');
  const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(temporary, compressed);
    renameSync(temporary, path);
  } finally {
    rmSync(temporary, { force: true });
  }
  return { path, sha256: createHash('sha256').update(compressed).digest('hex'), bytes: compressed.length };
}

/** Reads a gzip JSON-lines file; a file that is not whole (cut short, not gzip, a bad line) is PAYLOAD_INVALID naming it. */
export function readJsonLines(path: string): unknown[] {
  let text: string;
  try {
    text = gunzipSync(readFileSync(path)).toString('utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new BoscoError('SOURCE_NOT_FOUND', `${path} does not exist`, { hint: 'fetch (or transform) that day first', cause: error });
    }
    throw new BoscoError('PAYLOAD_INVALID', `${path} is not a whole gzip file`, { hint: 'fetch the partition again to replace it', cause: error });
  }
  return text.split('\n').filter(Boolean).map((line, i) => {
    try {
      return JSON.parse(line) as unknown;
    } catch (error) {
      throw new BoscoError('PAYLOAD_INVALID', `${path}: line ${i + 1} is not valid JSON`, { hint: 'fetch the partition again to replace it', cause: error });
    }
  });
}

/** SHA-256 of a file's bytes, as lineage records it. */
export function sha256Of(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

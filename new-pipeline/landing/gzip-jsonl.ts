import { randomBytes } from 'node:crypto';
import { createHash } from 'node:crypto';
import { mkdir, readFileSync, rename, rm, writeFile } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync, gzip } from 'node:zlib';
import { BoscoError } from '../../core/errors.js';

export interface WrittenFile {
  path: string;
  sha256: string;
  bytes: number;
}

export interface WriteOptions {
  /** gzip level, 1 (fastest) to 9 (smallest). Default zlib's, 6: a file read once soon after can take 1. */
  level?: number;
}

function jsonLines(values: readonly unknown[]): string {
  let text = '';
  for (const value of values) text += `${JSON.stringify(value)}\n`;
  return text;
}

const written = (path: string, compressed: Buffer): WrittenFile => ({ path, sha256: createHash('sha256').update(compressed).digest('hex'), bytes: compressed.length });
const temporaryFor = (path: string) => `${path}.${randomBytes(4).toString('hex')}.tmp`;

// The callback forms, as in raw-landing.ts: cheaper for the event loop than their promise twins.
const gzipAsync = promisify(gzip);
const mkdirAsync = promisify(mkdir);
const writeFileAsync = promisify(writeFile);
const renameAsync = promisify(rename);
const rmAsync = promisify(rm);

/**
 * Writes JSON values as gzip JSON lines to a temporary file and renames it into place, so readers see the whole
 * file or none of it, never a half-written one. The values are encoded before it returns; compressing and writing
 * run off the event loop, so the caller may go on (with the next partition) meanwhile.
 */
export async function writeJsonLinesAtomic(path: string, values: readonly unknown[], options: WriteOptions = {}): Promise<WrittenFile> {
  const text = jsonLines(values);
  const compressed = await gzipAsync(text, options.level === undefined ? {} : { level: options.level });
  const temporary = temporaryFor(path);
  try {
    await writeFileAsync(temporary, compressed).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
      await mkdirAsync(dirname(path), { recursive: true });
      await writeFileAsync(temporary, compressed);
    });
    await renameAsync(temporary, path);
  } catch (error) {
    await rmAsync(temporary, { force: true });
    throw error;
  }
  return written(path, compressed);
}

/** Reads a gzip JSON-lines file; a file that is not whole (cut short, not gzip, a bad line) is PAYLOAD_INVALID naming it. */
export function readJsonLines(path: string): unknown[] {
  return readJsonLinesHashed(path).values;
}

/** As `readJsonLines`, with the SHA-256 of the file's bytes: the file is read once for both. */
export function readJsonLinesHashed(path: string): { values: unknown[]; sha256: string } {
  let bytes: Buffer;
  let text: string;
  try {
    bytes = readFileSync(path);
    text = gunzipSync(bytes).toString('utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new BoscoError('SOURCE_NOT_FOUND', `${path} does not exist`, { hint: 'fetch (or transform) that day first', cause: error });
    }
    throw new BoscoError('PAYLOAD_INVALID', `${path} is not a whole gzip file`, { hint: 'fetch the partition again to replace it', cause: error });
  }
  const values: unknown[] = [];
  let line = 0;
  for (let start = 0; start < text.length; ) {
    const end = text.indexOf('\n', start);
    const stop = end === -1 ? text.length : end;
    line++;
    if (stop > start) {
      try {
        values.push(JSON.parse(text.slice(start, stop)));
      } catch (error) {
        throw new BoscoError('PAYLOAD_INVALID', `${path}: line ${line} is not valid JSON`, { hint: 'fetch the partition again to replace it', cause: error });
      }
    }
    start = stop + 1;
  }
  return { values, sha256: createHash('sha256').update(bytes).digest('hex') };
}

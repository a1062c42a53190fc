import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFileSync, rename, rm, writeFile } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Platform } from '../../core/metric-row.js';
import type { ApiRequest } from '../connectors/types.js';

/** One client's data from one platform for one day: the unit that is landed, loaded and replaced whole. */
export interface PartitionKey {
  date: string;
  platform: Platform;
  clientId: string;
}

/** One API response as landed, with what was asked and when. */
export interface LandedPage {
  account_id: string;
  request: ApiRequest;
  status: number;
  fetched_at: string;
  body: unknown;
}

export interface PartitionHeader {
  run_id: string;
  api: string;
  connector_version: string;
  /** Facts the API reported per account (currency, time zone). */
  accounts: Record<string, { currency?: string; timeZone?: string }>;
  unknown_fields: string[];
}

export interface LandedPartition {
  path: string;
  sha256: string;
  bytes: number;
  pages: number;
}

/**
 * The raw tree of the tables a run loads: `raw` for the serving tables, `raw-<namespace>` for a namespace (a shadow
 * run's). Each tree holds only what its tables were loaded from, so a fetch for one never overwrites the payload
 * that another's lineage hashed, and a replay of the serving tables never reloads a shadow run's payloads.
 */
export const rawRoot = (workspaceDir: string, namespace?: string) => join(workspaceDir, namespace ? `raw-${namespace}` : 'raw');

/** `<raw tree>/date=D/platform=P/client=C.jsonl.gz`; the client id is encoded so no id can escape the folder. */
export function partitionPath(workspaceDir: string, key: PartitionKey, namespace?: string): string {
  return join(rawRoot(workspaceDir, namespace), `date=${key.date}`, `platform=${key.platform}`, `client=${encodeURIComponent(key.clientId)}.jsonl.gz`);
}

// The callback forms: on this path their promise twins (FileHandle) cost the event loop about twice as much.
const mkdirAsync = promisify(mkdir);
const writeFileAsync = promisify(writeFile);
const renameAsync = promisify(rename);
const rmAsync = promisify(rm);

/**
 * Lands a partition's raw responses as gzip JSON lines: a header line, then one line per response. Written to
 * a temporary file and renamed into place, so a partition is either wholly there or not at all. The file work
 * runs off the event loop, so a fetch keeps calling the platforms while partitions land; compressing stays on it,
 * being cheaper there than the hand-off. `namespace` picks the raw tree (see `rawRoot`); default the serving one.
 */
export async function landPartition(workspaceDir: string, key: PartitionKey, header: PartitionHeader, pages: readonly LandedPage[], namespace?: string): Promise<LandedPartition> {
  const path = partitionPath(workspaceDir, key, namespace);
  const lines = [JSON.stringify({ kind: 'partition', ...key, ...header }), ...pages.map((page) => JSON.stringify({ kind: 'page', ...page }))];
  const compressed = gzipSync(lines.join('\n') + '\n');
  const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    // Most partitions land in a folder an earlier one made; make it only when the write says it is missing.
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
  return { path, sha256: createHash('sha256').update(compressed).digest('hex'), bytes: compressed.length, pages: pages.length };
}

/** Reads a landed partition back: its header and its pages. */
export function readLandedPartition(path: string): { header: PartitionKey & PartitionHeader; pages: LandedPage[] } {
  const lines = gunzipSync(readFileSync(path)).toString('utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
  const [header, ...pages] = lines;
  return { header: header as unknown as PartitionKey & PartitionHeader, pages: pages as unknown as LandedPage[] };
}

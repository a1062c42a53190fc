import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { messageOf } from '../../core/errors.js';
import type { Warehouse } from '../../core/warehouse/index.js';
import type { PartitionKey } from '../landing/raw-landing.js';
import type { PipelineTables } from './pipeline-tables.js';

/** Where one loaded partition came from, down to the raw payload file. */
export interface LineageManifest extends PartitionKey {
  run_id: string;
  api: string;
  connector_version: string;
  transform_version: string;
  raw_path: string;
  raw_sha256: string;
  /** API calls (landed pages) behind the partition. */
  requests: number;
  /** Raw records the pages held. */
  records: number;
  /** Canonical rows loaded. */
  rows: number;
  /** Hash of the field paths the payloads carried: a change means the platform changed its shape. */
  schema_fingerprint: string;
  /** Per account: currency and time zone as reported, and what the transform did about them. */
  accounts: Record<string, unknown>;
  fetched_at: string;
  loaded_at: string;
}

/** Manifests per INSERT: a few thousand parameters, well inside every engine's limits. */
const MANIFESTS_PER_INSERT = 100;

/** Appends manifests; run inside the load's transaction so a manifest exists exactly when its rows do. */
export async function recordLineage(warehouse: Warehouse, tables: PipelineTables, manifests: readonly LineageManifest[]): Promise<void> {
  const tuple = '(?, ?, ?, CAST(? AS DATE), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS TIMESTAMP), CAST(? AS TIMESTAMP))';
  for (let start = 0; start < manifests.length; start += MANIFESTS_PER_INSERT) {
    const chunk = manifests.slice(start, start + MANIFESTS_PER_INSERT);
    await warehouse.run(
      `INSERT INTO ${tables.lineage} VALUES ${chunk.map(() => tuple).join(', ')}`,
      chunk.flatMap((m) => [m.run_id, m.clientId, m.platform, m.date, m.api, m.connector_version, m.transform_version, m.raw_path, m.raw_sha256, m.requests, m.records, m.rows,
        m.schema_fingerprint, JSON.stringify(m.accounts), m.fetched_at || null, m.loaded_at]),
    );
  }
}

/** Every load of a client's day, newest first: the first of each platform is what the warehouse holds now. */
export async function lineageFor(warehouse: Warehouse, tables: PipelineTables, clientId: string, date: string, platform?: string): Promise<LineageManifest[]> {
  const rows = await warehouse.query(
    `SELECT * FROM ${tables.lineage} WHERE client_id = ? AND date = CAST(? AS DATE) ${platform ? 'AND platform = ?' : ''} ORDER BY platform, loaded_at DESC`,
    platform ? [clientId, date, platform] : [clientId, date],
  );
  return rows.map((row) => ({
    run_id: String(row.run_id),
    clientId: String(row.client_id),
    platform: row.platform as LineageManifest['platform'],
    date: String(row.date),
    api: String(row.api),
    connector_version: String(row.connector_version),
    transform_version: String(row.transform_version),
    raw_path: String(row.raw_path),
    raw_sha256: String(row.raw_sha256),
    requests: Number(row.requests),
    records: Number(row.records),
    rows: Number(row.rows),
    schema_fingerprint: String(row.schema_fingerprint),
    accounts: typeof row.accounts === 'string' ? (JSON.parse(row.accounts) as Record<string, unknown>) : ((row.accounts ?? {}) as Record<string, unknown>),
    fetched_at: String(row.fetched_at),
    loaded_at: String(row.loaded_at),
  }));
}

/**
 * Whether a manifest's raw payload file still backs its numbers: `verified` when the file's sha256 is the one
 * recorded at load, `changed` when it differs (refetched, edited or damaged since), `missing` when it is gone,
 * `unreadable` when it is there but cannot be read (permissions, a directory).
 */
export type RawPayloadState = { state: 'verified' } | { state: 'changed'; sha256: string } | { state: 'missing' } | { state: 'unreadable'; error: string };

/** Hashes the manifest's raw payload file as it is now, streamed (a payload can be large), against the manifest. */
export async function checkRawPayload(manifest: Pick<LineageManifest, 'raw_path' | 'raw_sha256'>): Promise<RawPayloadState> {
  const hash = createHash('sha256');
  try {
    await pipeline(createReadStream(manifest.raw_path), hash);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? { state: 'missing' } : { state: 'unreadable', error: messageOf(error) };
  }
  const sha256 = hash.digest('hex');
  return sha256 === manifest.raw_sha256 ? { state: 'verified' } : { state: 'changed', sha256 };
}

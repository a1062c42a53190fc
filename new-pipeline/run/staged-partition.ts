import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ClientConfig, QualitySettings } from '../../core/config.js';
import { isBoscoError, messageOf } from '../../core/errors.js';
import { PLATFORMS, type MetricRow, type Platform } from '../../core/metric-row.js';
import { readJsonLines, readJsonLinesHashed, writeJsonLinesAtomic } from '../landing/gzip-jsonl.js';
import { partitionPath, rawRoot, type LandedPage, type PartitionHeader, type PartitionKey } from '../landing/raw-landing.js';
import type { LineageManifest } from '../load/lineage.js';
import { partitionQuality, type PartitionQuality, type QualityCheck } from '../quality/partition-quality.js';
import { validatePayloads, type DriftRecord } from '../quality/payload-validation.js';
import { checkRows } from '../quality/row-rules.js';
import { checkVolume, volumeOf, type PartitionVolume } from '../quality/volume-anomaly.js';
import { FxRateMissingError, type FxTable } from '../transform/currency-conversion.js';
import { transformFor } from '../transform/index.js';
import { transformPartition } from '../transform/transform-partition.js';

/** A partition after transform and quality, ready to load (or, quarantined, to be recorded and kept out). */
export interface StagedPartition {
  key: PartitionKey;
  quality: PartitionQuality;
  /** The manifest to record on load, less what only the load knows. */
  lineage: Omit<LineageManifest, 'loaded_at'>;
  drift: DriftRecord[];
  rows: MetricRow[];
}

/** Staged partitions of a namespace live apart, so a shadow run and a serving run of one day never mix. */
export const stagedRoot = (workspaceDir: string, namespace?: string) => join(workspaceDir, namespace ? `staged-${namespace}` : 'staged');

/** `<staged root>/date=D/platform=P/client=C.jsonl.gz`, laid out as the raw file it came from. */
export function stagedPath(workspaceDir: string, key: PartitionKey, namespace?: string): string {
  return partitionPath(workspaceDir, key).replace(rawRoot(workspaceDir), stagedRoot(workspaceDir, namespace));
}

/** The partitions under a root (raw or staged) for a day: one file per platform and client. */
export function partitionsOnDisk(root: string, date: string): PartitionKey[] {
  const dayDir = join(root, `date=${date}`);
  if (!existsSync(dayDir)) return [];
  const keys: PartitionKey[] = [];
  for (const platformDir of readdirSync(dayDir).sort()) {
    const platform = platformDir.replace(/^platform=/, '') as Platform;
    if (!PLATFORMS.includes(platform)) continue;
    for (const file of readdirSync(join(dayDir, platformDir)).sort()) {
      const match = /^client=(.+)\.jsonl\.gz$/.exec(file);
      if (match) keys.push({ date, platform, clientId: decodeURIComponent(match[1]!) });
    }
  }
  return keys;
}

/** A field path seen in page bodies, with the leaf types found there and the paths below it. */
interface ShapeNode {
  path: string;
  types: Set<string>;
  items?: ShapeNode;
  fields: Map<string, ShapeNode>;
}

const shapeNode = (path: string): ShapeNode => ({ path, types: new Set(), fields: new Map() });

/**
 * A hash of the sorted field paths of every page body: the same shape gives the same fingerprint. Each path is
 * spelled once, where it is first seen, not once per value: pages hold thousands of records of one shape.
 */
function schemaFingerprint(pages: readonly LandedPage[]): string {
  const root = shapeNode('');
  const walk = (value: unknown, node: ShapeNode): void => {
    if (Array.isArray(value)) {
      const items = (node.items ??= shapeNode(`${node.path}[]`));
      for (const item of value) walk(item, items);
    } else if (value !== null && typeof value === 'object') {
      for (const name of Object.keys(value)) {
        let field = node.fields.get(name);
        if (!field) node.fields.set(name, (field = shapeNode(node.path ? `${node.path}.${name}` : name)));
        walk((value as Record<string, unknown>)[name], field);
      }
    } else node.types.add(value === null ? 'null' : typeof value);
  };
  for (const page of pages) walk(page.body, root);
  const paths = new Set<string>();
  const collect = (node: ShapeNode): void => {
    for (const type of node.types) paths.add(`${node.path}:${type}`);
    if (node.items) collect(node.items);
    for (const field of node.fields.values()) collect(field);
  };
  collect(root);
  return createHash('sha256').update([...paths].sort().join('\n')).digest('hex').slice(0, 16);
}

export interface StageRequest {
  workspaceDir: string;
  key: PartitionKey;
  client: Pick<ClientConfig, 'currency' | 'conversions'>;
  clientTimeZone: string;
  rates: FxTable;
  /** The partition's loaded volume on earlier days (only days that had a partition). */
  history: readonly PartitionVolume[];
  quality: QualitySettings;
  runId: string;
  /** The namespace of the tables being loaded, whose raw tree the partition was landed in (see `rawRoot`). */
  namespace?: string;
}

const quarantineCheck = (check: string, message: string): QualityCheck => ({ check, outcome: 'quarantine', count: 1, message, sample: [{ reason: message }] });

/**
 * Transforms one landed partition and checks its quality, without any I/O but reading the raw file and writing
 * the staged one. A payload that cannot be read, a record that does not fit its schema, or a missing FX rate
 * quarantines this partition alone, with the reason; the rows it had stay as they were.
 */
export function stagePartition(request: StageRequest): StagedPartition {
  const { key } = request;
  const rawPath = partitionPath(request.workspaceDir, key, request.namespace);
  const lineage: StagedPartition['lineage'] = {
    ...key, run_id: request.runId, api: '', connector_version: '', transform_version: transformFor(key.platform).transformVersion,
    raw_path: rawPath, raw_sha256: '', requests: 0, records: 0, rows: 0, schema_fingerprint: '', accounts: {}, fetched_at: '',
  };
  const quarantined = (check: QualityCheck, drift: DriftRecord[] = [], checks: QualityCheck[] = []): StagedPartition => ({
    key, lineage, drift, rows: [], quality: partitionQuality(key, [...checks, check]),
  });

  let header: PartitionKey & PartitionHeader;
  let pages: LandedPage[];
  try {
    const raw = readJsonLinesHashed(rawPath);
    lineage.raw_sha256 = raw.sha256;
    const [first, ...rest] = raw.values as Array<Record<string, unknown>>;
    if (first?.kind !== 'partition') throw new Error('the file has no partition header line');
    header = first as unknown as PartitionKey & PartitionHeader;
    pages = rest as unknown as LandedPage[];
  } catch (error) {
    return quarantined(quarantineCheck('payload.file', `the raw file ${rawPath} cannot be read: ${messageOf(error)}`));
  }
  Object.assign(lineage, {
    api: header.api,
    connector_version: header.connector_version,
    requests: pages.length,
    schema_fingerprint: schemaFingerprint(pages),
    fetched_at: pages.map((page) => page.fetched_at).sort().at(-1) ?? '',
  });

  const validation = validatePayloads({ header, pages });
  if (validation.quarantine) return quarantined(validation.checks.find((c) => c.outcome === 'quarantine')!, validation.drift, validation.checks.filter((c) => c.outcome !== 'quarantine'));
  lineage.records = validation.accounts.reduce((sum, account) => sum + account.records.length, 0);

  let transformed: ReturnType<typeof transformPartition>;
  try {
    transformed = transformPartition({ key, client: request.client, clientTimeZone: request.clientTimeZone, accounts: validation.accounts, rates: request.rates });
  } catch (error) {
    if (error instanceof FxRateMissingError) return quarantined(quarantineCheck('fx.rate', error.message), validation.drift, validation.checks);
    if (isBoscoError(error) && error.code === 'PAYLOAD_INVALID') return quarantined(quarantineCheck('payload.values', error.message), validation.drift, validation.checks);
    throw error;
  }
  lineage.rows = transformed.rows.length;
  lineage.accounts = transformed.accounts;
  lineage.transform_version = transformed.transformVersion;
  const checks = [...validation.checks, ...checkRows(transformed.rows), ...checkVolume(volumeOf(key.date, transformed.rows), request.history, request.quality)];
  const quality = partitionQuality(key, checks);
  return { key, lineage, drift: validation.drift, quality, rows: quality.status === 'quarantined' ? [] : transformed.rows };
}

/**
 * Writes a staged partition atomically: its header line, then its rows. The partition is encoded before this
 * returns; compressing (fastest gzip: the load reads the file once, soon) and writing run off the event loop.
 */
export async function writeStaged(workspaceDir: string, staged: StagedPartition, namespace?: string): Promise<string> {
  const { rows, ...header } = staged;
  return (await writeJsonLinesAtomic(stagedPath(workspaceDir, staged.key, namespace), [{ kind: 'staged', ...header }, ...rows], { level: 1 })).path;
}

export function readStaged(workspaceDir: string, key: PartitionKey, namespace?: string): StagedPartition {
  const [header, ...rows] = readJsonLines(stagedPath(workspaceDir, key, namespace)) as Array<Record<string, unknown>>;
  const { kind: _kind, ...staged } = header as Record<string, unknown>;
  return { ...(staged as unknown as Omit<StagedPartition, 'rows'>), rows: rows as unknown as MetricRow[] };
}

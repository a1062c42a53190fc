import type { EventBus } from '../../core/bus/index.js';
import type { BoscoConfig } from '../../core/config.js';
import { addDays } from '../../core/dates.js';
import { messageOf } from '../../core/errors.js';
import { getLogger } from '../../core/logger.js';
import type { Platform } from '../../core/metric-row.js';
import { inSpan } from '../../core/telemetry.js';
import type { Warehouse } from '../../core/warehouse/index.js';
import { rawRoot, type PartitionKey } from '../landing/raw-landing.js';
import { fxRatesFor } from '../load/fx-rates.js';
import { announceLoad, commitStagedPartitions, driftByPartition, type LoadOutcome } from '../load/load-partition.js';
import { ensurePipelineTables, type PipelineTables } from '../load/pipeline-tables.js';
import type { QualityStatus } from '../quality/partition-quality.js';
import type { DriftRecord } from '../quality/payload-validation.js';
import type { PartitionVolume } from '../quality/volume-anomaly.js';
import { fxTable } from '../transform/currency-conversion.js';
import { partitionsOnDisk, readStaged, stagedRoot, stagePartition, writeStaged, type StagedPartition } from './staged-partition.js';
import { checkConversions } from '../transform/conversions.js';

/** What the transform and load steps share: the workspace, its warehouse and bus, and the run they belong to. */
export interface PipelineContext {
  config: BoscoConfig;
  workspaceDir: string;
  warehouse: Warehouse;
  bus: EventBus;
  /** Where the run writes: the serving tables, or a shadow namespace. */
  tables: PipelineTables;
  runId: string;
}

/** Which partitions of a day a step works on; all when empty. */
export interface PartitionFilter {
  clients?: readonly string[];
  platforms?: readonly Platform[];
}

export interface PartitionResult extends PartitionKey {
  /** staged: transformed and checked; loaded / quarantined: the load's outcome; failed: the step could not run. */
  status: 'staged' | 'loaded' | 'quarantined' | 'failed';
  quality?: QualityStatus;
  rows: number;
  /** Why it was quarantined, warned about or failed, in one line. */
  reason?: string;
}

const selected = (key: PartitionKey, filter: PartitionFilter) =>
  (!filter.clients?.length || filter.clients.includes(key.clientId)) && (!filter.platforms?.length || filter.platforms.includes(key.platform));

/** Partitions whose trailing volumes are read together: one query per platform of a chunk, and only the chunk's history in memory. */
const HISTORY_CHUNK = 1_000;

/** Each of `keys`' (client, platform) loaded volume on the days before `date`, for the volume check. */
async function trailingVolumes(context: PipelineContext, date: string, keys: readonly PartitionKey[]): Promise<Map<string, PartitionVolume[]>> {
  const clientsByPlatform = new Map<Platform, string[]>();
  for (const key of keys) {
    const clients = clientsByPlatform.get(key.platform);
    if (clients) clients.push(key.clientId);
    else clientsByPlatform.set(key.platform, [key.clientId]);
  }
  const volumes = new Map<string, PartitionVolume[]>();
  for (const [platform, clients] of clientsByPlatform) {
    const rows = await context.warehouse.query(
      `SELECT client_id, date, count(*) AS row_count, coalesce(sum(spend), 0) AS spend FROM ${context.tables.metricRows}
       WHERE date >= CAST(? AS DATE) AND date < CAST(? AS DATE) AND platform = ? AND client_id IN (${clients.map(() => '?').join(', ')}) GROUP BY client_id, date`,
      [addDays(date, -context.config.quality.trailingDays), date, platform, ...clients],
    );
    for (const row of rows) {
      const id = `${row.client_id}\u0000${platform}`;
      volumes.set(id, [...(volumes.get(id) ?? []), { date: String(row.date), rows: Number(row.row_count), spend: Number(row.spend) }]);
    }
  }
  return volumes;
}

/** Staged partitions being compressed and written while the next ones transform, so the file work overlaps the CPU's. */
const STAGING_WRITES = 4;

/**
 * The transform step for a day: every landed partition (of the filter) is transformed, checked and staged. A
 * partition that cannot be staged fails alone; the others go on.
 */
export async function transformDay(context: PipelineContext, date: string, filter: PartitionFilter = {}, onPartition?: (result: PartitionResult) => void): Promise<PartitionResult[]> {
  checkConversions(context.config, 'the config');
  await ensurePipelineTables(context.warehouse, context.tables);
  const keys = partitionsOnDisk(rawRoot(context.workspaceDir, context.tables.namespace), date).filter((key) => selected(key, filter));
  if (keys.length === 0) return [];
  const rates = fxTable(await fxRatesFor(context.warehouse, [date]));
  let history = new Map<string, PartitionVolume[]>();
  const clients = new Map(context.config.clients.map((client) => [client.id, client]));
  const results: PartitionResult[] = [];
  const writing: Array<Promise<PartitionResult>> = [];
  const settle = async () => {
    const result = await writing.shift()!;
    results.push(result);
    onPartition?.(result);
  };
  for (const [i, key] of keys.entries()) {
    if (i % HISTORY_CHUNK === 0) history = await trailingVolumes(context, date, keys.slice(i, i + HISTORY_CHUNK));
    if (writing.length >= STAGING_WRITES) await settle();
    const client = clients.get(key.clientId);
    const trailing = history.get(`${key.clientId}\u0000${key.platform}`) ?? [];
    // Runs synchronously up to the staged file's write, which goes on while the loop takes the next partition.
    writing.push(inSpan('bosco.pipeline.transform', { 'bosco.client_id': key.clientId, 'bosco.platform': key.platform }, async (): Promise<PartitionResult> => {
      if (!client) return { ...key, status: 'failed', rows: 0, reason: `client '${key.clientId}' is not in the config` };
      try {
        const staged = stagePartition({
          workspaceDir: context.workspaceDir,
          key,
          client,
          clientTimeZone: client.timeZone ?? context.config.reportingTimeZone,
          rates,
          history: trailing,
          quality: context.config.quality,
          runId: context.runId,
          namespace: context.tables.namespace,
        });
        await writeStaged(context.workspaceDir, staged, context.tables.namespace);
        return { ...key, status: 'staged', quality: staged.quality.status, rows: staged.rows.length, reason: staged.quality.reason ?? undefined };
      } catch (error) {
        return { ...key, status: 'failed', rows: 0, reason: messageOf(error) };
      }
    }));
  }
  while (writing.length > 0) await settle();
  return results;
}

/**
 * Partitions loaded per transaction, and the rows they may hold: enough that what a transaction costs (a commit, a
 * few statements) is shared by many partitions, few enough that a batch's rows stay a small, fixed amount of memory
 * however large the day.
 */
export const LOAD_BATCH = { partitions: 200, rows: 20_000 } as const;

/**
 * The load step for a day: every staged partition (of the filter) replaces its partition in the warehouse. Partitions
 * are loaded in batches, each batch one transaction, so a crash between two partitions leaves every partition whole,
 * old or new. When a batch fails, its partitions are loaded again one by one, so only a partition that cannot be
 * loaded fails, with its own reason.
 */
export async function loadDay(context: PipelineContext, date: string, filter: PartitionFilter = {}, onPartition?: (result: PartitionResult) => void): Promise<PartitionResult[]> {
  await ensurePipelineTables(context.warehouse, context.tables);
  const log = getLogger().child({ run_id: context.runId, date });
  const results: PartitionResult[] = [];
  let batch: Array<{ key: PartitionKey; staged?: StagedPartition; failure?: string }> = [];
  let batchRows = 0;

  const commit = (staged: readonly StagedPartition[]) =>
    inSpan('bosco.pipeline.load', { 'bosco.date': date, 'bosco.partitions': staged.length }, () => commitStagedPartitions(context.warehouse, context.tables, staged));
  const flush = async () => {
    const entries = batch;
    batch = [];
    batchRows = 0;
    const staged = entries.flatMap((entry) => (entry.staged ? [entry.staged] : []));
    const committed = new Map<StagedPartition, { outcome: LoadOutcome; drift: DriftRecord[] } | Error>();
    try {
      const { outcomes, added } = staged.length > 0 ? await commit(staged) : { outcomes: [], added: [] };
      const drift = driftByPartition(staged, added);
      staged.forEach((partition, i) => committed.set(partition, { outcome: outcomes[i]!, drift: drift[i]! }));
    } catch {
      // Nothing of the batch was written; alone, each partition that can be loaded is, and the others say why not.
      for (const partition of staged) {
        try {
          const { outcomes, added } = await commit([partition]);
          committed.set(partition, { outcome: outcomes[0]!, drift: added });
        } catch (error) {
          committed.set(partition, error instanceof Error ? error : new Error(messageOf(error)));
        }
      }
    }
    // Announced together: a bus that batches (Pub/Sub) sends one request for many events, not one round trip each.
    const announced = await Promise.all(
      entries.map(async ({ key, staged: partition, failure }): Promise<PartitionResult> => {
        const done = partition ? committed.get(partition)! : new Error(failure);
        try {
          if (done instanceof Error) throw done;
          await announceLoad(context.bus, context.tables, partition!, done.outcome, done.drift);
          return { ...key, status: done.outcome, quality: partition!.quality.status, rows: partition!.rows.length, reason: partition!.quality.reason ?? undefined };
        } catch (error) {
          return { ...key, status: 'failed', rows: 0, reason: messageOf(error) };
        }
      }),
    );
    for (const result of announced) {
      if (result.status === 'quarantined') log.warn({ client_id: result.clientId, platform: result.platform, reason: result.reason }, 'partition quarantined');
      results.push(result);
      onPartition?.(result);
    }
  };

  for (const key of partitionsOnDisk(stagedRoot(context.workspaceDir, context.tables.namespace), date).filter((k) => selected(k, filter))) {
    try {
      const staged = readStaged(context.workspaceDir, key, context.tables.namespace);
      batch.push({ key, staged });
      batchRows += staged.rows.length;
    } catch (error) {
      batch.push({ key, failure: messageOf(error) });
    }
    if (batch.length >= LOAD_BATCH.partitions || batchRows >= LOAD_BATCH.rows) await flush();
  }
  if (batch.length > 0) await flush();
  return results;
}

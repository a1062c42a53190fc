import type { EventBus } from '../../core/bus/index.js';
import type { BoscoConfig, ClientConfig } from '../../core/config.js';
import { addDays } from '../../core/dates.js';
import { messageOf } from '../../core/errors.js';
import { getLogger } from '../../core/logger.js';
import type { Platform } from '../../core/metric-row.js';
import { inSpan } from '../../core/telemetry.js';
import type { Warehouse } from '../../core/warehouse/index.js';
import type { PartitionKey } from '../landing/raw-landing.js';
import { fxRatesFor } from '../load/fx-rates.js';
import { loadStagedPartition } from '../load/load-partition.js';
import { ensurePipelineTables, type PipelineTables } from '../load/pipeline-tables.js';
import type { QualityStatus } from '../quality/partition-quality.js';
import type { PartitionVolume } from '../quality/volume-anomaly.js';
import { fxTable } from '../transform/currency-conversion.js';
import { partitionsOnDisk, rawRoot, readStaged, stagedRoot, stagePartition, writeStaged } from './staged-partition.js';

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

/** Each (client, platform)'s loaded volume on the days before `date`, for the volume check. */
async function trailingVolumes(context: PipelineContext, date: string): Promise<Map<string, PartitionVolume[]>> {
  const rows = await context.warehouse.query(
    `SELECT client_id, platform, date, count(*) AS row_count, coalesce(sum(spend), 0) AS spend FROM ${context.tables.metricRows}
     WHERE date >= CAST(? AS DATE) AND date < CAST(? AS DATE) GROUP BY client_id, platform, date`,
    [addDays(date, -context.config.quality.trailingDays), date],
  );
  const volumes = new Map<string, PartitionVolume[]>();
  for (const row of rows) {
    const id = `${row.client_id}\u0000${row.platform}`;
    volumes.set(id, [...(volumes.get(id) ?? []), { date: String(row.date), rows: Number(row.row_count), spend: Number(row.spend) }]);
  }
  return volumes;
}

function clientOf(config: BoscoConfig, clientId: string): ClientConfig | undefined {
  return config.clients.find((client) => client.id === clientId);
}

/**
 * The transform step for a day: every landed partition (of the filter) is transformed, checked and staged. A
 * partition that cannot be staged fails alone; the others go on.
 */
export async function transformDay(context: PipelineContext, date: string, filter: PartitionFilter = {}, onPartition?: (result: PartitionResult) => void): Promise<PartitionResult[]> {
  await ensurePipelineTables(context.warehouse, context.tables);
  const keys = partitionsOnDisk(rawRoot(context.workspaceDir), date).filter((key) => selected(key, filter));
  if (keys.length === 0) return [];
  const rates = fxTable(await fxRatesFor(context.warehouse, [date]));
  const history = await trailingVolumes(context, date);
  const results: PartitionResult[] = [];
  for (const key of keys) {
    const result = await inSpan('bosco.pipeline.transform', { 'bosco.client_id': key.clientId, 'bosco.platform': key.platform }, async (): Promise<PartitionResult> => {
      const client = clientOf(context.config, key.clientId);
      if (!client) return { ...key, status: 'failed', rows: 0, reason: `client '${key.clientId}' is not in the config` };
      try {
        const staged = stagePartition({
          workspaceDir: context.workspaceDir,
          key,
          client,
          clientTimeZone: client.timeZone ?? context.config.reportingTimeZone,
          rates,
          history: history.get(`${key.clientId}\u0000${key.platform}`) ?? [],
          quality: context.config.quality,
          runId: context.runId,
        });
        writeStaged(context.workspaceDir, staged, context.tables.namespace);
        return { ...key, status: 'staged', quality: staged.quality.status, rows: staged.rows.length, reason: staged.quality.reason ?? undefined };
      } catch (error) {
        return { ...key, status: 'failed', rows: 0, reason: messageOf(error) };
      }
    });
    results.push(result);
    onPartition?.(result);
  }
  return results;
}

/**
 * The load step for a day: every staged partition (of the filter) replaces its partition in the warehouse, each in
 * a transaction of its own, so a crash between two partitions leaves every partition whole, old or new.
 */
export async function loadDay(context: PipelineContext, date: string, filter: PartitionFilter = {}, onPartition?: (result: PartitionResult) => void): Promise<PartitionResult[]> {
  await ensurePipelineTables(context.warehouse, context.tables);
  const log = getLogger().child({ run_id: context.runId, date });
  const results: PartitionResult[] = [];
  for (const key of partitionsOnDisk(stagedRoot(context.workspaceDir, context.tables.namespace), date).filter((k) => selected(k, filter))) {
    const result = await inSpan('bosco.pipeline.load', { 'bosco.client_id': key.clientId, 'bosco.platform': key.platform }, async (): Promise<PartitionResult> => {
      try {
        const staged = readStaged(context.workspaceDir, key, context.tables.namespace);
        const outcome = await loadStagedPartition(context.warehouse, context.bus, context.tables, staged);
        if (outcome === 'quarantined') log.warn({ client_id: key.clientId, platform: key.platform, reason: staged.quality.reason }, 'partition quarantined');
        return { ...key, status: outcome, quality: staged.quality.status, rows: staged.rows.length, reason: staged.quality.reason ?? undefined };
      } catch (error) {
        return { ...key, status: 'failed', rows: 0, reason: messageOf(error) };
      }
    });
    results.push(result);
    onPartition?.(result);
  }
  return results;
}

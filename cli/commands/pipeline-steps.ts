import Table from 'cli-table3';
import cliProgress from 'cli-progress';
import { openBus } from '../../core/bus/index.js';
import { loadConfig, type LoadedConfig } from '../../core/config.js';
import { addDays, resolveReportDate } from '../../core/dates.js';
import { BoscoError } from '../../core/errors.js';
import type { Warehouse } from '../../core/warehouse/index.js';
import { openWarehouseWaiting } from '../../core/warehouse/access.js';
import { checkPlatforms, planFetch } from '../../new-pipeline/fetch/fetch-plan.js';
import { runFetch } from '../../new-pipeline/fetch/run-fetch.js';
import { importFxRates } from '../../new-pipeline/load/fx-rates.js';
import { checkRawPayload, lineageFor, type RawPayloadState } from '../../new-pipeline/load/lineage.js';
import { checkNamespace, ensurePipelineTables, pipelineTables, SERVING_TABLES, type PipelineTables } from '../../new-pipeline/load/pipeline-tables.js';
import { loadDay, transformDay, type PartitionFilter, type PartitionResult, type PipelineContext } from '../../new-pipeline/run/run-pipeline.js';
import { newRunId } from '../../reconcile/reconcile.js';
import { retentionCutoffs } from '../../shadow/retention.js';
import { SHADOW_NAMESPACE } from '../../shadow/shadow-tables.js';

export interface StepOptions {
  config?: string;
  client?: string[];
  platform?: string[];
  format?: 'table' | 'json';
  write?: (text: string) => void;
}

const writer = (options: { write?: (text: string) => void }) => options.write ?? ((text: string) => process.stdout.write(text));

/** Opens the workspace's warehouse and bus for one command, and closes them whatever happens. */
export async function withPipeline<T>(loaded: LoadedConfig, work: (context: PipelineContext) => Promise<T>): Promise<T> {
  const warehouse = await openWarehouseWaiting(loaded);
  const bus = openBus(loaded);
  try {
    return await work({ config: loaded.config, workspaceDir: loaded.workspaceDir, warehouse, bus, tables: SERVING_TABLES, runId: newRunId() });
  } finally {
    await bus.close();
    await warehouse.close();
  }
}

export function renderPartitions(title: string, results: readonly PartitionResult[]): string {
  const table = new Table({ head: ['platform', 'client', 'status', 'quality', 'rows', 'reason'], style: { head: [], border: [] }, colWidths: [null, null, null, null, null, 70], wordWrap: true });
  for (const r of results) table.push([r.platform, r.clientId, r.status, r.quality ?? '', r.rows, r.reason ?? '']);
  const count = (status: PartitionResult['status']) => results.filter((r) => r.status === status).length;
  const failed = count('failed') + count('quarantined');
  return [
    title,
    results.length > 0 ? table.toString() : '(no partitions)',
    failed === 0 ? `OK: ${results.length} partition(s)` : `FAIL: ${count('quarantined')} quarantined, ${count('failed')} failed of ${results.length} partition(s)`,
  ].join('\n') + '\n';
}

/** 0 when every partition went through (warnings included), 1 when any was quarantined or failed. */
export const exitCodeOf = (results: readonly PartitionResult[]) => (results.some((r) => r.status === 'failed' || r.status === 'quarantined' || r.quality === 'quarantined') ? 1 : 0);

function output(options: StepOptions, title: string, results: readonly PartitionResult[], extra: Record<string, unknown> = {}): number {
  const write = writer(options);
  if (options.format === 'json') write(JSON.stringify({ ...extra, partitions: results }) + '\n');
  else write(renderPartitions(title, results));
  return exitCodeOf(results);
}

function filterOf(options: StepOptions): PartitionFilter {
  return { clients: options.client, platforms: checkPlatforms(options.platform) };
}

/** `bosco pipeline transform --date D`: landed raw payloads → checked, staged canonical rows. */
export async function pipelineTransformCommand(options: StepOptions & { date: string }): Promise<number> {
  const loaded = await loadConfig({ explicitPath: options.config });
  const date = resolveReportDate(options.date, loaded.config.reportingTimeZone);
  const results = await withPipeline(loaded, (context) => transformDay(context, date, filterOf(options)));
  return output(options, `Transform ${date}`, results, { date });
}

/** `bosco pipeline load --date D`: staged partitions replace their partitions in the warehouse. */
export async function pipelineLoadCommand(options: StepOptions & { date: string }): Promise<number> {
  const loaded = await loadConfig({ explicitPath: options.config });
  const date = resolveReportDate(options.date, loaded.config.reportingTimeZone);
  const results = await withPipeline(loaded, (context) => loadDay(context, date, filterOf(options)));
  return output(options, `Load ${date}`, results, { date });
}

/**
 * `bosco pipeline run --date D`: fetch, transform (with quality) and load, for the serving tables. A partition
 * that fails to fetch keeps the rows it had; the summary lists it and the exit code is 1.
 */
export async function pipelineRunCommand(options: StepOptions & { date: string; baseUrl?: string; isTTY?: boolean }): Promise<number> {
  const loaded = await loadConfig({ explicitPath: options.config });
  const date = resolveReportDate(options.date, loaded.config.reportingTimeZone);
  const filter = filterOf(options);
  const results = await withPipeline(loaded, async (context) => {
    const request = planFetch(loaded, date, context.runId, { clients: options.client, platforms: options.platform, baseUrl: options.baseUrl });
    const total = request.clients.reduce((sum, c) => sum + new Set(c.accounts.map((a) => a.platform)).size, 0);
    const bar = (options.isTTY ?? Boolean(process.stdout.isTTY)) ? new cliProgress.SingleBar({ format: '{step} {bar} {value}/{total} partitions', hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic) : undefined;
    try {
      bar?.start(total, 0, { step: 'fetch    ' });
      const fetched = await runFetch({ ...request, onPartition: () => bar?.increment() });
      const fetchFailures: PartitionResult[] = fetched.partitions
        .filter((p) => p.status === 'failed')
        .map((p) => ({ date: p.date, platform: p.platform, clientId: p.clientId, status: 'failed', rows: 0, reason: `fetch: ${p.error}` }));
      const landed = { ...filter, clients: fetched.partitions.filter((p) => p.status === 'landed').map((p) => p.clientId) };
      bar?.start(total, 0, { step: 'transform' });
      const staged = await transformDay(context, date, landed, () => bar?.increment());
      bar?.start(total, 0, { step: 'load     ' });
      const loadedResults = await loadDay(context, date, landed, () => bar?.increment());
      return [...fetchFailures, ...staged.filter((r) => r.status === 'failed'), ...loadedResults];
    } finally {
      bar?.stop();
    }
  });
  return output(options, `Pipeline run ${date}`, results, { date });
}

/** `bosco pipeline replay --from D1 --to D2`: re-transforms and reloads landed payloads, calling no API. */
export async function pipelineReplayCommand(options: StepOptions & { from: string; to: string }): Promise<number> {
  const loaded = await loadConfig({ explicitPath: options.config });
  const zone = loaded.config.reportingTimeZone;
  const from = resolveReportDate(options.from, zone);
  const to = resolveReportDate(options.to, zone);
  if (from > to) throw new BoscoError('USAGE', `--from ${from} is after --to ${to}`, { hint: 'give the earlier day as --from' });
  const filter = filterOf(options);
  const results = await withPipeline(loaded, async (context) => {
    const all: PartitionResult[] = [];
    // Day by day, oldest first: each day's volume check compares with the days just replayed.
    for (let date = from; date <= to; date = addDays(date, 1)) {
      const staged = await transformDay(context, date, filter);
      all.push(...staged.filter((r) => r.status === 'failed'));
      all.push(...(await loadDay(context, date, filter)));
    }
    return all;
  });
  return output(options, `Replay ${from} to ${to}`, results, { from, to });
}

/** `bosco fx import rates.csv`: seeds the FX rates table. */
export async function fxImportCommand(options: { config?: string; file: string; write?: (text: string) => void }): Promise<number> {
  const loaded = await loadConfig({ explicitPath: options.config });
  const warehouse = await openWarehouseWaiting(loaded);
  try {
    const { rates } = await importFxRates(warehouse, options.file);
    writer(options)(`Imported ${rates} FX rate(s) from ${options.file}\n`);
    return 0;
  } finally {
    await warehouse.close();
  }
}

/** Options of the commands that read what a run wrote: the serving tables, or a namespace's. */
interface ReadOptions {
  config?: string;
  /** Read `<namespace>.partition_lineage` / `.partition_quality` (e.g. `shadow`, where shadow runs load); default the serving tables. */
  namespace?: string;
  format?: 'table' | 'json';
  write?: (text: string) => void;
}

const whereLoaded = (tables: PipelineTables) => (tables.namespace ? ` in namespace '${tables.namespace}'` : '');
/** Shadow runs load into their own namespace: say so where the serving tables hold nothing. */
const namespaceHint = (tables: PipelineTables) => (tables.namespace ? '' : `; a client in shadow is loaded into the ${SHADOW_NAMESPACE} namespace: add --namespace ${SHADOW_NAMESPACE}`);

const PAYLOAD_TEXT: Record<RawPayloadState['state'], string> = {
  verified: 'verified: the file’s sha256 matches',
  changed: 'CHANGED since this load: the file’s sha256 no longer matches',
  missing: 'MISSING: the file is no longer there',
  unreadable: 'UNREADABLE',
};

/**
 * `bosco lineage show --client X --date D [--namespace N]`: where each platform's numbers for that day came from,
 * with each raw payload file checked against the sha256 recorded at load. Exit 1 when a current load's raw
 * payload is missing or changed: its numbers can no longer be traced to the bytes they came from.
 */
export async function lineageShowCommand(options: ReadOptions & { client: string; date: string; platform?: string }): Promise<number> {
  const tables = pipelineTables(checkNamespace(options.namespace));
  const loaded = await loadConfig({ explicitPath: options.config });
  const date = resolveReportDate(options.date, loaded.config.reportingTimeZone);
  const [platform] = checkPlatforms(options.platform ? [options.platform] : undefined) ?? [];
  const manifests = await withWarehouse(loaded, tables, (warehouse) => lineageFor(warehouse, tables, options.client, date, platform));
  const write = writer(options);
  if (manifests.length === 0) {
    throw new BoscoError('UNKNOWN_CLIENT', `nothing was loaded for client '${options.client}' on ${date}${platform ? ` from ${platform}` : ''}${whereLoaded(tables)}`, {
      hint: `check the client id and day, or run bosco pipeline run for that day${namespaceHint(tables)}`,
    });
  }
  const current = new Set<string>();
  const loads = [];
  for (const m of manifests) {
    const state = current.has(m.platform) ? 'replaced' : 'current';
    current.add(m.platform);
    loads.push({ ...m, state, raw_payload: await checkRawPayload(m) });
  }
  // A payload missing from a day before the raw retention was deleted as configured: expired, not lost.
  const rawKeptFrom = retentionCutoffs(resolveReportDate('today', loaded.config.reportingTimeZone), loaded.config.retention).raw;
  const expired = (load: { raw_payload: RawPayloadState }) => load.raw_payload.state === 'missing' && date < rawKeptFrom;
  const untraceable = loads.filter((l) => l.state === 'current' && l.raw_payload.state !== 'verified' && !expired(l));
  if (options.format === 'json') {
    write(JSON.stringify({ client_id: options.client, date, namespace: tables.namespace ?? null, loads: loads.map((l) => ({ ...l, raw_payload_expired: expired(l) })) }) + '\n');
    return untraceable.length > 0 ? 1 : 0;
  }
  for (const m of loads) {
    const payload = m.raw_payload;
    const detail = payload.state === 'changed' ? ` (now ${payload.sha256})` : payload.state === 'unreadable' ? `: ${payload.error}` : '';
    write(
      `${m.platform} · ${m.state} · loaded ${m.loaded_at} · run ${m.run_id}\n` +
        `  raw payload   ${m.raw_path}\n  sha256        ${m.raw_sha256} at load\n` +
        `  check         ${expired(m) ? `EXPIRED: deleted by retention (raw payloads are kept ${loaded.config.retention.rawDays} days)` : `${PAYLOAD_TEXT[payload.state]}${detail}`}\n` +
        `  fetched       ${m.fetched_at} via ${m.api} (connector ${m.connector_version}), ${m.requests} request(s), ${m.records} record(s)\n` +
        `  transform     ${m.transform_version} → ${m.rows} row(s), schema ${m.schema_fingerprint}\n` +
        Object.entries(m.accounts).map(([id, facts]) => `  account ${id}  ${JSON.stringify(facts)}\n`).join(''),
    );
  }
  if (untraceable.length > 0) {
    write(
      `WARNING: ${untraceable.map((l) => l.platform).join(', ')}: the raw payload the current rows were loaded from is ${[...new Set(untraceable.map((l) => l.raw_payload.state))].join(' or ')}; ` +
        `these numbers cannot be traced to it. Fetch the day again (bosco pipeline run --date ${date}) to reload from a payload that is kept.\n`,
    );
  }
  return untraceable.length > 0 ? 1 : 0;
}

/**
 * Opens the warehouse to read what runs wrote to `tables`. The serving tables are created when missing (a fresh
 * workspace reads as empty); a namespace no run has loaded into is refused, not created, so a typo says so.
 */
async function withWarehouse<T>(loaded: LoadedConfig, tables: PipelineTables, work: (warehouse: Warehouse) => Promise<T>): Promise<T> {
  const warehouse = await openWarehouseWaiting(loaded);
  try {
    if (!tables.namespace) await ensurePipelineTables(warehouse, tables);
    else if ((await warehouse.describe(tables.lineage)).length === 0 || (await warehouse.describe(tables.quality)).length === 0) {
      throw new BoscoError('USAGE', `no pipeline run has loaded into namespace '${tables.namespace}'`, {
        hint: `shadow runs load into --namespace ${SHADOW_NAMESPACE}; run bosco shadow run first, or check the name`,
      });
    }
    return await work(warehouse);
  } finally {
    await warehouse.close();
  }
}

/** `bosco quality report --date D [--namespace N]`: each partition's latest quality result, worst first. */
export async function qualityReportCommand(options: ReadOptions & { date: string }): Promise<number> {
  const tables = pipelineTables(checkNamespace(options.namespace));
  const loaded = await loadConfig({ explicitPath: options.config });
  const date = resolveReportDate(options.date, loaded.config.reportingTimeZone);
  const rows = await withWarehouse(loaded, tables, (warehouse) =>
    warehouse.query(
      `SELECT client_id, platform, status, reason, checks, run_id, checked_at FROM (
         SELECT *, row_number() OVER (PARTITION BY client_id, platform ORDER BY checked_at DESC) AS latest FROM ${tables.quality} WHERE date = CAST(? AS DATE)
       ) q WHERE latest = 1
       ORDER BY CASE status WHEN 'quarantined' THEN 0 WHEN 'warn' THEN 1 ELSE 2 END, client_id, platform`,
      [date],
    ),
  );
  const write = writer(options);
  const results = rows.map((row) => ({
    client_id: String(row.client_id),
    platform: String(row.platform),
    status: String(row.status),
    reason: row.reason === null ? null : String(row.reason),
    checks: typeof row.checks === 'string' ? JSON.parse(row.checks) : row.checks,
    run_id: String(row.run_id),
    checked_at: String(row.checked_at),
  }));
  if (options.format === 'json') write(JSON.stringify({ date, namespace: tables.namespace ?? null, partitions: results }) + '\n');
  else {
    const table = new Table({ head: ['client', 'platform', 'status', 'reason'], style: { head: [], border: [] }, colWidths: [null, null, null, 80], wordWrap: true });
    for (const r of results) table.push([r.client_id, r.platform, r.status, r.reason ?? '']);
    const count = (status: string) => results.filter((r) => r.status === status).length;
    const none = `(no partitions checked on this day${whereLoaded(tables)}${namespaceHint(tables)})`;
    write(`Quality ${date}${whereLoaded(tables)}\n${results.length > 0 ? table.toString() : none}\n${count('pass')} pass, ${count('warn')} warn, ${count('quarantined')} quarantined\n`);
  }
  return results.some((r) => r.status === 'quarantined') ? 1 : 0;
}

import { join } from 'node:path';
import Table from 'cli-table3';
import cliProgress from 'cli-progress';
import { openBus } from '../../core/bus/index.js';
import { loadConfig, type ClientConfig, type LoadedConfig } from '../../core/config.js';
import { addDays, resolveReportDate } from '../../core/dates.js';
import { BoscoError } from '../../core/errors.js';
import { resolveSource } from '../../legacy-adapter/canonical-source.js';
import { CheckpointStore } from '../../shadow/checkpoints.js';
import { openStageStore } from '../../flags/index.js';
import { recordOverdueDays, type ClientDayResult, type ShadowEnvironment } from '../../shadow/run-client-day.js';
import { newShadowRunId, runShadowDay, shadowClients, type ShadowDaySummary } from '../../shadow/shadow-run.js';
import { ensureShadowTables, SLA_TABLE } from '../../shadow/shadow-tables.js';
import { slaHitRates, slaStatus, type SlaDay } from '../../shadow/sla.js';
import { openWarehouseWaiting, warehousePerUse, warehouseWhileBusy, type WarehouseAccess } from '../../core/warehouse/access.js';
import { dispatchShadowJobs, JOB_TOPIC, runShadowWorker } from '../../shadow/dispatch.js';
import { defaultSources } from '../defaults.js';

export interface ShadowRunOptions {
  config?: string;
  date: string;
  client?: string[];
  resume?: boolean;
  concurrency?: number;
  baseUrl?: string;
  format?: 'table' | 'json';
  write?: (text: string) => void;
  isTTY?: boolean;
  /** Publish one job per client and day for `bosco worker` processes instead of running them here. */
  dispatch?: boolean;
}

async function closeEnvironment(env: ShadowEnvironment): Promise<void> {
  await env.stages.close();
  await env.bus.close();
  await env.warehouse.close();
}

async function dispatch(env: ShadowEnvironment, options: ShadowRunOptions, dates: readonly string[], clients: readonly ClientConfig[]): Promise<number> {
  {
    const shadowRunId = newShadowRunId();
    const published = await dispatchShadowJobs(env, shadowRunId, dates, clients);
    const write = options.write ?? ((text: string) => process.stdout.write(text));
    write(options.format === 'json'
      ? JSON.stringify({ shadow_run_id: shadowRunId, topic: JOB_TOPIC, jobs: published }) + '\n'
      : `Shadow run ${shadowRunId}: published ${published} job(s) to ${JOB_TOPIC}; start \`bosco worker\` processes to run them\n`);
    return 0;
  }
}

/**
 * `bosco worker`: takes shadow jobs from the bus and runs them, until interrupted (SIGINT, SIGTERM) or, with
 * `idleExit`, until no job has come for that many seconds. Any number may run, on any machines sharing the bus.
 */
export async function workerCommand(options: { config?: string; idleExit?: number; baseUrl?: string; write?: (text: string) => void }): Promise<number> {
  const loaded = await loadConfig({ explicitPath: options.config });
  const env = await shadowEnvironment(loaded, warehousePerUse(loaded), options.baseUrl);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const summary = await runShadowWorker(env, { signal: stop.signal, idleTimeoutMs: options.idleExit === undefined ? undefined : options.idleExit * 1000 });
    (options.write ?? ((text: string) => process.stdout.write(text)))(`Worker ${process.pid}: ${summary.acked} job(s) done, ${summary.retried} retried, ${summary.deadLettered} dead-lettered\n`);
    return summary.deadLettered > 0 ? 1 : 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await closeEnvironment(env);
  }
}

/** The shadow run's environment for this workspace: its warehouse (as `access` builds it), bus, checkpoints and legacy source. */
export async function shadowEnvironment(loaded: LoadedConfig, access: WarehouseAccess, baseUrl?: string): Promise<ShadowEnvironment> {
  const legacyEntry = loaded.config.sources.legacy ?? defaultSources().legacy;
  return {
    loaded,
    warehouse: access,
    bus: openBus(loaded),
    checkpoints: new CheckpointStore(join(loaded.workspaceDir, 'shadow', 'checkpoints')),
    stages: await openStageStore(loaded),
    legacy: resolveSource(legacyEntry, loaded.config.mappings, 'sources.legacy'),
    baseUrl,
  };
}

export function renderShadowSummary(summaries: readonly ShadowDaySummary[]): string {
  const table = new Table({ head: ['date', 'client', 'status', 'steps run', 'reconcile run', 'note'], style: { head: [], border: [] }, colWidths: [null, null, null, null, null, 60], wordWrap: true });
  const all = summaries.flatMap((s) => s.results);
  for (const r of all) {
    table.push([r.date, r.clientId, r.status, r.ran.length > 0 ? r.ran.join(', ') : '(resumed: none)', r.reconcileRunId ?? '', r.error ?? (r.quarantined > 0 ? `${r.quarantined} partition(s) quarantined` : '')]);
  }
  const count = (status: ClientDayResult['status']) => all.filter((r) => r.status === status).length;
  return [
    `Shadow run ${summaries.map((s) => s.shadowRunId).filter((id, i, ids) => ids.indexOf(id) === i).join(', ')}`,
    table.toString(),
    `${count('pass')} clean, ${count('fail')} differ (see bosco reconcile --date D --client X --rows), ${count('error')} could not run`,
  ].join('\n') + '\n';
}

/** 0 when every client ran and reconciled clean; 1 when any differs; 3 when any could not run. */
export function shadowExitCode(results: readonly ClientDayResult[]): number {
  if (results.some((r) => r.status === 'error')) return 3;
  return results.some((r) => r.status === 'fail') ? 1 : 0;
}

async function runDays(options: ShadowRunOptions, dates: readonly string[]): Promise<number> {
  const loaded = await loadConfig({ explicitPath: options.config });
  // Held while the run uses it and lent between steps, so a `bosco serve` on the same embedded file keeps answering.
  const access = warehouseWhileBusy(loaded, { waitMs: 120_000 });
  const env = await shadowEnvironment(loaded, access, options.baseUrl);
  let clients;
  try {
    clients = shadowClients(loaded.config, await env.stages.list(), options.client);
  } catch (error) {
    await closeEnvironment(env);
    throw error;
  }
  if (options.dispatch) {
    try {
      return await dispatch(env, options, dates, clients);
    } finally {
      await closeEnvironment(env);
    }
  }
  const isTTY = options.isTTY ?? Boolean(process.stdout.isTTY);
  const bar = isTTY ? new cliProgress.SingleBar({ format: 'shadow {date} {bar} {value}/{total} clients · {errors} failed', hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic) : undefined;
  const summaries: ShadowDaySummary[] = [];
  try {
    // Earlier days that failed before their deadline and were never rerun are missed now: say so (once) first.
    await access.use((warehouse) => recordOverdueDays(env.bus, warehouse));
    const shadowRunId = newShadowRunId();
    for (const date of dates) {
      let errors = 0;
      bar?.start(clients.length, 0, { date, errors });
      summaries.push(
        await runShadowDay(env, {
          date,
          clients,
          concurrency: options.concurrency ?? loaded.config.shadow.concurrency,
          resume: options.resume ?? false,
          shadowRunId,
          onClient: (result) => {
            if (result.status === 'error') errors++;
            bar?.increment(1, { errors });
          },
        }),
      );
    }
  } finally {
    bar?.stop();
    await closeEnvironment(env);
  }
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  write(options.format === 'json' ? JSON.stringify({ days: summaries }) + '\n' : renderShadowSummary(summaries));
  return shadowExitCode(summaries.flatMap((s) => s.results));
}

/** `bosco shadow run --date D`: the dual run for one day. */
export async function shadowRunCommand(options: ShadowRunOptions): Promise<number> {
  const loaded = await loadConfig({ explicitPath: options.config });
  return runDays(options, [resolveReportDate(options.date, loaded.config.reportingTimeZone)]);
}

/** `bosco shadow backfill --from D1 --to D2`: the dual run over a range, oldest day first. */
export async function shadowBackfillCommand(options: Omit<ShadowRunOptions, 'date'> & { from: string; to: string }): Promise<number> {
  const loaded = await loadConfig({ explicitPath: options.config });
  const zone = loaded.config.reportingTimeZone;
  const from = resolveReportDate(options.from, zone);
  const to = resolveReportDate(options.to, zone);
  if (from > to) throw new BoscoError('USAGE', `--from ${from} is after --to ${to}`, { hint: 'give the earlier day as --from' });
  const dates: string[] = [];
  for (let date = from; date <= to; date = addDays(date, 1)) dates.push(date);
  if (dates.length > 366) throw new BoscoError('USAGE', `a backfill of ${dates.length} days is more than a year`, { hint: 'backfill at most 366 days at a time' });
  return runDays({ ...options, date: from }, dates);
}

/**
 * `bosco sla check`: records every client-day still without data after its 08:00 deadline as missed and emits
 * `sla.missed` for each (once); exit 1 when it found any. For a scheduler, run after the clients' mornings.
 */
export async function slaCheckCommand(options: { config?: string; format?: 'table' | 'json'; write?: (text: string) => void; now?: Date }): Promise<number> {
  const loaded = await loadConfig({ explicitPath: options.config });
  const warehouse = await openWarehouseWaiting(loaded);
  const bus = openBus(loaded);
  let overdue;
  try {
    overdue = await recordOverdueDays(bus, warehouse, options.now);
  } finally {
    await bus.close();
    await warehouse.close();
  }
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  if (options.format === 'json') {
    write(JSON.stringify({ missed: overdue }) + '\n');
  } else if (overdue.length === 0) {
    write('SLA check: no client-day is past its 08:00 deadline without data\n');
  } else {
    const table = new Table({ head: ['client', 'date', 'deadline (UTC)'], style: { head: [], border: [] } });
    for (const day of overdue) table.push([day.client_id, day.date, day.deadline]);
    write(`SLA check: ${overdue.length} client-day(s) past the 08:00 deadline without data, now recorded missed (sla.missed emitted)\n${table.toString()}\n` +
      'see runbooks/sla-at-risk.md: rerun them with bosco shadow run --date <date> --client <id>\n');
  }
  return overdue.length > 0 ? 1 : 0;
}

/** `bosco sla report --from D1 --to D2`: per client, the days the new side was complete by 08:00 local time. */
export async function slaReportCommand(options: { config?: string; from: string; to: string; format?: 'table' | 'json'; write?: (text: string) => void }): Promise<number> {
  const loaded = await loadConfig({ explicitPath: options.config });
  const zone = loaded.config.reportingTimeZone;
  const from = resolveReportDate(options.from, zone);
  const to = resolveReportDate(options.to, zone);
  if (from > to) throw new BoscoError('USAGE', `--from ${from} is after --to ${to}`, { hint: 'give the earlier day as --from' });
  const warehouse = await openWarehouseWaiting(loaded);
  let days: SlaDay[];
  try {
    await ensureShadowTables(warehouse);
    const now = new Date();
    const rows = await warehouse.query(`SELECT client_id, date, deadline, completed_at FROM ${SLA_TABLE} WHERE date BETWEEN CAST(? AS DATE) AND CAST(? AS DATE) ORDER BY client_id, date`, [from, to]);
    days = rows.map((row) => ({
      client_id: String(row.client_id),
      date: String(row.date),
      status: slaStatus(new Date(String(row.deadline)), row.completed_at === null ? null : new Date(String(row.completed_at)), now),
    }));
  } finally {
    await warehouse.close();
  }
  const rates = slaHitRates(days);
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  if (options.format === 'json') {
    write(JSON.stringify({ from, to, clients: rates }) + '\n');
  } else {
    const table = new Table({ head: ['client', 'met', 'missed', 'pending', 'hit rate'], style: { head: [], border: [] } });
    for (const r of rates) table.push([r.client_id, r.met, r.missed, r.pending, r.hit_rate === null ? '—' : `${(r.hit_rate * 100).toFixed(1)}%`]);
    const met = rates.reduce((sum, r) => sum + r.met, 0);
    const decided = rates.reduce((sum, r) => sum + r.met + r.missed, 0);
    write(`SLA ${from} to ${to}: data complete by 08:00 in each client's time zone\n${rates.length > 0 ? table.toString() : '(no shadow days recorded)'}\n` +
      (decided > 0 ? `overall ${met}/${decided} days met (${((met / decided) * 100).toFixed(1)}%)\n` : ''));
  }
  return days.some((d) => d.status === 'missed') ? 1 : 0;
}

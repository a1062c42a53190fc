import { join } from 'node:path';
import Table from 'cli-table3';
import cliProgress from 'cli-progress';
import { openBus } from '../../core/bus/index.js';
import { loadConfig, type LoadedConfig } from '../../core/config.js';
import { addDays, resolveReportDate } from '../../core/dates.js';
import { BoscoError } from '../../core/errors.js';
import { openWarehouse } from '../../core/warehouse/index.js';
import { resolveSource } from '../../legacy-adapter/canonical-source.js';
import { CheckpointStore } from '../../shadow/checkpoints.js';
import type { ClientDayResult, ShadowEnvironment } from '../../shadow/run-client-day.js';
import { newShadowRunId, runShadowDay, shadowClients, type ShadowDaySummary } from '../../shadow/shadow-run.js';
import { sharedWarehouse, type WarehouseAccess } from '../../shadow/warehouse-access.js';
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
}

/** The shadow run's environment for this workspace: its warehouse (as `access` builds it), bus, checkpoints and legacy source. */
export async function shadowEnvironment(loaded: LoadedConfig, access: WarehouseAccess, baseUrl?: string): Promise<ShadowEnvironment> {
  const legacyEntry = loaded.config.sources.legacy ?? defaultSources().legacy;
  return {
    loaded,
    warehouse: access,
    bus: openBus(loaded),
    checkpoints: new CheckpointStore(join(loaded.workspaceDir, 'shadow', 'checkpoints')),
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
  const clients = shadowClients(loaded.config, options.client);
  const access = sharedWarehouse(await openWarehouse(loaded));
  const env = await shadowEnvironment(loaded, access, options.baseUrl);
  const isTTY = options.isTTY ?? Boolean(process.stdout.isTTY);
  const bar = isTTY ? new cliProgress.SingleBar({ format: 'shadow {date} {bar} {value}/{total} clients · {errors} failed', hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic) : undefined;
  const summaries: ShadowDaySummary[] = [];
  try {
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
    await env.bus.close();
    await access.close();
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

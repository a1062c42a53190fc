import { join } from 'node:path';
import type { EventBus } from '../core/bus/index.js';
import type { ClientConfig, LoadedConfig } from '../core/config.js';
import { BoscoError, messageOf } from '../core/errors.js';
import { getLogger } from '../core/logger.js';
import { inSpan } from '../core/telemetry.js';
import type { ResolvedSource } from '../legacy-adapter/canonical-source.js';
import { planFetch } from '../new-pipeline/fetch/fetch-plan.js';
import { runFetch } from '../new-pipeline/fetch/run-fetch.js';
import { DEFAULT_LIMITS } from '../new-pipeline/http/platform-client.js';
import { loadDay, transformDay } from '../new-pipeline/run/run-pipeline.js';
import { reconcile } from '../reconcile/reconcile.js';
import type { ReconcileReport } from '../reconcile/types.js';
import { rollback } from '../flags/cutover.js';
import type { Stage, StageStore } from '../flags/types.js';
import { SERVING_TABLES } from '../new-pipeline/load/pipeline-tables.js';
import { shadowEvidence } from './gate-evidence.js';
import { buildToleranceTable } from '../reconcile/tolerance.js';
import { METRIC_COLUMNS } from '../core/metric-row.js';
import type { CheckpointStore, ShadowStep } from './checkpoints.js';
import { snapshotLegacy } from './legacy-snapshot.js';
import { ensureShadowTables, LEGACY_SNAPSHOT_TABLE, SHADOW_RUNS_TABLE, SHADOW_TABLES, SLA_TABLE } from './shadow-tables.js';
import { atRisk, estimatedCompletion, slaDeadline, slaStatus } from './sla.js';
import type { WarehouseAccess } from '../core/warehouse/access.js';

/** Where shadow runs announce what they did; alerting and dashboards listen here. */
export const SHADOW_TOPIC = 'shadow.runs';

export interface ShadowEnvironment {
  loaded: LoadedConfig;
  warehouse: WarehouseAccess;
  bus: EventBus;
  checkpoints: CheckpointStore;
  /** The clients' migration stages: which side serves, and where automatic rollbacks are written. */
  stages: StageStore;
  /** The legacy system's output, as the reconciler reads it. */
  legacy: ResolvedSource;
  /** Sends every platform's calls here instead of the configured base URLs (the simulator, in the demo). */
  baseUrl?: string;
}

export interface ClientDayResult {
  clientId: string;
  date: string;
  status: 'pass' | 'fail' | 'error';
  /** Steps this attempt ran; those already checkpointed are skipped. */
  ran: ShadowStep[];
  reconcileRunId?: string;
  quarantined: number;
  /** Why it is `error` (a step could not run), in one line. */
  error?: string;
}

const rowProblems = (report: ReconcileReport) => report.clients.reduce((sum, c) => sum + c.rows.missing_in_new + c.rows.missing_in_legacy + c.rows.duplicate_keys, 0);

/**
 * Moves a live client back to shadow when its reverse-shadow reconcile fails beyond the threshold its config opts
 * into, records why, and raises an alert event. Clients without `flags.autoRollback` stay live and are reported.
 */
async function autoRollback(env: ShadowEnvironment, client: ClientConfig, date: string, reconciled: Record<string, unknown>): Promise<void> {
  const policy = env.loaded.config.flags.autoRollback[client.id];
  const failing = (reconciled.failing_metrics as string[] | undefined) ?? [];
  const rows = Number(reconciled.row_problems ?? 0);
  if (!policy || (failing.length <= policy.maxFailingMetrics && rows === 0)) return;
  const reason = `reverse-shadow reconcile ${String(reconciled.reconcile_run_id)} on ${date} failed: ${[...failing, ...(rows > 0 ? [`${rows} row problem(s)`] : [])].join(', ')}`;
  const outcome = await rollback(
    { store: env.stages, warehouse: env.warehouse, bus: env.bus, evidence: shadowEvidence(), clients: env.loaded.config.clients, settings: env.loaded.config.flags, actor: 'bosco shadow run', today: date },
    client.id,
    { reason, auto: true, evidence: reconciled },
  );
  getLogger().warn({ client_id: client.id, date, from: outcome.from, to: outcome.to, reason }, 'live client rolled back automatically');
  await env.bus.publish(SHADOW_TOPIC, 'client.rolled_back', { client_id: client.id, date, from: outcome.from, to: outcome.to, reason }, { orderingKey: client.id });
}

/** Calls a client's day needs per account, at least: an account-facts call and one report page. */
const CALLS_PER_ACCOUNT = 2;

/**
 * Warns (log and `sla.at_risk` event) when the client's day cannot be complete by its deadline even if its
 * calls go out at its platforms' rate limits from now.
 */
async function warnIfAtRisk(env: ShadowEnvironment, client: ClientConfig, date: string, timeZone: string, shadowRunId: string): Promise<void> {
  const now = new Date();
  const remaining: Record<string, number> = {};
  const rates: Record<string, number> = {};
  for (const account of client.accounts) {
    remaining[account.platform] = (remaining[account.platform] ?? 0) + CALLS_PER_ACCOUNT;
    const limits = { ...DEFAULT_LIMITS[account.platform], ...env.loaded.config.platforms[account.platform]?.limits };
    rates[account.platform] = Math.min(limits.requestsPerSecond, limits.perAccountRequestsPerSecond ?? Infinity);
  }
  const deadline = slaDeadline(date, timeZone);
  const estimate = estimatedCompletion(now, remaining, rates);
  if (!atRisk(deadline, estimate)) return;
  getLogger().warn({ run_id: shadowRunId, client_id: client.id, date, deadline: deadline.toISOString(), estimate: estimate.toISOString() }, 'client at risk of missing its 08:00 deadline');
  await env.bus.publish(SHADOW_TOPIC, 'sla.at_risk', { client_id: client.id, date, deadline: deadline.toISOString(), estimated_completion: estimate.toISOString() }, { orderingKey: client.id });
}

/**
 * One client's shadow day: fetch and load the new side into the shadow namespace, snapshot the legacy side,
 * reconcile the two, and record the outcome. Each step is checkpointed when done, so a rerun with the same
 * checkpoints repeats nothing that finished. Every step is also safe to repeat (landing, loading and the snapshot
 * replace; a reconcile adds a run), so a crash between a step and its checkpoint loses nothing.
 */
export async function runClientDay(env: ShadowEnvironment, client: ClientConfig & { stage: Stage }, date: string, shadowRunId: string): Promise<ClientDayResult> {
  const log = getLogger().child({ run_id: shadowRunId, client_id: client.id, date });
  const done = env.checkpoints.read(client.id, date);
  const ran: ShadowStep[] = [];
  const step = async <T extends Record<string, unknown>>(name: ShadowStep, work: () => Promise<T>): Promise<T> => {
    const previous = done[name];
    if (previous) return previous.detail as T;
    const detail = await inSpan(`bosco.shadow.${name}`, { 'bosco.run_id': shadowRunId, 'bosco.client_id': client.id, 'bosco.date': date }, work);
    env.checkpoints.record(client.id, date, name, detail);
    ran.push(name);
    return detail;
  };
  const { loaded } = env;
  // A live client's new side is what clients are served: it loads there, and legacy runs beside it as a reverse shadow.
  const tables = client.stage === 'live' ? SERVING_TABLES : SHADOW_TABLES;
  const timeZone = client.timeZone ?? loaded.config.reportingTimeZone;
  try {
    await step('new.fetch', async () => {
      const request = planFetch(loaded, date, `${shadowRunId}-fetch`, { clients: [client.id], baseUrl: env.baseUrl });
      await warnIfAtRisk(env, client, date, timeZone, shadowRunId);
      const summary = await runFetch(request);
      const failed = summary.partitions.filter((p) => p.status === 'failed');
      if (failed.length > 0) {
        throw new BoscoError('PLATFORM_FAILED', `fetch failed for ${failed.map((p) => `${p.platform} (${p.error})`).join('; ')}`, { hint: 'rerun with --resume once the platform answers again' });
      }
      return { partitions: summary.partitions.length, records: summary.partitions.reduce((sum, p) => sum + p.records, 0) };
    });

    const loadedStep = await step('new.load', () =>
      env.warehouse.use(async (warehouse) => {
        const context = { config: loaded.config, workspaceDir: loaded.workspaceDir, warehouse, bus: env.bus, tables, runId: shadowRunId };
        const filter = { clients: [client.id] };
        const staged = await transformDay(context, date, filter);
        const results = await loadDay(context, date, filter);
        const failed = [...staged, ...results].filter((r) => r.status === 'failed');
        if (failed.length > 0) throw new BoscoError('PLATFORM_FAILED', `load failed for ${failed.map((r) => `${r.platform} (${r.reason})`).join('; ')}`, { hint: 'fix the cause, then rerun with --resume' });
        // The new side is complete now: that instant is what the 08:00 deadline is measured against. A rerun
        // (a backfill, a retry) keeps the first completion: the day's data was ready then.
        await ensureShadowTables(warehouse);
        const [earlier] = await warehouse.query(`SELECT completed_at FROM ${SLA_TABLE} WHERE client_id = ? AND date = CAST(? AS DATE)`, [client.id, date]);
        const completedAt = earlier?.completed_at ? new Date(String(earlier.completed_at)) : new Date();
        const deadline = slaDeadline(date, timeZone);
        const sla = slaStatus(deadline, completedAt, completedAt);
        await warehouse.replacePartition(SLA_TABLE, { client_id: client.id, date }, [
          { time_zone: timeZone, deadline: deadline.toISOString(), completed_at: completedAt.toISOString(), status: sla },
        ]);
        if (sla === 'missed' && !earlier?.completed_at) await env.bus.publish(SHADOW_TOPIC, 'sla.missed', { client_id: client.id, date, deadline: deadline.toISOString(), completed_at: completedAt.toISOString() }, { orderingKey: client.id });
        return { rows: results.reduce((sum, r) => sum + r.rows, 0), quarantined: results.filter((r) => r.status === 'quarantined').length, sla };
      }),
    );

    const snapshot = await step('legacy.snapshot', () =>
      env.warehouse.use(async (warehouse) => {
        await ensureShadowTables(warehouse);
        const taken = await snapshotLegacy(warehouse, env.legacy, client.id, date, join(loaded.workspaceDir, 'tmp'));
        return { snapshot_id: taken.snapshotId, rows: taken.rows };
      }),
    );

    const reconciled = await step('reconcile', () =>
      env.warehouse.use(async (warehouse) => {
        const tolerances = buildToleranceTable([...METRIC_COLUMNS], loaded.config.reconcile.tolerances, loaded.config.reconcile.clients);
        const report = await reconcile(warehouse, {
          date,
          clientId: client.id,
          legacy: { uri: `warehouse:${LEGACY_SNAPSHOT_TABLE}` },
          next: { uri: `warehouse:${tables.metricRows}` },
          tolerances,
          differencesLimit: loaded.config.reconcile.limit,
          scratchDir: join(loaded.workspaceDir, 'tmp'),
        });
        await warehouse.replacePartition(SHADOW_RUNS_TABLE, { client_id: client.id, date, shadow_run_id: shadowRunId }, [
          {
            status: report.status, reconcile_run_id: report.run_id, reconcile_status: report.status, legacy_snapshot_id: String(snapshot.snapshot_id),
            new_lineage_run_id: shadowRunId, quarantined_partitions: Number(loadedStep.quarantined ?? 0), error: null, finished_at: new Date().toISOString(),
          },
        ]);
        await env.bus.publish(SHADOW_TOPIC, 'reconcile.completed', { client_id: client.id, date, reconcile_run_id: report.run_id, status: report.status }, { orderingKey: client.id });
        return { reconcile_run_id: report.run_id, status: report.status, failing_metrics: report.clients[0]?.metrics.filter((m) => m.status === 'fail').map((m) => m.metric) ?? [], row_problems: rowProblems(report) };
      }),
    );
    if (client.stage === 'live' && reconciled.status !== 'pass') await autoRollback(env, client, date, reconciled);
    const result: ClientDayResult = { clientId: client.id, date, status: reconciled.status === 'pass' ? 'pass' : 'fail', ran, reconcileRunId: String(reconciled.reconcile_run_id), quarantined: Number(loadedStep.quarantined ?? 0) };
    log.info({ status: result.status, ran }, 'shadow day finished');
    return result;
  } catch (error) {
    const reason = messageOf(error);
    log.error({ error: reason, ran }, 'shadow day failed');
    return { clientId: client.id, date, status: 'error', ran, quarantined: 0, error: reason };
  }
}

import { join } from 'node:path';
import type { EventBus } from '../core/bus/index.js';
import type { ClientConfig, LoadedConfig } from '../core/config.js';
import { BoscoError, messageOf } from '../core/errors.js';
import { getLogger } from '../core/logger.js';
import { inSpan } from '../core/telemetry.js';
import type { ResolvedSource } from '../legacy-adapter/canonical-source.js';
import { planFetch } from '../new-pipeline/fetch/fetch-plan.js';
import { runFetch } from '../new-pipeline/fetch/run-fetch.js';
import { platformLimits } from '../new-pipeline/http/platform-client.js';
import { loadDay, transformDay } from '../new-pipeline/run/run-pipeline.js';
import { reconcile } from '../reconcile/reconcile.js';
import type { ReconcileReport } from '../reconcile/types.js';
import { rollback } from '../flags/cutover.js';
import type { Stage, StageStore } from '../flags/types.js';
import { SERVING_TABLES, type PipelineTables } from '../new-pipeline/load/pipeline-tables.js';
import { shadowEvidence } from './gate-evidence.js';
import { buildToleranceTable } from '../reconcile/tolerance.js';
import { METRIC_COLUMNS } from '../core/metric-row.js';
import type { CheckpointStore, ClientDayCheckpoint, ShadowStep } from './checkpoints.js';
import { restoreLegacySnapshot, snapshotLegacy } from './legacy-snapshot.js';
import { ensureShadowTables, LEGACY_SNAPSHOT_TABLE, SHADOW_RUNS_TABLE, SHADOW_TABLES, SLA_TABLE } from './shadow-tables.js';
import { atRisk, callsForDay, estimatedCompletion, slaDeadline, slaStatus, type SlaStatus } from './sla.js';
import type { WarehouseAccess } from '../core/warehouse/access.js';
import type { Warehouse } from '../core/warehouse/index.js';

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
  /**
   * What time it is for a client's run of a day, for its SLA (at-risk estimate, completion against 08:00). Default
   * the real clock; the demo, which replays past nights in one go, stamps each as run in its night.
   */
  clock?: (client: ClientConfig, date: string) => Date;
}

const nowFor = (env: ShadowEnvironment, client: ClientConfig, date: string): Date => env.clock?.(client, date) ?? new Date();

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

/** Per platform, the calls the client's latest load made (lineage `requests`: one per page landed). */
async function callsLastLoaded(env: ShadowEnvironment, clientId: string, tables: PipelineTables): Promise<Map<string, number>> {
  const rows = await env.warehouse.use(async (warehouse) => {
    if ((await warehouse.describe(tables.lineage)).length === 0) return [];
    return warehouse.query(
      `SELECT platform, requests FROM (SELECT platform, requests, row_number() OVER (PARTITION BY platform ORDER BY loaded_at DESC) AS latest FROM ${tables.lineage} WHERE client_id = ?) l WHERE latest = 1`,
      [clientId],
    );
  });
  return new Map(rows.map((row) => [String(row.platform), Number(row.requests)]));
}

/**
 * Warns (log and `sla.at_risk` event) when the client's day cannot be complete by its deadline even if its calls
 * left go out at its platforms' rate limits from now. A day whose deadline has passed is not at risk: it is
 * missed, which the day's SLA record says once it completes or fails.
 */
async function warnIfAtRisk(env: ShadowEnvironment, client: ClientConfig, date: string, timeZone: string, tables: PipelineTables, shadowRunId: string): Promise<void> {
  const now = nowFor(env, client, date);
  const deadline = slaDeadline(date, timeZone);
  if (slaStatus(deadline, null, now) === 'missed') return;
  const rates: Record<string, number> = {};
  for (const account of client.accounts) {
    const limits = platformLimits(account.platform, env.loaded.config.platforms[account.platform]?.limits);
    rates[account.platform] = Math.min(limits.requestsPerSecond, limits.perAccountRequestsPerSecond ?? Infinity);
  }
  // Nothing of the day is fetched yet (a fetch lands all of the client's partitions again): every call is left.
  const estimate = estimatedCompletion(now, callsForDay(client.accounts, await callsLastLoaded(env, client.id, tables)), rates);
  if (!atRisk(deadline, estimate, now)) return;
  getLogger().warn({ run_id: shadowRunId, client_id: client.id, date, deadline: deadline.toISOString(), estimate: estimate.toISOString() }, 'client at risk of missing its 08:00 deadline');
  await env.bus.publish(SHADOW_TOPIC, 'sla.at_risk', { client_id: client.id, date, deadline: deadline.toISOString(), estimated_completion: estimate.toISOString() }, { orderingKey: client.id });
}

/**
 * Records the client-day's SLA: complete at `completedAt`, or not complete (`null`: the day failed before its new
 * side loaded), which is pending until the deadline and missed after it. A day complete once stays complete at
 * that first instant (a rerun or backfill does not move it: the data was ready then). `sla.missed` is emitted the
 * first time the day is recorded missed.
 */
async function recordSla(bus: EventBus, warehouse: Warehouse, clientId: string, date: string, timeZone: string, completedAt: Date | null, now = new Date()): Promise<SlaStatus> {
  await ensureShadowTables(warehouse);
  const [earlier] = await warehouse.query(`SELECT completed_at, status FROM ${SLA_TABLE} WHERE client_id = ? AND date = CAST(? AS DATE)`, [clientId, date]);
  const completed = earlier?.completed_at ? new Date(String(earlier.completed_at)) : completedAt;
  const deadline = slaDeadline(date, timeZone);
  const status = slaStatus(deadline, completed, completed ?? now);
  await warehouse.replacePartition(SLA_TABLE, { client_id: clientId, date }, [
    { time_zone: timeZone, deadline: deadline.toISOString(), completed_at: completed?.toISOString() ?? null, status },
  ]);
  if (status === 'missed' && earlier?.status !== 'missed') {
    await bus.publish(SHADOW_TOPIC, 'sla.missed', { client_id: clientId, date, deadline: deadline.toISOString(), completed_at: completed?.toISOString() ?? null }, { orderingKey: clientId });
  }
  return status;
}

export interface OverdueDay {
  client_id: string;
  date: string;
  deadline: string;
}

/**
 * Records as missed every client-day still pending after its deadline, emitting `sla.missed` once for each. A day
 * that failed before its deadline and is never run again is otherwise noticed by no one: a scheduler runs this
 * (`bosco sla check`) after the clients' mornings.
 */
export async function recordOverdueDays(bus: EventBus, warehouse: Warehouse, now = new Date()): Promise<OverdueDay[]> {
  await ensureShadowTables(warehouse);
  const pending = await warehouse.query(`SELECT client_id, date, time_zone FROM ${SLA_TABLE} WHERE status = 'pending' AND completed_at IS NULL ORDER BY date, client_id`);
  const overdue: OverdueDay[] = [];
  for (const row of pending) {
    const [clientId, date, timeZone] = [String(row.client_id), String(row.date), String(row.time_zone)];
    const deadline = slaDeadline(date, timeZone);
    if (slaStatus(deadline, null, now) !== 'missed') continue;
    await recordSla(bus, warehouse, clientId, date, timeZone, null, now);
    overdue.push({ client_id: clientId, date, deadline: deadline.toISOString() });
  }
  return overdue;
}

/**
 * A client-day that could not finish, in `shadow_runs` (status `failed`, with the reason and whatever earlier steps
 * produced) and in the SLA: a day whose new side never loaded counts as missed once its deadline passes.
 */
async function recordFailure(env: ShadowEnvironment, client: ClientConfig, date: string, timeZone: string, shadowRunId: string, reason: string, done: ClientDayCheckpoint): Promise<void> {
  await env.warehouse.use(async (warehouse) => {
    await ensureShadowTables(warehouse);
    await warehouse.replacePartition(SHADOW_RUNS_TABLE, { client_id: client.id, date, shadow_run_id: shadowRunId }, [
      {
        status: 'failed', reconcile_run_id: null, reconcile_status: null, legacy_snapshot_id: done['legacy.snapshot']?.detail.snapshot_id ?? null,
        new_lineage_run_id: done['new.load']?.detail.lineage_run_id ?? null, quarantined_partitions: Number(done['new.load']?.detail.quarantined ?? 0), error: reason, finished_at: new Date().toISOString(),
      },
    ]);
    if (!done['new.load']) await recordSla(env.bus, warehouse, client.id, date, timeZone, null, nowFor(env, client, date));
  });
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
      // The payloads land in the raw tree of the tables they will load into (see rawRoot): a shadow client's in
      // the shadow tree, so the serving lineage's files stay as hashed and a serving replay never reloads them; a
      // live client's in the serving tree, because its new side is what clients are served.
      const request = { ...planFetch(loaded, date, `${shadowRunId}-fetch`, { clients: [client.id], baseUrl: env.baseUrl }), namespace: tables.namespace };
      await warnIfAtRisk(env, client, date, timeZone, tables, shadowRunId);
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
        // The new side is complete now: that instant is what the 08:00 deadline is measured against.
        const sla = await recordSla(env.bus, warehouse, client.id, date, timeZone, nowFor(env, client, date));
        // The run that loaded is the one lineage names: a resumed run that skips this step links to it, not to itself.
        return { rows: results.reduce((sum, r) => sum + r.rows, 0), quarantined: results.filter((r) => r.status === 'quarantined').length, sla, lineage_run_id: shadowRunId };
      }),
    );

    const snapshot = await step('legacy.snapshot', () =>
      env.warehouse.use(async (warehouse) => {
        await ensureShadowTables(warehouse);
        const taken = await snapshotLegacy(warehouse, env.legacy, client.id, date, join(loaded.workspaceDir, 'tmp'));
        return { snapshot_id: taken.snapshotId, rows: taken.rows, reused: taken.reused };
      }),
    );

    const reconciled = await step('reconcile', () =>
      env.warehouse.use(async (warehouse) => {
        // The snapshot this day recorded, even when a later run took another: what the reconcile compares is on record.
        await restoreLegacySnapshot(warehouse, String(snapshot.snapshot_id), client.id, date);
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
            new_lineage_run_id: loadedStep.lineage_run_id === undefined ? null : String(loadedStep.lineage_run_id), quarantined_partitions: Number(loadedStep.quarantined ?? 0), error: null, finished_at: new Date().toISOString(),
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
    await recordFailure(env, client, date, timeZone, shadowRunId, reason, env.checkpoints.read(client.id, date)).catch((failure: unknown) =>
      log.error({ error: messageOf(failure) }, 'could not record the failed shadow day'),
    );
    return { clientId: client.id, date, status: 'error', ran, quarantined: 0, error: reason };
  }
}

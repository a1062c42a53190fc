import type { BoscoConfig, ClientConfig } from '../../core/config.js';
import { addDays } from '../../core/dates.js';
import { METRIC_COLUMNS } from '../../core/metric-row.js';
import type { Warehouse } from '../../core/warehouse/index.js';
import { acceptancesFor, auditHistory, ensureAuditTables, type AuditAction, type AuditEntry } from '../../flags/audit.js';
import { gateSettingsFor, stageOf } from '../../flags/cutover.js';
import { decideGate, finalCleanStreak, type CleanStreak, type GateCheck, type GateDecision } from '../../flags/gate.js';
import { nextStage, rollbackStage } from '../../flags/stages.js';
import { STAGES, type Stage, type StageRecord } from '../../flags/types.js';
import { ensureHistoryTables } from '../../reconcile/history.js';
import type { RowCounts, Status } from '../../reconcile/types.js';
import { shadowEvidence } from '../../shadow/gate-evidence.js';
import { ensureShadowTables, SHADOW_RUNS_TABLE, SLA_TABLE } from '../../shadow/shadow-tables.js';
import { slaHitRates, slaStatus, type SlaDay } from '../../shadow/sla.js';

/** Days of trend and SLA history a report covers unless asked otherwise. */
export const DEFAULT_REPORT_DAYS = 30;
/** Newest audit entries a report carries: enough for the story, bounded for the page. */
export const TIMELINE_LIMIT = 200;

/** The migration at a glance: what `GET /v1/cutover` returns, `bosco dashboard` reports and the page is drawn from. */
export interface CutoverReport {
  /** When the report was gathered (ISO timestamp). */
  generated_at: string;
  /** The reporting day gates are decided on. */
  today: string;
  /** The days the trend and SLA hit rates cover, inclusive. */
  window: { from: string; to: string };
  /** True when the stages are the last ones seen because the flag store could not be read. */
  stages_stale: boolean;
  /** Clients in each stage, every stage present. */
  stage_counts: Record<Stage, number>;
  /** The planned rollout from `flags.phases`, in order; empty when none is configured. */
  phases: PhaseProgress[];
  clients: ClientCutover[];
  /** One entry per day with at least one shadow reconcile in the window, oldest first. */
  trend: TrendDay[];
  /** Flag changes and accepted differences from the audit log, newest first, at most TIMELINE_LIMIT. */
  timeline: TimelineEntry[];
  /** Entries in the audit log, of which `timeline` holds the newest. */
  timeline_total: number;
}

export interface PhaseProgress {
  name: string;
  target: Stage;
  clients: string[];
  /** Clients at the target stage or beyond. */
  reached: number;
  status: 'done' | 'in-progress' | 'not-started';
  /** Clients the phase names that the config does not list. */
  unknown_clients: string[];
}

export interface ClientCutover {
  client_id: string;
  stage: Stage;
  /** False for a client the flag store holds but the config does not list: it has no gate and offers no actions. */
  configured: boolean;
  /** When the client entered its stage: its last stage change in the audit log; null when none is recorded for this stage. */
  stage_since: string | null;
  /** Whole days since `stage_since`; null with it. */
  days_in_stage: number | null;
  /**
   * The clean streak toward the next gate, counted exactly as the gate counts it (`finalCleanStreak`): consecutive
   * clean final days back from the newest final day, at most the days the gate needs. Days younger than the
   * restatement window are pending, neither clean nor failing. Null when the next move needs no streak (legacy to
   * shadow), for a complete client, or one the config does not list.
   */
  clean_streak: StreakSummary | null;
  /** The gate to the next stage; null for a complete or unconfigured client. */
  gate: ClientGate | null;
  /** The client's latest shadow run's reconcile (newest day, then newest run); null when never reconciled. */
  last_reconcile: LastReconcile | null;
  /** Days in the window whose new side met, missed or has yet to reach its 08:00 deadline. */
  sla: { met: number; missed: number; pending: number; hit_rate: number | null };
  /** What the support view offers: a next stage to promote to, a stage to roll back to. */
  can_promote: boolean;
  can_rollback: boolean;
}

export interface StreakSummary {
  /** Clean final days counted, at most `needed`. */
  final_days: number;
  /** Clean final days the gate needs (`flags.gates.<stage>.cleanDays`). */
  needed: number;
  /** The newest final day: the streak is counted back from it. */
  through: string;
  /** Days already reconciled but not final yet. */
  pending_days: string[];
  /** What ended the streak (`<date>: …`); null when it reached `needed`. */
  broken: string | null;
}

export interface ClientGate {
  to: Stage;
  open: boolean;
  /** The failing checks, one line each: why the gate is closed. */
  blockers: string[];
  checks: GateCheck[];
}

export interface LastReconcile {
  date: string;
  run_id: string;
  status: Status;
  rows: RowCounts;
  /** In canonical metric order. */
  metrics: Array<{ metric: string; status: Status; rows_mismatched: number; delta: number; rel_delta: number | null }>;
}

export interface TrendDay {
  date: string;
  clients_reconciled: number;
  clients_clean: number;
  /** Rows that differ, counted as the reconciler lists differences: a missing row or duplicate key once, a matched row once per metric it differs on. */
  mismatched_rows: number;
}

export interface TimelineEntry {
  at: string;
  client_id: string;
  action: AuditAction;
  from_stage: Stage | null;
  to_stage: Stage | null;
  actor: string;
  reason: string;
}

/** One client's day: its latest shadow run that day. */
export interface ClientDay {
  client_id: string;
  date: string;
  status: Status;
  mismatched_rows: number;
}

/** One metric of a client's latest reconcile, as reconcile_results holds it. */
export interface LastReconcileRow {
  client_id: string;
  date: string;
  run_id: string;
  status: Status;
  rows: RowCounts;
  metric: string | null;
  metric_status: Status;
  rows_mismatched: number;
  delta: number;
  rel_delta: number | null;
}

/** A client's gate as decided, and its clean streak as the gate counts it. */
export interface DecidedGate {
  to: Stage;
  decision: GateDecision;
  /** Absent when the move needs no clean days. */
  streak?: { needed: number; counted: CleanStreak };
}

/** Everything a report is built from, already read. */
export interface CutoverInputs {
  generatedAt: Date;
  today: string;
  window: { from: string; to: string };
  stagesStale: boolean;
  stages: readonly StageRecord[];
  config: Pick<BoscoConfig, 'clients' | 'flags'>;
  /** By client: the gate to its next stage, as decided, with the streak it counted (none when the move needs none). */
  gates: ReadonlyMap<string, DecidedGate>;
  days: readonly ClientDay[];
  lastReconciles: readonly LastReconcileRow[];
  slaDays: readonly SlaDay[];
  /** Oldest first, as the audit log returns it. */
  audit: readonly AuditEntry[];
}

export function stageCounts(stages: readonly Stage[]): Record<Stage, number> {
  const counts = Object.fromEntries(STAGES.map((stage) => [stage, 0])) as Record<Stage, number>;
  for (const stage of stages) counts[stage]++;
  return counts;
}

export function phaseProgress(phases: NonNullable<BoscoConfig['flags']['phases']>, stageOfClient: (clientId: string) => Stage, configured: ReadonlySet<string>): PhaseProgress[] {
  return phases.map((phase) => {
    const stages = phase.clients.map(stageOfClient);
    const reached = stages.filter((stage) => STAGES.indexOf(stage) >= STAGES.indexOf(phase.target)).length;
    const started = reached > 0 || stages.some((stage) => stage !== 'legacy');
    return {
      name: phase.name,
      target: phase.target,
      clients: [...phase.clients],
      reached,
      status: reached === phase.clients.length ? 'done' : started ? 'in-progress' : 'not-started',
      unknown_clients: phase.clients.filter((id) => !configured.has(id)),
    };
  });
}

export function trendByDay(days: readonly ClientDay[]): TrendDay[] {
  const byDate = new Map<string, TrendDay>();
  for (const day of days) {
    const trend = byDate.get(day.date) ?? { date: day.date, clients_reconciled: 0, clients_clean: 0, mismatched_rows: 0 };
    trend.clients_reconciled++;
    if (day.status === 'pass') trend.clients_clean++;
    trend.mismatched_rows += day.mismatched_rows;
    byDate.set(day.date, trend);
  }
  return [...byDate.values()].sort((a, b) => a.date.localeCompare(b.date));
}

/** When the client entered `stage`: the newest audit entry moving it there, provided it is the client's newest stage change. */
export function stageSince(audit: readonly AuditEntry[], clientId: string, stage: Stage): string | null {
  const last = audit.filter((entry) => entry.client_id === clientId && entry.to_stage !== null).at(-1);
  return last?.to_stage === stage ? last.at : null;
}

const DAY_MS = 86_400_000;

function streakSummary(counted: CleanStreak, needed: number): StreakSummary {
  return { final_days: counted.days.length, needed, through: counted.lastFinal, pending_days: counted.pendingDays, broken: counted.broken ?? null };
}

/** The audit log's timestamps as ISO text, whatever text the warehouse gave them in. */
function isoTime(text: string): string {
  const time = Date.parse(text);
  return Number.isNaN(time) ? text : new Date(time).toISOString();
}

function lastReconcileOf(rows: readonly LastReconcileRow[]): LastReconcile | null {
  const first = rows[0];
  if (!first) return null;
  const order = (metric: string) => (METRIC_COLUMNS as readonly string[]).indexOf(metric);
  const metrics = rows
    .filter((row) => row.metric !== null)
    .map((row) => ({ metric: row.metric!, status: row.metric_status, rows_mismatched: row.rows_mismatched, delta: row.delta, rel_delta: row.rel_delta }))
    .sort((a, b) => order(a.metric) - order(b.metric));
  return { date: first.date, run_id: first.run_id, status: first.status, rows: first.rows, metrics };
}

/** Builds the report from what was read. Pure: the clock comes in with the inputs. */
export function buildCutoverReport(inputs: CutoverInputs): CutoverReport {
  const configured = new Set(inputs.config.clients.map((client) => client.id));
  const ids = [...configured, ...inputs.stages.map((record) => record.clientId).filter((id) => !configured.has(id)).sort()];
  const sla = new Map(slaHitRates(inputs.slaDays).map((rate) => [rate.client_id, rate]));
  const clients = ids.map((id): ClientCutover => {
    const stage = stageOf(inputs.stages, id);
    const since = stageSince(inputs.audit, id, stage);
    const sinceMs = since === null ? Number.NaN : Date.parse(since);
    const gate = inputs.gates.get(id);
    const rate = sla.get(id);
    return {
      client_id: id,
      stage,
      configured: configured.has(id),
      stage_since: since === null ? null : isoTime(since),
      days_in_stage: Number.isNaN(sinceMs) ? null : Math.max(0, Math.floor((inputs.generatedAt.getTime() - sinceMs) / DAY_MS)),
      clean_streak: gate?.streak ? streakSummary(gate.streak.counted, gate.streak.needed) : null,
      gate: gate ? { to: gate.to, open: gate.decision.pass, blockers: gate.decision.checks.filter((c) => !c.pass).map((c) => `${c.name}: ${c.detail}`), checks: gate.decision.checks } : null,
      last_reconcile: lastReconcileOf(inputs.lastReconciles.filter((row) => row.client_id === id)),
      sla: { met: rate?.met ?? 0, missed: rate?.missed ?? 0, pending: rate?.pending ?? 0, hit_rate: rate?.hit_rate ?? null },
      can_promote: configured.has(id) && nextStage(stage) !== undefined,
      can_rollback: configured.has(id) && rollbackStage(stage) !== undefined,
    };
  });
  return {
    generated_at: inputs.generatedAt.toISOString(),
    today: inputs.today,
    window: inputs.window,
    stages_stale: inputs.stagesStale,
    stage_counts: stageCounts(clients.map((client) => client.stage)),
    phases: phaseProgress(inputs.config.flags.phases ?? [], (id) => stageOf(inputs.stages, id), configured),
    clients,
    trend: trendByDay(inputs.days),
    timeline: inputs.audit
      .slice(-TIMELINE_LIMIT)
      .reverse()
      .map(({ at, client_id, action, from_stage, to_stage, actor, reason }) => ({ at: isoTime(at), client_id, action, from_stage, to_stage, actor, reason })),
    timeline_total: inputs.audit.length,
  };
}

const num = (value: unknown): number => Number(value ?? 0);

/**
 * The gate to the client's next stage, decided exactly as a promotion would be (same settings, evidence window and
 * evidence), and the clean streak counted by the gate's own rule from the same evidence.
 */
async function gateFor(warehouse: Warehouse, client: ClientConfig, stage: Stage, config: Pick<BoscoConfig, 'flags'>, today: string, now: Date): Promise<DecidedGate | undefined> {
  const to = nextStage(stage);
  if (!to) return undefined;
  const settings = gateSettingsFor(config.flags, client, to);
  // The evidence window flags/cutover.ts decides promotions on.
  const lookback = settings.cleanDays + settings.restatementDays + 30;
  const gathered = await shadowEvidence(() => now).gather(warehouse, client.id, addDays(today, -lookback), today);
  const acceptances = await acceptancesFor(warehouse, client.id);
  const decision = decideGate({ clientId: client.id, from: stage, to, today, ...gathered, acceptances, settings });
  if (to === 'shadow' || settings.cleanDays === 0) return { to, decision };
  const counted = finalCleanStreak({ today, days: gathered.days, acceptances, restatementDays: settings.restatementDays, cleanDays: settings.cleanDays });
  return { to, decision, streak: { needed: settings.cleanDays, counted } };
}

/**
 * Reads the migration's state from the warehouse (shadow runs, reconcile history, SLA days, audit log) and decides
 * every configured client's gate, for the `days` days ending `today`.
 */
export async function gatherCutoverReport(
  warehouse: Warehouse,
  stages: readonly StageRecord[],
  config: Pick<BoscoConfig, 'clients' | 'flags'>,
  today: string,
  now: Date,
  options: { stagesStale?: boolean; days?: number } = {},
): Promise<CutoverReport> {
  const window = { from: addDays(today, -((options.days ?? DEFAULT_REPORT_DAYS) - 1)), to: today };
  await ensureShadowTables(warehouse);
  await ensureHistoryTables(warehouse);
  await ensureAuditTables(warehouse);

  const dayRows = await warehouse.query(
    `SELECT r.client_id, r.date, r.reconcile_status,
            max(res.missing_in_new + res.missing_in_legacy + res.duplicate_keys) AS row_problems, sum(res.rows_mismatched) AS value_mismatches
     FROM (SELECT *, row_number() OVER (PARTITION BY client_id, date ORDER BY finished_at DESC) AS latest FROM ${SHADOW_RUNS_TABLE}
           WHERE date BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)) r
     LEFT JOIN reconcile_results res ON res.run_id = r.reconcile_run_id AND res.client_id = r.client_id
     WHERE r.latest = 1
     GROUP BY r.client_id, r.date, r.reconcile_status`,
    [window.from, window.to],
  );
  const days = dayRows.map((row): ClientDay => ({
    client_id: String(row.client_id),
    date: String(row.date),
    status: row.reconcile_status === 'pass' ? 'pass' : 'fail',
    mismatched_rows: num(row.row_problems) + num(row.value_mismatches),
  }));

  const lastRows = await warehouse.query(
    `SELECT r.client_id, r.date, r.reconcile_run_id, r.reconcile_status, res.rows_legacy, res.rows_new, res.rows_matched, res.missing_in_new,
            res.missing_in_legacy, res.duplicate_keys, res.metric, res.metric_status, res.rows_mismatched, res.delta, res.rel_delta
     FROM (SELECT *, row_number() OVER (PARTITION BY client_id ORDER BY date DESC, finished_at DESC) AS latest FROM ${SHADOW_RUNS_TABLE}
           WHERE date <= CAST(? AS DATE)) r
     LEFT JOIN reconcile_results res ON res.run_id = r.reconcile_run_id AND res.client_id = r.client_id
     WHERE r.latest = 1`,
    [today],
  );
  const lastReconciles = lastRows.map((row): LastReconcileRow => ({
    client_id: String(row.client_id),
    date: String(row.date),
    run_id: String(row.reconcile_run_id),
    status: row.reconcile_status === 'pass' ? 'pass' : 'fail',
    rows: { legacy: num(row.rows_legacy), new: num(row.rows_new), matched: num(row.rows_matched), missing_in_new: num(row.missing_in_new), missing_in_legacy: num(row.missing_in_legacy), duplicate_keys: num(row.duplicate_keys) },
    metric: row.metric === null || row.metric === undefined ? null : String(row.metric),
    metric_status: row.metric_status === 'pass' ? 'pass' : 'fail',
    rows_mismatched: num(row.rows_mismatched),
    delta: num(row.delta),
    rel_delta: row.rel_delta === null || row.rel_delta === undefined ? null : Number(row.rel_delta),
  }));

  const slaRows = await warehouse.query(`SELECT client_id, date, deadline, completed_at FROM ${SLA_TABLE} WHERE date BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)`, [window.from, window.to]);
  const slaDays = slaRows.map((row): SlaDay => ({
    client_id: String(row.client_id),
    date: String(row.date),
    status: slaStatus(new Date(String(row.deadline)), row.completed_at === null ? null : new Date(String(row.completed_at)), now),
  }));

  const gates = new Map<string, DecidedGate>();
  for (const client of config.clients) {
    const gate = await gateFor(warehouse, client, stageOf(stages, client.id), config, today, now);
    if (gate) gates.set(client.id, gate);
  }

  return buildCutoverReport({
    generatedAt: now, today, window, stagesStale: options.stagesStale ?? false, stages, config, gates, days, lastReconciles, slaDays, audit: await auditHistory(warehouse),
  });
}

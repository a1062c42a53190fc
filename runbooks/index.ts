import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventBus } from '../core/bus/index.js';
import type { ClientConfig, FlagSettings } from '../core/config.js';
import { addDays } from '../core/dates.js';
import { BoscoError } from '../core/errors.js';
import type { WarehouseAccess } from '../core/warehouse/access.js';
import { acceptancesFor, ensureAuditTables } from '../flags/audit.js';
import { gateSettingsFor, promote } from '../flags/cutover.js';
import type { Acceptance, DayEvidence, GateDecision } from '../flags/gate.js';
import { DEFAULT_STAGE, nextStage } from '../flags/stages.js';
import type { Stage, StageStore } from '../flags/types.js';
import { shadowEvidence } from '../shadow/gate-evidence.js';

/** The folder holding the runbooks: this module's own. */
export const RUNBOOK_DIR = import.meta.dirname;

/** A runbook's name is its file name without `.md`: lower-case words joined by dashes, so no name leaves the folder. */
const RUNBOOK_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export interface RunbookInfo {
  /** File name without `.md`, e.g. `cutover`. */
  name: string;
  /** The first `# ` heading. */
  title: string;
  /** The first `> ` line after the title: when to use the runbook, in one sentence. Empty when there is none. */
  summary: string;
  path: string;
  /** Whether `bosco runbook check <name>` runs automated pre-checks for it. */
  checks: boolean;
}

function describeRunbook(path: string, name: string, text: string): RunbookInfo {
  const lines = text.split('\n');
  const titleAt = lines.findIndex((line) => line.startsWith('# '));
  const title = titleAt >= 0 ? lines[titleAt]!.slice(2).trim() : name;
  const summaryLine = lines.slice(titleAt + 1).find((line) => line.trim() !== '');
  const summary = summaryLine?.startsWith('>') ? summaryLine.replace(/^>\s*/, '').trim() : '';
  return { name, title, summary, path, checks: RUNBOOK_CHECKS.some((check) => check.name === name) };
}

/** Every runbook in `dir`, by name. */
export function listRunbooks(dir: string = RUNBOOK_DIR): RunbookInfo[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.md') && RUNBOOK_NAME.test(file.slice(0, -3)))
    .sort()
    .map((file) => describeRunbook(join(dir, file), file.slice(0, -3), readFileSync(join(dir, file), 'utf8')));
}

/** One runbook with its Markdown; an unknown name is a usage error (exit 2) naming the runbooks there are. */
export function readRunbook(name: string, dir: string = RUNBOOK_DIR): RunbookInfo & { text: string } {
  const path = join(dir, `${name}.md`);
  if (!RUNBOOK_NAME.test(name) || !existsSync(path)) {
    throw new BoscoError('USAGE', `unknown runbook '${name}'`, { hint: `runbooks: ${listRunbooks(dir).map((r) => r.name).join(', ')} (bosco runbook list)` });
  }
  const text = readFileSync(path, 'utf8');
  return { ...describeRunbook(path, name, text), text };
}

/** `fail` stops the runbook (exit 1); `warn` is for the operator to weigh and does not fail the run. */
export type CheckOutcome = 'pass' | 'fail' | 'warn';

export interface RunbookCheckResult {
  /** Stable name, e.g. `gate.clean-streak`. */
  name: string;
  outcome: CheckOutcome;
  /** One line for a person. */
  detail: string;
  /** The dates, run ids and exceptions the check rests on. */
  evidence: string[];
}

export interface RunbookCheckReport {
  runbook: string;
  client_id: string;
  /** The client's stage now. */
  from: Stage;
  /** The stage the runbook's next step would move it to; null when there is none. */
  to: Stage | null;
  /** The day the checks were decided on, in the reporting zone. */
  today: string;
  /** True when no check failed (warnings allowed). */
  pass: boolean;
  checks: RunbookCheckResult[];
}

/** What a runbook's pre-checks read: live state, opened by the caller. */
export interface CheckEnvironment {
  store: StageStore;
  warehouse: WarehouseAccess;
  /** Needed by the cutover service's context; a dry run publishes nothing. */
  bus: EventBus;
  clients: readonly ClientConfig[];
  settings: FlagSettings;
  /** The day gates are decided on, in the reporting zone. */
  today: string;
}

/** Automated pre-checks of one runbook: a registry entry, as the gate checks and explainers are. */
export interface RunbookChecks {
  name: string;
  description: string;
  run(env: CheckEnvironment, clientId: string): Promise<RunbookCheckReport>;
}

/** What the cutover pre-checks weigh, gathered from live state; `decide` turns it into checks without any I/O. */
export interface CutoverState {
  client: ClientConfig;
  from: Stage;
  to: Stage | null;
  today: string;
  /** `bosco flags promote --dry-run`'s decision for the move; undefined when there is no next stage. */
  decision?: GateDecision;
  /** The client's dual-run days over the gate's lookback, as the gate's evidence source reads them. */
  days: readonly DayEvidence[];
  acceptances: readonly Acceptance[];
  /** The client's longest restatement window: days younger than it are pending. */
  restatementDays: number;
  /** Whether `flags.autoRollback` has an entry for the client. */
  autoRollback: boolean;
}

function covered(acceptances: readonly Acceptance[], metric: string, date: string, today: string): boolean {
  return acceptances.some((a) => a.metric === metric && a.from <= date && date <= a.to && today <= a.expires);
}

/**
 * The cutover runbook's pre-checks from gathered state. Pure: the gate's own checks (as `flags promote --dry-run`
 * decides them) must pass; the rest look at what the gate does not weigh (days still pending, whether the dual run
 * is current, the safety net for a live client) and warn.
 */
export function decideCutoverChecks(state: CutoverState): RunbookCheckResult[] {
  const { client, from, to, today } = state;
  if (!to) {
    return [{ name: 'stage', outcome: 'fail', detail: `${client.id} is already ${from}: there is no further stage to cut over to`, evidence: [] }];
  }
  const checks: RunbookCheckResult[] = [{ name: 'stage', outcome: 'pass', detail: `${client.id} is ${from}; the next step moves it to ${to}`, evidence: [] }];
  if (to === 'shadow') {
    checks.push({
      name: 'accounts',
      outcome: client.accounts.length > 0 ? 'pass' : 'fail',
      detail: client.accounts.length > 0 ? `${client.accounts.length} connected account(s) for the shadow run to fetch` : 'no connected accounts in the config: a shadow run would have nothing to fetch',
      evidence: client.accounts.map((a) => `${a.platform} ${a.accountId}`),
    });
  }
  for (const gate of state.decision?.checks ?? []) {
    checks.push({ name: `gate.${gate.name}`, outcome: gate.pass ? 'pass' : 'fail', detail: gate.detail, evidence: gate.evidence });
  }
  if (to === 'shadow') return checks;

  const lastFinal = addDays(today, -state.restatementDays - 1);
  const pending = state.days.filter((d) => d.date > lastFinal).sort((a, b) => a.date.localeCompare(b.date));
  const failingPending = pending.filter((d) => d.reconcile === 'fail' && (d.failing.length === 0 || d.failing.some((m) => !covered(state.acceptances, m, d.date, today))));
  checks.push({
    name: 'pending-days',
    outcome: failingPending.length === 0 ? 'pass' : 'warn',
    detail: failingPending.length === 0
      ? `no failing reconcile among the ${pending.length} day(s) still inside the ${state.restatementDays}-day restatement window`
      : `${failingPending.length} day(s) inside the restatement window fail: the gate does not count them yet, but they break the streak once final unless fixed or accepted`,
    evidence: failingPending.map((d) => `${d.date}: ${d.failing.join(', ') || 'differences'} (run ${d.reconcileRunId})`),
  });
  const newest = [...state.days].sort((a, b) => b.date.localeCompare(a.date))[0];
  const current = newest !== undefined && newest.date >= addDays(today, -2);
  checks.push({
    name: 'dual-run-current',
    outcome: current ? 'pass' : 'warn',
    detail: newest ? `newest reconciled day is ${newest.date}${current ? '' : ': the daily shadow run has not covered the last days'}` : 'no shadow day has been reconciled',
    evidence: [],
  });
  const missed = pending.filter((d) => d.sla === 'missed');
  checks.push({
    name: 'sla-recent',
    outcome: missed.length === 0 ? 'pass' : 'warn',
    detail: missed.length === 0 ? 'no missed 08:00 deadline among the pending days' : `08:00 deadline missed on ${missed.length} pending day(s)`,
    evidence: missed.map((d) => d.date),
  });
  if (to === 'live') {
    checks.push({
      name: 'auto-rollback',
      outcome: state.autoRollback ? 'pass' : 'warn',
      detail: state.autoRollback
        ? 'flags.autoRollback covers the client: a failing reverse-shadow reconcile moves it back to shadow'
        : 'flags.autoRollback has no entry for the client: a failing reverse-shadow reconcile is reported but does not roll it back',
      evidence: [],
    });
  }
  if (to === 'complete') {
    checks.push({ name: 'point-of-no-return', outcome: 'warn', detail: 'complete has no rollback stage: after it, going back needs bosco flags set --force and the legacy pipeline restarted for the client', evidence: [] });
  }
  return checks;
}

/** Gathers the cutover state of one client from the stage store and the warehouse, then decides the checks. */
async function runCutoverChecks(env: CheckEnvironment, clientId: string): Promise<RunbookCheckReport> {
  const client = env.clients.find((c) => c.id === clientId);
  if (!client) {
    throw new BoscoError('UNKNOWN_CLIENT', `client '${clientId}' is not in the config`, { hint: `configured clients: ${env.clients.map((c) => c.id).slice(0, 10).join(', ') || '(none)'}` });
  }
  const from = (await env.store.get(clientId))?.stage ?? DEFAULT_STAGE;
  const to = nextStage(from) ?? null;
  let decision: GateDecision | undefined;
  let days: DayEvidence[] = [];
  let acceptances: Acceptance[] = [];
  let restatementDays = 0;
  if (to) {
    const outcome = await promote(
      { store: env.store, warehouse: env.warehouse, bus: env.bus, evidence: shadowEvidence(), clients: env.clients, settings: env.settings, actor: 'bosco runbook check', today: env.today },
      clientId,
      { reason: 'bosco runbook check cutover (dry run)', dryRun: true },
    );
    decision = outcome.decision;
    const settings = gateSettingsFor(env.settings, client, to);
    restatementDays = settings.restatementDays;
    const lookback = settings.cleanDays + settings.restatementDays + 30;
    [days, acceptances] = await env.warehouse.use(async (warehouse) => {
      await ensureAuditTables(warehouse);
      const gathered = await shadowEvidence().gather(warehouse, clientId, addDays(env.today, -lookback), env.today);
      return [gathered.days, await acceptancesFor(warehouse, clientId)] as const;
    });
  }
  const checks = decideCutoverChecks({ client, from, to, today: env.today, decision, days, acceptances, restatementDays, autoRollback: clientId in env.settings.autoRollback });
  return { runbook: 'cutover', client_id: clientId, from, to, today: env.today, pass: checks.every((c) => c.outcome !== 'fail'), checks };
}

/** Runbooks whose pre-checks `bosco runbook check` can run. */
export const RUNBOOK_CHECKS: readonly RunbookChecks[] = [
  {
    name: 'cutover',
    description: "the promotion gate for the client's next stage (clean streak, SLA, data quality), plus pending days, dual-run freshness and the rollback safety net",
    run: runCutoverChecks,
  },
];

/** The pre-checks of `name`; a runbook without them, or an unknown one, is a usage error (exit 2). */
export function runbookChecks(name: string, dir: string = RUNBOOK_DIR): RunbookChecks {
  readRunbook(name, dir);
  const checks = RUNBOOK_CHECKS.find((c) => c.name === name);
  if (!checks) {
    throw new BoscoError('USAGE', `runbook '${name}' has no automated pre-checks`, { hint: `automated pre-checks exist for: ${RUNBOOK_CHECKS.map((c) => c.name).join(', ')}; follow the pre-checks in bosco runbook show ${name}` });
  }
  return checks;
}

/** The report as a person reads it: one line per check, its evidence indented, then the verdict. */
export function renderCheckReport(report: RunbookCheckReport): string {
  const lines = [`Runbook ${report.runbook} pre-checks for ${report.client_id}: ${report.to ? `${report.from} → ${report.to}` : report.from} (decided on ${report.today})`];
  for (const check of report.checks) {
    lines.push(`  ${check.outcome.toUpperCase().padEnd(4)} ${check.name}: ${check.detail}`);
    lines.push(...check.evidence.map((line) => `       ${line}`));
  }
  const failed = report.checks.filter((c) => c.outcome === 'fail').length;
  const warned = report.checks.filter((c) => c.outcome === 'warn').length;
  lines.push(
    failed === 0
      ? `OK: every required check passed${warned ? `, ${warned} warning(s) to weigh` : ''}; next step: bosco flags promote ${report.client_id} --reason "…"`
      : `FAIL: ${failed} of ${report.checks.length} check(s) failed; do not promote (see "If a pre-check fails" in bosco runbook show ${report.runbook})`,
  );
  return lines.join('\n') + '\n';
}

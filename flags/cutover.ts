import type { EventBus } from '../core/bus/index.js';
import type { ClientConfig, FlagSettings } from '../core/config.js';
import { addDays } from '../core/dates.js';
import { platformDefinition } from '../new-pipeline/connectors/index.js';
import { BoscoError } from '../core/errors.js';
import type { WarehouseAccess } from '../core/warehouse/access.js';
import type { Warehouse } from '../core/warehouse/index.js';
import { acceptancesFor, appendAudit, ensureAuditTables, newEntryId, recordAcceptance, type AuditAction, type AuditEntry } from './audit.js';
import { decideGate, type Acceptance, type DayEvidence, type GateDecision, type GateSettings } from './gate.js';
import { DEFAULT_STAGE, nextStage, rollbackStage } from './stages.js';
import type { Stage, StageRecord, StageStore } from './types.js';

export const FLAGS_TOPIC = 'flags';

/** Where a gate's evidence comes from: the dual run's history in the warehouse (the shadow module provides it). */
export interface EvidenceSource {
  gather(warehouse: Warehouse, clientId: string, from: string, to: string): Promise<{ days: DayEvidence[]; openQualityFailures: Array<{ date: string; platform: string; reason: string }> }>;
}

export interface CutoverContext {
  store: StageStore;
  warehouse: WarehouseAccess;
  bus: EventBus;
  evidence: EvidenceSource;
  clients: readonly ClientConfig[];
  settings: FlagSettings;
  /** Who makes the change, for the audit log. */
  actor: string;
  /** The day gates are decided on, in the reporting zone. */
  today: string;
  /** Run when a client goes live, before anything else reads its stage: makes its new side's history servable. */
  onLive?: (warehouse: Warehouse, clientId: string) => Promise<unknown>;
}

export interface CutoverOutcome {
  clientId: string;
  action: AuditAction;
  from: Stage;
  to: Stage;
  /** False on a dry run, or when the gate stayed closed. */
  applied: boolean;
  decision?: GateDecision;
  entry?: AuditEntry;
}

/** A client's stage as every read path sees it: the store's, else legacy. Pure over the store's records. */
export function stageOf(records: readonly StageRecord[], clientId: string): Stage {
  return records.find((r) => r.clientId === clientId)?.stage ?? DEFAULT_STAGE;
}

function requireClient(context: CutoverContext, clientId: string): ClientConfig {
  const client = context.clients.find((c) => c.id === clientId);
  if (!client) throw new BoscoError('UNKNOWN_CLIENT', `client '${clientId}' is not in the config`, { hint: `configured clients: ${context.clients.map((c) => c.id).slice(0, 10).join(', ')}` });
  return client;
}

/** Refuses when the operator acted on a stage that has since changed (someone else moved the client first). */
function requireExpectedStage(clientId: string, from: Stage, expected: Stage | undefined): void {
  if (expected !== undefined && expected !== from) {
    throw new BoscoError('FLAG_CONFLICT', `client '${clientId}' changed since it was read (now ${from}, expected ${expected})`, {
      hint: 'someone else changed this client just now: check bosco flags history, then try again',
    });
  }
}

function requireReason(reason: string | undefined): string {
  if (!reason?.trim()) throw new BoscoError('USAGE', 'a reason is required for every change', { hint: 'add --reason "…" saying why (it goes in the audit log)' });
  return reason.trim();
}

/**
 * The gate settings for entering `to` for this client: its platforms' longest restatement window, each platform's
 * as configured, else its own.
 */
export function gateSettingsFor(settings: FlagSettings, client: ClientConfig, to: Stage): GateSettings {
  const gate = to === 'live' || to === 'complete' ? settings.gates[to] : { cleanDays: 0, requireSla: false };
  const restatementDays = Math.max(0, ...client.accounts.map((a) => settings.restatementDays[a.platform] ?? platformDefinition(a.platform).restatementDays));
  return { cleanDays: gate.cleanDays, requireSla: gate.requireSla, restatementDays };
}

async function decide(context: CutoverContext, client: ClientConfig, from: Stage, to: Stage): Promise<GateDecision> {
  const settings = gateSettingsFor(context.settings, client, to);
  const lookback = settings.cleanDays + settings.restatementDays + 30;
  const [gathered, acceptances] = await context.warehouse.use(async (warehouse) => {
    await ensureAuditTables(warehouse);
    return Promise.all([context.evidence.gather(warehouse, client.id, addDays(context.today, -lookback), context.today), acceptancesFor(warehouse, client.id)]);
  });
  return decideGate({ clientId: client.id, from, to, today: context.today, ...gathered, acceptances, settings });
}

/**
 * Writes the stage (compare-and-set on the version read first), appends the audit entry and announces it. The
 * warehouse is held before the stage changes, so one that cannot be reached refuses the change rather than leave
 * a stage without its audit entry; if the append itself fails, the stage is put back.
 */
async function apply(context: CutoverContext, record: StageRecord | undefined, clientId: string, to: Stage, action: AuditAction, reason: string, evidence: unknown): Promise<AuditEntry> {
  const from = record?.stage ?? DEFAULT_STAGE;
  const entry: AuditEntry = { entry_id: newEntryId('fl'), client_id: clientId, action, from_stage: from, to_stage: to, actor: context.actor, reason, evidence, at: new Date().toISOString() };
  await context.warehouse.use(async (warehouse) => {
    await ensureAuditTables(warehouse);
    // Published first: a conflicting write then fails with the history already in place, which is harmless.
    if (to === 'live' && context.onLive) await context.onLive(warehouse, clientId);
    const written = await context.store.set({ clientId, stage: to, expectedVersion: record?.version });
    try {
      await appendAudit(warehouse, entry);
    } catch (error) {
      await context.store.set({ clientId, stage: from, expectedVersion: written.version }).catch((revertError: unknown) => {
        throw new BoscoError('WAREHOUSE_FAILED', `client '${clientId}' is ${to} but its audit entry could not be written, and putting it back to ${from} failed too`, {
          hint: `record the change by hand (bosco flags set ${clientId} ${from} --force --reason "…" to undo it); cause: ${revertError instanceof Error ? revertError.message : String(revertError)}`,
          cause: error,
        });
      });
      throw error;
    }
  });
  await context.bus.publish(FLAGS_TOPIC, 'stage.changed', entry, { orderingKey: clientId });
  return entry;
}

/**
 * Moves a client one stage forward when its gate passes (or with `force`, recorded as an override). The stage's
 * version is read before anything else, so of two operators promoting at once exactly one wins; the other gets
 * FLAG_CONFLICT and nothing is recorded for it. `expectStage` is the stage the operator saw: if the client has
 * moved since (even finished moving), that too is a FLAG_CONFLICT rather than a second move.
 */
export async function promote(context: CutoverContext, clientId: string, options: { reason?: string; force?: boolean; dryRun?: boolean; expectStage?: Stage }): Promise<CutoverOutcome> {
  const client = requireClient(context, clientId);
  const reason = requireReason(options.reason);
  const record = await context.store.get(clientId);
  const from = record?.stage ?? DEFAULT_STAGE;
  requireExpectedStage(clientId, from, options.expectStage);
  const to = nextStage(from);
  if (!to) throw new BoscoError('USAGE', `client '${clientId}' is already ${from}`, { hint: 'complete is the last stage' });
  const decision = await decide(context, client, from, to);
  const action: AuditAction = decision.pass ? 'promote' : 'override';
  if (options.dryRun || (!decision.pass && !options.force)) return { clientId, action, from, to, applied: false, decision };
  const entry = await apply(context, record, clientId, to, action, reason, { gate: decision.checks });
  return { clientId, action, from, to, applied: true, decision, entry };
}

/** Moves a client back at once (live → shadow, shadow → legacy). No gate: rollback is always allowed. */
export async function rollback(context: CutoverContext, clientId: string, options: { reason?: string; auto?: boolean; evidence?: unknown; dryRun?: boolean; expectStage?: Stage }): Promise<CutoverOutcome> {
  requireClient(context, clientId);
  const reason = requireReason(options.reason);
  const record = await context.store.get(clientId);
  const from = record?.stage ?? DEFAULT_STAGE;
  requireExpectedStage(clientId, from, options.expectStage);
  const to = rollbackStage(from);
  if (!to) throw new BoscoError('USAGE', `client '${clientId}' is ${from}, which has no stage to roll back to`, { hint: 'rollback goes live → shadow or shadow → legacy' });
  const action: AuditAction = options.auto ? 'auto-rollback' : 'rollback';
  if (options.dryRun) return { clientId, action, from, to, applied: false };
  const entry = await apply(context, record, clientId, to, action, reason, options.evidence ?? null);
  return { clientId, action, from, to, applied: true, entry };
}

/**
 * Sets a stage directly. One step forward is a promotion (the gate applies, `force` overrides it) and one step back
 * a rollback; anything else skips a stage and needs `force`, recorded as an override with the gate's evidence.
 */
export async function setStage(context: CutoverContext, clientId: string, to: Stage, options: { reason?: string; force?: boolean }): Promise<CutoverOutcome> {
  const client = requireClient(context, clientId);
  const reason = requireReason(options.reason);
  const record = await context.store.get(clientId);
  const from = record?.stage ?? DEFAULT_STAGE;
  if (from === to) throw new BoscoError('USAGE', `client '${clientId}' is already ${to}`, { hint: 'nothing to change' });
  const expectStage = from;
  if (nextStage(from) === to) return promote(context, clientId, { reason, force: options.force, expectStage });
  if (rollbackStage(from) === to) return rollback(context, clientId, { reason, expectStage });
  if (!options.force) {
    throw new BoscoError('USAGE', `${from} → ${to} skips a stage`, { hint: 'move one stage at a time (bosco flags promote / rollback), or pass --force with a --reason' });
  }
  const decision = await decide(context, client, from, to);
  const entry = await apply(context, record, clientId, to, 'override', reason, { gate: decision.checks });
  return { clientId, action: 'override', from, to, applied: true, decision, entry };
}

/** Records an approved, scoped, expiring exception that gates treat as clean. */
export async function acceptDifference(context: CutoverContext, input: Omit<Acceptance, 'id'>): Promise<Acceptance> {
  requireClient(context, input.clientId);
  const reason = requireReason(input.reason);
  if (input.from > input.to) throw new BoscoError('USAGE', `--from ${input.from} is after --to ${input.to}`, { hint: 'give the earlier day as --from' });
  if (input.expires < context.today) throw new BoscoError('USAGE', `--expires ${input.expires} is already past`, { hint: 'an exception must expire on or after today' });
  const acceptance: Acceptance = { ...input, reason, id: newEntryId('acc') };
  const at = new Date().toISOString();
  await context.warehouse.use(async (warehouse) => {
    await ensureAuditTables(warehouse);
    await warehouse.transaction(async () => {
      await recordAcceptance(warehouse, acceptance, context.actor, at);
      await appendAudit(warehouse, { entry_id: newEntryId('fl'), client_id: input.clientId, action: 'accept', from_stage: null, to_stage: null, actor: context.actor, reason, evidence: acceptance, at });
    });
  });
  await context.bus.publish(FLAGS_TOPIC, 'difference.accepted', acceptance, { orderingKey: input.clientId });
  return acceptance;
}

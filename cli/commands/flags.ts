import { userInfo } from 'node:os';
import Table from 'cli-table3';
import { openBus } from '../../core/bus/index.js';
import { loadConfig, type LoadedConfig } from '../../core/config.js';
import { resolveReportDate } from '../../core/dates.js';
import { BoscoError } from '../../core/errors.js';
import { warehousePerUse } from '../../core/warehouse/access.js';
import { auditHistory, ensureAuditTables } from '../../flags/audit.js';
import { acceptDifference, promote, rollback, setStage, stageOf, type CutoverContext, type CutoverOutcome } from '../../flags/cutover.js';
import { openStageStore } from '../../flags/index.js';
import { DEFAULT_STAGE, parseStage } from '../../flags/stages.js';
import { STAGES } from '../../flags/types.js';
import { shadowEvidence } from '../../shadow/gate-evidence.js';
import { publishShadowHistory } from '../../shadow/publish-history.js';

interface Common {
  config?: string;
  actor?: string;
  format?: 'table' | 'json';
  write?: (text: string) => void;
}

const writer = (options: Common) => options.write ?? ((text: string) => process.stdout.write(text));

/** The cutover's context for one command; the warehouse is opened only when a step needs it, and waited for if busy. */
async function withCutover<T>(options: Common, work: (context: CutoverContext, loaded: LoadedConfig) => Promise<T>): Promise<T> {
  const loaded = await loadConfig({ explicitPath: options.config });
  const store = await openStageStore(loaded);
  const bus = openBus(loaded);
  try {
    return await work(
      {
        store,
        warehouse: warehousePerUse(loaded),
        bus,
        evidence: shadowEvidence(),
        clients: loaded.config.clients,
        settings: loaded.config.flags,
        actor: options.actor ?? process.env.BOSCO_ACTOR ?? userInfo().username,
        today: resolveReportDate('today', loaded.config.reportingTimeZone),
        onLive: publishShadowHistory,
      },
      loaded,
    );
  } finally {
    await bus.close();
    await store.close();
  }
}

function renderOutcome(outcome: CutoverOutcome, dryRun = false): string {
  const lines = [`${outcome.clientId}: ${outcome.from} → ${outcome.to}`];
  for (const check of outcome.decision?.checks ?? []) {
    lines.push(`  ${check.pass ? 'PASS' : 'FAIL'} ${check.name}: ${check.detail}`);
    lines.push(...check.evidence.map((line) => `       ${line}`));
  }
  if (dryRun) lines.push(`  dry run: ${outcome.decision?.pass === false ? 'the gate is closed; nothing would change' : `would move to ${outcome.to}`}`);
  else if (outcome.applied) lines.push(`  done: ${outcome.action}${outcome.action === 'override' ? ' (gate overridden, recorded as such)' : ''}, audit entry ${outcome.entry?.entry_id}`);
  else lines.push('  not moved: the gate is closed (fix the failing checks, or --force --reason "…" to override)');
  return lines.join('\n') + '\n';
}

function output(options: Common, outcome: CutoverOutcome, dryRun = false): number {
  writer(options)(options.format === 'json' ? JSON.stringify(outcome) + '\n' : renderOutcome(outcome, dryRun));
  return outcome.applied || dryRun ? 0 : 1;
}

/** `bosco flags list [--stage s]` */
export async function flagsListCommand(options: Common & { stage?: string }): Promise<number> {
  const stage = options.stage === undefined ? undefined : parseStage(options.stage);
  return withCutover(options, async (context) => {
    const records = await context.store.list();
    const rows = context.clients.map((c) => ({ client_id: c.id, stage: stageOf(records, c.id), version: records.find((r) => r.clientId === c.id)?.version ?? null })).filter((r) => !stage || r.stage === stage);
    if (options.format === 'json') writer(options)(JSON.stringify({ clients: rows }) + '\n');
    else {
      const table = new Table({ head: ['client', 'stage'], style: { head: [], border: [] } });
      for (const r of rows) table.push([r.client_id, r.stage]);
      const counts = STAGES.map((s) => `${rows.filter((r) => r.stage === s).length} ${s}`).join(', ');
      writer(options)(`${table.toString()}\n${counts}\n`);
    }
    return 0;
  });
}

/** `bosco flags get <client>` */
export async function flagsGetCommand(options: Common & { client: string }): Promise<number> {
  return withCutover(options, async (context) => {
    if (!context.clients.some((c) => c.id === options.client)) throw new BoscoError('UNKNOWN_CLIENT', `client '${options.client}' is not in the config`, { hint: 'bosco flags list shows every client' });
    const record = await context.store.get(options.client);
    const stage = record?.stage ?? DEFAULT_STAGE;
    writer(options)(options.format === 'json' ? JSON.stringify({ client_id: options.client, stage, version: record?.version ?? null }) + '\n' : `${options.client}: ${stage}\n`);
    return 0;
  });
}

/** `bosco flags set <client> <stage> --reason ..` (adjacent stages only unless --force) */
export async function flagsSetCommand(options: Common & { client: string; stage: string; reason?: string; force?: boolean }): Promise<number> {
  const stage = parseStage(options.stage);
  return withCutover(options, async (context) => output(options, await setStage(context, options.client, stage, options)));
}

/** `bosco flags promote <client> --reason .. [--force] [--dry-run] [--expect stage]` */
export async function flagsPromoteCommand(options: Common & { client: string; reason?: string; force?: boolean; dryRun?: boolean; expect?: string }): Promise<number> {
  const expectStage = options.expect === undefined ? undefined : parseStage(options.expect);
  return withCutover(options, async (context) => output(options, await promote(context, options.client, { ...options, expectStage }), options.dryRun));
}

/** `bosco flags rollback <client> --reason .. [--dry-run] [--expect stage]` */
export async function flagsRollbackCommand(options: Common & { client: string; reason?: string; dryRun?: boolean; expect?: string }): Promise<number> {
  const expectStage = options.expect === undefined ? undefined : parseStage(options.expect);
  return withCutover(options, async (context) => output(options, await rollback(context, options.client, { ...options, expectStage }), options.dryRun));
}

/** `bosco flags history <client>`: the append-only audit log. */
export async function flagsHistoryCommand(options: Common & { client: string }): Promise<number> {
  return withCutover(options, async (context) => {
    const entries = await context.warehouse.use(async (warehouse) => {
      await ensureAuditTables(warehouse);
      return auditHistory(warehouse, options.client);
    });
    // A client no longer configured may still have a history worth reading; one with neither is a typo.
    if (entries.length === 0 && !context.clients.some((c) => c.id === options.client)) {
      throw new BoscoError('UNKNOWN_CLIENT', `client '${options.client}' is not in the config and has no recorded changes`, { hint: 'bosco flags list shows every client' });
    }
    if (options.format === 'json') writer(options)(JSON.stringify({ client_id: options.client, entries }) + '\n');
    else {
      const table = new Table({ head: ['when', 'action', 'from → to', 'who', 'reason'], style: { head: [], border: [] }, colWidths: [null, null, null, null, 60], wordWrap: true });
      for (const e of entries) table.push([e.at, e.action, e.from_stage ? `${e.from_stage} → ${e.to_stage}` : '', e.actor, e.reason]);
      writer(options)(entries.length > 0 ? `${table.toString()}\n` : `no changes recorded for ${options.client}\n`);
    }
    return 0;
  });
}

/** `bosco accept --client X --metric m --from D1 --to D2 --reason .. --expires D` */
export async function acceptCommand(options: Common & { client: string; metric: string; from: string; to: string; reason?: string; expires: string }): Promise<number> {
  return withCutover(options, async (context, loaded) => {
    const zone = loaded.config.reportingTimeZone;
    const metrics = ['spend', 'impressions', 'clicks', 'conversions', 'revenue', 'rows'];
    if (!metrics.includes(options.metric)) throw new BoscoError('USAGE', `unknown metric '${options.metric}'`, { hint: `metrics are ${metrics.join(', ')}` });
    const acceptance = await acceptDifference(context, {
      clientId: options.client,
      metric: options.metric,
      from: resolveReportDate(options.from, zone),
      to: resolveReportDate(options.to, zone),
      expires: resolveReportDate(options.expires, zone),
      reason: options.reason ?? '',
    });
    writer(options)(options.format === 'json' ? JSON.stringify(acceptance) + '\n' : `accepted ${acceptance.metric} differences for ${acceptance.clientId}, ${acceptance.from} to ${acceptance.to}, until ${acceptance.expires} (${acceptance.id})\n`);
    return 0;
  });
}

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, type LoadedConfig } from '../../../core/config.js';
import { METRIC_COLUMNS } from '../../../core/metric-row.js';
import type { Warehouse } from '../../../core/warehouse/index.js';
import type { AuditEntry } from '../../../flags/audit.js';
import type { GateDecision } from '../../../flags/gate.js';
import { recordRun } from '../../../reconcile/history.js';
import type { ReconcileReport } from '../../../reconcile/types.js';
import { hashKey } from '../../../serve/auth/keys.js';
import type { ClientDay, CutoverInputs, LastReconcileRow } from '../../../serve/dashboard/cutover-report.js';
import { ensureShadowTables, SHADOW_RUNS_TABLE, SLA_TABLE } from '../../../shadow/shadow-tables.js';

export const TODAY = '2026-11-23';
export const NOW = new Date(`${TODAY}T12:00:00Z`);

export const clientDay = (overrides: Partial<ClientDay> = {}): ClientDay => ({ client_id: 'acme', date: '2026-11-22', status: 'pass', mismatched_rows: 0, ...overrides });

export const auditEntry = (overrides: Partial<AuditEntry> = {}): AuditEntry => ({
  entry_id: 'fl-1', client_id: 'acme', action: 'promote', from_stage: 'legacy', to_stage: 'shadow', actor: 'ops', reason: 'start the dual run', evidence: null, at: '2026-11-20T09:00:00.000Z', ...overrides,
});

export const lastReconcileRow = (overrides: Partial<LastReconcileRow> = {}): LastReconcileRow => ({
  client_id: 'acme', date: '2026-11-22', run_id: 'rc-1', status: 'pass',
  rows: { legacy: 10, new: 10, matched: 10, missing_in_new: 0, missing_in_legacy: 0, duplicate_keys: 0 },
  metric: 'spend', metric_status: 'pass', rows_mismatched: 0, delta: 0, rel_delta: 0, ...overrides,
});

export const closedGate = (detail = '0 of 7 consecutive final days clean up to 2026-11-19; broken at 2026-11-19: spend failed (run rc-1)'): GateDecision => ({
  pass: false, pendingDays: [], checks: [{ name: 'clean-streak', pass: false, detail, evidence: [] }, { name: 'data-quality', pass: true, detail: 'no open data-quality failure', evidence: [] }],
});

/** Report inputs for one configured client `acme` in shadow, nothing gathered; override any part. */
export function cutoverInputs(overrides: Partial<CutoverInputs> = {}): CutoverInputs {
  return {
    generatedAt: NOW,
    today: TODAY,
    window: { from: '2026-10-25', to: TODAY },
    stagesStale: false,
    stages: [{ clientId: 'acme', stage: 'shadow', version: 'v1' }],
    config: { clients: [{ id: 'acme', currency: 'USD', accounts: [{ platform: 'google_ads', accountId: '1' }] }], flags: { gates: { live: { cleanDays: 7, requireSla: true }, complete: { cleanDays: 14, requireSla: true } }, restatementDays: {}, autoRollback: {} } },
    gates: new Map(),
    days: [],
    lastReconciles: [],
    slaDays: [],
    audit: [],
    ...overrides,
  };
}

export interface SeedDay {
  clientId: string;
  date: string;
  /** Metrics that differ; the day fails when any does or rows are duplicated. Default none. */
  failing?: string[];
  duplicateKeys?: number;
  /** Whether the day's data was ready by 08:00 the next morning (UTC). Default true. */
  slaMet?: boolean;
}

let seeded = 0;

/** One client's shadow day as a shadow run records it: the reconcile in the history, the shadow run row, the SLA day. */
export async function seedShadowDay(warehouse: Warehouse, day: SeedDay): Promise<string> {
  const failing = day.failing ?? [];
  const duplicateKeys = day.duplicateKeys ?? 0;
  const status = failing.length > 0 || duplicateKeys > 0 ? 'fail' : 'pass';
  const runId = `rc-${day.date}-${day.clientId}-${++seeded}`;
  const report: ReconcileReport = {
    run_id: runId,
    date: day.date,
    status,
    clients: [{
      client_id: day.clientId,
      status,
      rows: { legacy: 20 + duplicateKeys, new: 20, matched: 20, missing_in_new: 0, missing_in_legacy: 0, duplicate_keys: duplicateKeys },
      metrics: METRIC_COLUMNS.map((metric) => {
        const differs = failing.includes(metric);
        return { metric, legacy_total: 100, new_total: differs ? 110 : 100, delta: differs ? 10 : 0, rel_delta: differs ? 0.1 : 0, rows_mismatched: differs ? 3 : 0, status: differs ? 'fail' : 'pass' };
      }),
    }],
  };
  // Later seeds finish later, so a day seeded twice has one latest run.
  const finished = new Date(Date.parse(`${day.date}T23:00:00Z`) + seeded * 1000);
  await recordRun(warehouse, { report, legacySource: 'test', newSource: 'test', startedAt: finished, finishedAt: finished, toolVersion: 'test' });
  await ensureShadowTables(warehouse);
  await warehouse.replacePartition(SHADOW_RUNS_TABLE, { client_id: day.clientId, date: day.date, shadow_run_id: `sh-${runId}` }, [
    { status, reconcile_run_id: runId, reconcile_status: status, legacy_snapshot_id: null, new_lineage_run_id: null, quarantined_partitions: 0, error: null, finished_at: finished.toISOString() },
  ]);
  const deadline = new Date(`${day.date}T08:00:00Z`);
  deadline.setUTCDate(deadline.getUTCDate() + 1);
  const completed = new Date(deadline.getTime() + (day.slaMet === false ? 3_600_000 : -3_600_000));
  await warehouse.replacePartition(SLA_TABLE, { client_id: day.clientId, date: day.date }, [
    { time_zone: 'UTC', deadline: deadline.toISOString(), completed_at: completed.toISOString(), status: day.slaMet === false ? 'missed' : 'met' },
  ]);
  return runId;
}

export const ADMIN_KEY = 'bosco_sk_test-admin-key-0123456789abcdef';
/** A key that reads only client `acme`. */
export const CLIENT_KEY = 'bosco_sk_test-client-key-0123456789abcdef';

/** A workspace folder with a config (bosco.config.json) holding `raw`, an admin key acting as `ops-alice` and a client key; loaded. */
export async function workspaceWithKeys(dir: string, raw: Record<string, unknown>): Promise<LoadedConfig> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'bosco.config.json');
  const keys = [{ id: 'ops', hash: hashKey(ADMIN_KEY), admin: true, actor: 'ops-alice' }, { id: 'acme-key', hash: hashKey(CLIENT_KEY), client: 'acme' }];
  writeFileSync(file, JSON.stringify({ workspace: '.bosco', ...raw, serve: { keys } }));
  return loadConfig({ explicitPath: file });
}
